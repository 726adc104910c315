import { BatchWriteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CallRecord, CallResult, CallType, RecordDetails } from '../calls/types.ts';
import { pad, recordKey, recordsByTimePk } from '../store/keys.ts';
import type { DailyStats, RecordQuery, RecordStore } from '../ports/store.ts';
import { isConditionFailed } from './dynamo-errors.ts';
import { maxConcurrent, minuteSpans } from './record-counting.ts';

/** Counter items are spread over shards so a busy app's minute never becomes a hot item. */
const COUNTER_SHARDS = 4;
const counterPk = (sdkAppId: number, shard: number) => `RECCNT#${sdkAppId}#${shard}`;
const participantsPk = (sdkAppId: number, day: string) => `PART#${sdkAppId}#${day}`;
const dayOf = (sec: number) => new Date(sec * 1000).toISOString().slice(0, 10);

/** The counter attribute for a filter: all records, by result, by type, or by both. */
export function counterField(result?: CallResult, type?: CallType): string {
  if (result && type) return `rt_${result}_${type}`;
  if (result) return `r_${result}`;
  if (type) return `t_${type}`;
  return 'all';
}

/**
 * Call records in DynamoDB, with what keeps reading them cheap at scale: per-minute counters
 * (so `TotalNum` costs the same whatever the number of records) and per-day participant markers.
 */
export class DynamoRecordStore implements RecordStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async putRecord(sdkAppId: number, record: CallRecord, retentionDays: number, details?: RecordDetails): Promise<void> {
    const expiresAt = record.EndTime + retentionDays * 86400;
    try {
      // Exactly one record per call (invariant 4); a repeated write changes nothing and counts nothing.
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...recordKey(sdkAppId, record.CallId), record, ...(details ? { details } : {}), gsi1pk: recordsByTimePk(sdkAppId), gsi1sk: `${pad(record.StartTime, 10)}#${record.CallId}`, expiresAt },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (isConditionFailed(err)) return;
      throw err;
    }
    await Promise.all([this.count(sdkAppId, record, expiresAt), this.markParticipants(sdkAppId, record, expiresAt, details)]);
  }

  private async count(sdkAppId: number, r: CallRecord, expiresAt: number): Promise<void> {
    const fields = [counterField(), counterField(r.CallResult), counterField(undefined, r.CallType), counterField(r.CallResult, r.CallType)];
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: counterPk(sdkAppId, Math.floor(Math.random() * COUNTER_SHARDS)), sk: pad(Math.floor(r.StartTime / 60), 10) },
        UpdateExpression: `ADD ${fields.map((_, i) => `#f${i} :one`).join(', ')} SET expiresAt = :exp`,
        ExpressionAttributeNames: Object.fromEntries(fields.map((f, i) => [`#f${i}`, f])),
        ExpressionAttributeValues: { ':one': 1, ':exp': expiresAt },
      }),
    );
  }

  /**
   * One idempotent marker per user and day (a single batch request): the day's distinct participants
   * are a count of them. Only users who joined count (product-features.md), not those who only rang.
   */
  private async markParticipants(sdkAppId: number, r: CallRecord, expiresAt: number, details?: RecordDetails): Promise<void> {
    const pk = participantsPk(sdkAppId, dayOf(r.StartTime));
    const joined = details ? details.members.filter((m) => m.joinedAt > 0).map((m) => m.userId) : r.CalleeList_Account;
    const users = [...new Set(joined)].slice(0, 25);
    if (users.length === 0) return;
    await this.db.send(new BatchWriteCommand({ RequestItems: { [this.table]: users.map((u) => ({ PutRequest: { Item: { pk, sk: u, expiresAt } } })) } }));
  }

  async getRecord(sdkAppId: number, callId: string): Promise<CallRecord | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: recordKey(sdkAppId, callId) }));
    return out.Item?.record as CallRecord | undefined;
  }

  async getRecordDetails(sdkAppId: number, callId: string): Promise<RecordDetails | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: recordKey(sdkAppId, callId) }));
    return out.Item?.details as RecordDetails | undefined;
  }

  async queryRecords(sdkAppId: number, query: RecordQuery): Promise<{ records: CallRecord[]; total: number; more: boolean }> {
    const skip = (query.page - 1) * query.perPage;
    const records: CallRecord[] = [];
    let seen = 0;
    let more = false;
    let startKey: Record<string, unknown> | undefined;
    // The cost grows with the page asked for (records before it are read and skipped), never with later pages.
    do {
      const out = await this.db.send(new QueryCommand({ ...this.byTime(sdkAppId, query), ExclusiveStartKey: startKey, Limit: Math.min(1000, skip + query.perPage + 1) }));
      for (const item of out.Items ?? []) {
        seen += 1;
        if (seen <= skip) continue;
        if (records.length < query.perPage) records.push(item.record as CallRecord);
        else more = true;
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey && !more);
    return { records, total: await this.total(sdkAppId, query), more };
  }

  /** Matches in [fromSec, toSec]: whole minutes from the counters, the partial minutes at both ends counted directly. */
  private async total(sdkAppId: number, query: RecordQuery): Promise<number> {
    const { whole, edges } = minuteSpans(query.fromSec, query.toSec);
    const field = counterField(query.callResult, query.callType);
    const fromCounters = whole ? await this.sumCounters(sdkAppId, whole[0], whole[1], field) : 0;
    const counted = await Promise.all(edges.map(([from, to]) => this.countRecords(sdkAppId, { ...query, fromSec: from, toSec: to })));
    return fromCounters + counted.reduce((a, b) => a + b, 0);
  }

  private async sumCounters(sdkAppId: number, fromMinute: number, toMinute: number, field: string): Promise<number> {
    const sums = await Promise.all(
      Array.from({ length: COUNTER_SHARDS }, async (_, shard) => {
        let sum = 0;
        let startKey: Record<string, unknown> | undefined;
        do {
          const out = await this.db.send(
            new QueryCommand({
              TableName: this.table,
              KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
              ExpressionAttributeValues: { ':pk': counterPk(sdkAppId, shard), ':from': pad(fromMinute, 10), ':to': pad(toMinute, 10) },
              ProjectionExpression: '#f',
              ExpressionAttributeNames: { '#f': field },
              ExclusiveStartKey: startKey,
            }),
          );
          for (const item of out.Items ?? []) sum += Number(item[field] ?? 0);
          startKey = out.LastEvaluatedKey;
        } while (startKey);
        return sum;
      }),
    );
    return sums.reduce((a, b) => a + b, 0);
  }

  private byTime(sdkAppId: number, query: Pick<RecordQuery, 'fromSec' | 'toSec' | 'callResult' | 'callType'>) {
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

  private async countRecords(sdkAppId: number, query: Pick<RecordQuery, 'fromSec' | 'toSec' | 'callResult' | 'callType'>): Promise<number> {
    let total = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(new QueryCommand({ ...this.byTime(sdkAppId, query), Select: 'COUNT', ExclusiveStartKey: startKey }));
      total += out.Count ?? 0;
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return total;
  }

  async dailyStats(sdkAppId: number, day: string): Promise<DailyStats> {
    const start = Math.floor(Date.parse(`${day}T00:00:00Z`) / 1000);
    const [calls, single, multi, participants, records] = await Promise.all([
      this.sumCounters(sdkAppId, start / 60, start / 60 + 1439, counterField()),
      this.sumCounters(sdkAppId, start / 60, start / 60 + 1439, counterField(undefined, 'SingleCall')),
      this.sumCounters(sdkAppId, start / 60, start / 60 + 1439, counterField(undefined, 'MultiCall')),
      this.countParticipants(sdkAppId, day),
      this.dayRecords(sdkAppId, start),
    ]);
    // The overview's figure is the larger of the 1v1 maximum and the group maximum (product-features.md).
    const peak = (type: string) => maxConcurrent(records.filter((r) => r.CallType === type));
    return { day, calls, singleCalls: single, multiCalls: multi, participants, maxConcurrentCalls: Math.max(peak('SingleCall'), peak('MultiCall')) };
  }

  private async countParticipants(sdkAppId: number, day: string): Promise<number> {
    let total = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({ TableName: this.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': participantsPk(sdkAppId, day) }, Select: 'COUNT', ExclusiveStartKey: startKey }),
      );
      total += out.Count ?? 0;
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return total;
  }

  /** Start and end of every call that started that day (for the day's peak of simultaneous calls). */
  private async dayRecords(sdkAppId: number, start: number): Promise<{ StartTime: number; EndTime: number; CallType: string }[]> {
    const spans: { StartTime: number; EndTime: number; CallType: string }[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({ ...this.byTime(sdkAppId, { fromSec: start, toSec: start + 86399 }), ProjectionExpression: '#r.StartTime, #r.EndTime, #r.CallType', ExpressionAttributeNames: { '#r': 'record' }, ExclusiveStartKey: startKey }),
      );
      for (const item of out.Items ?? []) spans.push(item.record as { StartTime: number; EndTime: number; CallType: string });
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return spans;
  }
}
