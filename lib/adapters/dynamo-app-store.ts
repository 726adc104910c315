import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { App } from '../apps/app.ts';
import type { CallRecord, RecordDetails } from '../calls/types.ts';
import { appKey, pad, recordKey, recordsByTimePk } from '../store/keys.ts';
import type { AppStore, RecordStore } from '../ports/store.ts';
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

  async getRecordDetails(sdkAppId: number, callId: string): Promise<RecordDetails | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: recordKey(sdkAppId, callId) }));
    return out.Item?.details as RecordDetails | undefined;
  }
}
