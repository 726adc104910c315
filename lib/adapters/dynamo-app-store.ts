import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { App } from '../apps/app.ts';
import type { CallRecord, RecordDetails } from '../calls/types.ts';
import { appKey, pad, recordKey, recordsByTimePk } from '../store/keys.ts';
import type { AppStore, RecordQuery, RecordStore } from '../ports/store.ts';
import { isConditionFailed } from './dynamo-errors.ts';

/** Apps and call records in DynamoDB. */
export class DynamoAppStore implements AppStore, RecordStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async getApp(sdkAppId: number): Promise<App | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: appKey(sdkAppId), ConsistentRead: true }));
    return (out.Item?.app as App | undefined) ?? undefined;
  }

  async createApp(app: App): Promise<boolean> {
    try {
      await this.db.send(new PutCommand({ TableName: this.table, Item: { ...appKey(app.sdkAppId), app }, ConditionExpression: 'attribute_not_exists(pk)' }));
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  }

  async putApp(app: App): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { ...appKey(app.sdkAppId), app } }));
  }

  async putRecord(sdkAppId: number, record: CallRecord, retentionDays: number, details?: RecordDetails): Promise<void> {
    // A put keyed by CallId: writing the same record twice leaves exactly one (invariant 4).
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          ...recordKey(sdkAppId, record.CallId),
          record,
          ...(details ? { details } : {}),
          gsi1pk: recordsByTimePk(sdkAppId),
          gsi1sk: `${pad(record.StartTime, 10)}#${record.CallId}`,
          expiresAt: record.EndTime + retentionDays * 86400,
        },
      }),
    );
  }

  async getRecord(sdkAppId: number, callId: string): Promise<CallRecord | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: recordKey(sdkAppId, callId) }));
    return out.Item?.record as CallRecord | undefined;
  }

  async queryRecords(sdkAppId: number, query: RecordQuery): Promise<{ records: CallRecord[]; total: number; more: boolean }> {
    const base = this.recordQuery(sdkAppId, query);
    const skip = (query.page - 1) * query.perPage;
    const records: CallRecord[] = [];
    let seen = 0;
    let more = false;
    let startKey: Record<string, unknown> | undefined;
    // The cost grows with the page asked for (records before it are read and skipped), never with later pages.
    do {
      const out = await this.db.send(new QueryCommand({ ...base, ExclusiveStartKey: startKey, Limit: Math.min(1000, skip + query.perPage + 1) }));
      for (const item of out.Items ?? []) {
        seen += 1;
        if (seen <= skip) continue;
        if (records.length < query.perPage) records.push(item.record as CallRecord);
        else more = true;
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey && !more);
    return { records, total: await this.countRecords(base), more };
  }

  private recordQuery(sdkAppId: number, query: RecordQuery) {
    const filters: string[] = [];
    const values: Record<string, unknown> = { ':pk': recordsByTimePk(sdkAppId), ':from': pad(query.fromSec, 10), ':to': `${pad(query.toSec, 10)}#~` };
    if (query.callResult) {
      filters.push('#r.CallResult = :result');
      values[':result'] = query.callResult;
    }
    if (query.callType) {
      filters.push('#r.CallType = :type');
      values[':type'] = query.callType;
    }
    return {
      TableName: this.table,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk BETWEEN :from AND :to',
      ExpressionAttributeValues: values,
      ...(filters.length ? { FilterExpression: filters.join(' AND '), ExpressionAttributeNames: { '#r': 'record' } } : {}),
    };
  }

  private async countRecords(base: ReturnType<DynamoAppStore['recordQuery']>): Promise<number> {
    let total = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(new QueryCommand({ ...base, Select: 'COUNT', ExclusiveStartKey: startKey }));
      total += out.Count ?? 0;
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return total;
  }

  async getRecordDetails(sdkAppId: number, callId: string): Promise<RecordDetails | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: recordKey(sdkAppId, callId) }));
    return out.Item?.details as RecordDetails | undefined;
  }
}
