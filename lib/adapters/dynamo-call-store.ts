import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Call } from '../calls/types.ts';
import { callKey, pad } from '../store/keys.ts';
import { SWEEP_SHARDS } from '../store/schema.ts';
import { VersionConflictError, type CallRef, type CallStore, type OutboxEntry, type StoredAnswer, type StoredCall } from '../ports/store.ts';
import { isConditionFailed } from './dynamo-errors.ts';

/** How long a call item stays after its last change (replayed requests and late 8010 answers need it). */
const CALL_ITEM_TTL_SEC = 24 * 3600;

/** Deterministic shard of a call in the sweeper index. */
export function sweepShard(callId: string): number {
  let h = 0;
  for (let i = 0; i < callId.length; i++) h = (h * 31 + callId.charCodeAt(i)) | 0;
  return Math.abs(h) % SWEEP_SHARDS;
}

/** Live calls are found by room (REST `dismiss_room`); numeric 123 and string "123" are different rooms. */
export const roomKey = (sdkAppId: number, roomId: number | string) => `ROOM#${sdkAppId}#${typeof roomId}:${roomId}`;

/**
 * The sweeper index: live calls under `SWEEP#<shard>` by their next deadline, ended calls under
 * `SETTLE#<shard>` by when to check their record (read once, past a cursor: no write per call).
 */
const sweepKeys = (call: Call, sweepAt: number) => ({
  gsi2pk: `${call.status === 'ended' ? 'SETTLE' : 'SWEEP'}#${sweepShard(call.callId)}`,
  gsi2sk: `${pad(sweepAt)}#${call.sdkAppId}#${call.callId}`,
});

/** The call a sweeper index key names (`<deadline>#<sdkAppId>#<callId>`). */
function refOf(gsi2sk: string): CallRef {
  const [, app, callId] = gsi2sk.split('#');
  return { sdkAppId: Number(app), callId: callId ?? '' };
}

/** Where the sweeper got to in each `SETTLE#` shard. */
const SETTLE_CURSOR_KEY = { pk: 'SWEEPER', sk: 'SETTLE_CURSOR' };

/** Ended calls expire a day after their end; live calls never expire (a call may last longer than a day). */
const expiresAt = (endedAt: number) => Math.floor(endedAt / 1000) + CALL_ITEM_TTL_SEC;

/** Calls in DynamoDB: one item per call, replaced only by conditional writes on `version`. */
export class DynamoCallStore implements CallStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async getCall(sdkAppId: number, callId: string): Promise<StoredCall | undefined> {
    const placed = await this.getPlaced(sdkAppId, callId);
    return placed && 'call' in placed ? placed : undefined;
  }

  async getPlaced(sdkAppId: number, callId: string): Promise<StoredCall | { mergedInto: string } | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: callKey(sdkAppId, callId), ConsistentRead: true }));
    if (!out.Item) return undefined;
    if (typeof out.Item.mergedInto === 'string') return { mergedInto: out.Item.mergedInto };
    const { call, version, requests, origin, outbox } = out.Item as StoredCall;
    return { call, version, requests: requests ?? {}, origin, outbox: outbox ?? [] };
  }

  async markMerged(sdkAppId: number, callId: string, into: string, now: number): Promise<void> {
    try {
      await this.db.send(
        new PutCommand({ TableName: this.table, Item: { ...callKey(sdkAppId, callId), mergedInto: into, expiresAt: expiresAt(now) }, ConditionExpression: 'attribute_not_exists(pk)' }),
      );
    } catch (err) {
      // Already noted by an earlier attempt of the same request.
      if (!isConditionFailed(err)) throw err;
    }
  }

  async createCall(call: Call, origin: StoredCall['origin'], sweepAt: number | undefined, outbox: OutboxEntry[]): Promise<boolean> {
    const item = {
      ...callKey(call.sdkAppId, call.callId),
      call,
      version: 1,
      requests: {},
      origin,
      outbox,
      ...(call.endedAt === undefined ? { gsi1pk: roomKey(call.sdkAppId, call.roomId), gsi1sk: call.callId } : { expiresAt: expiresAt(call.endedAt) }),
      ...(sweepAt === undefined ? {} : sweepKeys(call, sweepAt)),
    };
    try {
      await this.db.send(new PutCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  }

  async saveCall(call: Call, expectedVersion: number, sweepAt: number | undefined, answer?: { key: string; answer: StoredAnswer }, outbox?: OutboxEntry[]): Promise<void> {
    const names: Record<string, string> = { '#call': 'call', '#version': 'version' };
    const values: Record<string, unknown> = {
      ':call': call,
      ':expected': expectedVersion,
      ':next': expectedVersion + 1,
    };
    const set = ['#call = :call', '#version = :next'];
    const remove: string[] = [];
    if (call.endedAt !== undefined) {
      values[':exp'] = expiresAt(call.endedAt);
      set.push('expiresAt = :exp');
      remove.push('gsi1pk', 'gsi1sk');
    }
    if (outbox) {
      values[':outbox'] = outbox;
      set.push('outbox = :outbox');
    }
    if (answer) {
      names['#requests'] = 'requests';
      names['#rk'] = answer.key;
      values[':answer'] = answer.answer;
      set.push('#requests.#rk = :answer');
    }
    if (sweepAt === undefined) {
      remove.push('gsi2pk', 'gsi2sk');
    } else {
      const keys = sweepKeys(call, sweepAt);
      values[':gpk'] = keys.gsi2pk;
      values[':gsk'] = keys.gsi2sk;
      set.push('gsi2pk = :gpk', 'gsi2sk = :gsk');
    }
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: callKey(call.sdkAppId, call.callId),
          UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
          ConditionExpression: '#version = :expected',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (err) {
      if (isConditionFailed(err)) throw new VersionConflictError(call.callId, { cause: err });
      throw err;
    }
  }

  async liveCallInRoom(sdkAppId: number, roomId: number | string): Promise<string | undefined> {
    const out = await this.db.send(
      new QueryCommand({ TableName: this.table, IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :pk', ExpressionAttributeValues: { ':pk': roomKey(sdkAppId, roomId) }, Limit: 1 }),
    );
    return out.Items?.[0]?.gsi1sk as string | undefined;
  }

  async dueCalls(before: number, limit: number): Promise<CallRef[]> {
    const shards = Array.from({ length: SWEEP_SHARDS }, (_, i) => i);
    const pages = await Promise.all(
      shards.map((shard) =>
        this.db.send(
          new QueryCommand({
            TableName: this.table,
            IndexName: 'gsi2',
            KeyConditionExpression: 'gsi2pk = :pk AND gsi2sk <= :before',
            ExpressionAttributeValues: { ':pk': `SWEEP#${shard}`, ':before': `${pad(before)}#~` },
            Limit: limit,
          }),
        ),
      ),
    );
    return pages.flatMap((p) => (p.Items ?? []).map((item) => refOf(String(item.gsi2sk))));
  }

  async endedCallsToSettle(before: number, limit: number): Promise<{ calls: CallRef[]; done: () => Promise<void> }> {
    const cursorItem = await this.db.send(new GetCommand({ TableName: this.table, Key: SETTLE_CURSOR_KEY, ConsistentRead: true }));
    const cursors = { ...((cursorItem.Item?.cursors as Record<string, string> | undefined) ?? {}) };
    const shards = Array.from({ length: SWEEP_SHARDS }, (_, i) => String(i));
    const pages = await Promise.all(
      shards.map(async (shard) => {
        const out = await this.db.send(
          new QueryCommand({
            TableName: this.table,
            IndexName: 'gsi2',
            KeyConditionExpression: 'gsi2pk = :pk AND gsi2sk BETWEEN :after AND :before',
            ExpressionAttributeValues: { ':pk': `SETTLE#${shard}`, ':after': cursors[shard] ?? '0', ':before': `${pad(before)}#~` },
            Limit: limit + 1,
          }),
        );
        // BETWEEN includes the cursor: the item it names was settled by the previous sweep.
        const items = (out.Items ?? []).filter((item) => item.gsi2sk !== cursors[shard]);
        const last = items.at(-1);
        if (last) cursors[shard] = String(last.gsi2sk);
        return items.map((item) => refOf(String(item.gsi2sk)));
      }),
    );
    const moved = shards.some((shard) => cursors[shard] !== (cursorItem.Item?.cursors as Record<string, string> | undefined)?.[shard]);
    return {
      calls: pages.flat(),
      // One write per sweep (not per call), and only when a shard moved on.
      done: async () => {
        if (moved) await this.db.send(new PutCommand({ TableName: this.table, Item: { ...SETTLE_CURSOR_KEY, cursors } }));
      },
    };
  }
}
