import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAppStore } from '../../lib/adapters/dynamo-app-store.ts';
import { DynamoCallStore } from '../../lib/adapters/dynamo-call-store.ts';
import { DynamoRecordStore } from '../../lib/adapters/dynamo-record-store.ts';
import { DynamoUserStore } from '../../lib/adapters/dynamo-user-store.ts';
import { newApp } from '../../lib/apps/app.ts';
import { startCall } from '../../lib/calls/start.ts';
import { toRecord } from '../../lib/calls/record.ts';
import type { Call } from '../../lib/calls/types.ts';
import { ensureTable, startDynalite } from '../../lib/local/dynamo.ts';
import { VersionConflictError } from '../../lib/ports/store.ts';
import { documentClient } from '../../lib/wiring.ts';

const TABLE = 'stores-test';
let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let calls: DynamoCallStore;
let users: DynamoUserStore;
let apps: DynamoAppStore;
let records: DynamoRecordStore;

const device = (connectionId: string) => ({ connectionId, loginId: `l-${connectionId}`, deviceId: `d-${connectionId}`, platform: 'Web' as const });
function sampleCall(callId: string, now = 1_000_000): Call {
  return startCall({
    type: 'start',
    now,
    callId,
    sdkAppId: 7,
    caller: { userId: 'a', device: device('ca') },
    invitees: [{ userId: 'b', ringTargets: [device('cb')], busy: false }],
    mediaType: 'Audio',
    callType: 'SingleCall',
    roomId: 42,
    roomIdType: 1,
    timeoutSec: 30,
    userData: '',
    chatGroupId: '',
  }).call;
}

beforeAll(async () => {
  dynamo = await startDynalite({ port: 0, host: '127.0.0.1' });
  await ensureTable(dynamo.endpoint, TABLE);
  const db = documentClient({ dynamoEndpoint: dynamo.endpoint, local: true });
  calls = new DynamoCallStore(db, TABLE);
  users = new DynamoUserStore(db, TABLE);
  apps = new DynamoAppStore(db, TABLE);
  records = new DynamoRecordStore(db, TABLE);
});
afterAll(async () => {
  await dynamo?.close();
});

describe('DynamoCallStore on dynalite', () => {
  it('creates a call once: a second create with the same id reports it existed', async () => {
    const call = sampleCall('c-create');
    const outbox = [{ key: 'u|ca|r1', effects: [{ kind: 'timer' as const, at: 9 }], callbacks: ['{"eventId":"e"}'] }];
    expect(await calls.createCall(call, { deviceId: 'ca', requestId: 'r1' }, 5, outbox)).toBe(true);
    expect(await calls.createCall(call, { deviceId: 'ca', requestId: 'r1' }, 5, [])).toBe(false);
    const stored = await calls.getCall(7, 'c-create');
    expect(stored).toMatchObject({ version: 1, requests: {}, origin: { deviceId: 'ca', requestId: 'r1' }, outbox });
    expect(stored?.call).toEqual(call);
  });

  it('lets exactly one of 32 concurrent writers of the same version win', async () => {
    const call = sampleCall('c-race');
    await calls.createCall(call, { deviceId: 'ca', requestId: 'r' }, undefined, []);
    const results = await Promise.allSettled(
      Array.from({ length: 32 }, (_, i) => calls.saveCall({ ...call, userData: `w${i}` }, 1, undefined, { key: `k${i}`, answer: { action: 'accept', data: {} } })),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof VersionConflictError)).toBe(true);
    const stored = await calls.getCall(7, 'c-race');
    expect(stored?.version).toBe(2);
    expect(Object.keys(stored?.requests ?? {})).toEqual([`k${stored?.call.userData.slice(1)}`]);
  });

  it('finds live calls by deadline in the sweeper index, and drops them from it once saved without one', async () => {
    const call = sampleCall('c-due');
    await calls.createCall(call, { deviceId: 'ca', requestId: 'r' }, 2_000, []);
    expect((await calls.dueCalls(1_999, 50)).map((d) => d.callId)).not.toContain('c-due');
    expect(await calls.dueCalls(2_000, 50)).toContainEqual({ sdkAppId: 7, callId: 'c-due' });
    const ending = [{ key: 'v2', effects: [{ kind: 'releaseLine' as const, userId: 'u' }], callbacks: [] }];
    await calls.saveCall({ ...call, status: 'ended', endedAt: 3_000 }, 1, undefined, undefined, ending);
    expect((await calls.dueCalls(10_000, 50)).map((d) => d.callId)).not.toContain('c-due');
    // The outbox is replaced by the write that gives one, and kept by a write that gives none.
    expect((await calls.getCall(7, 'c-due'))?.outbox).toEqual(ending);
    await calls.saveCall({ ...call, status: 'ended', endedAt: 3_000 }, 2, undefined);
    expect((await calls.getCall(7, 'c-due'))?.outbox).toEqual(ending);
  });

  it('keeps a glare merge at the merged request\'s call id: found by getPlaced, invisible to getCall, and blocking a new call there', async () => {
    const target = sampleCall('c-merge-target');
    await calls.createCall(target, { deviceId: 'ca', requestId: 'r' }, undefined, []);
    await calls.markMerged(7, 'c-merged', 'c-merge-target', 1_000);
    await calls.markMerged(7, 'c-merged', 'c-other', 2_000);
    expect(await calls.getPlaced(7, 'c-merged')).toEqual({ mergedInto: 'c-merge-target' });
    expect(await calls.getCall(7, 'c-merged')).toBeUndefined();
    expect(await calls.createCall(sampleCall('c-merged'), { deviceId: 'cb', requestId: 'r' }, undefined, [])).toBe(false);
    expect(await calls.getPlaced(7, 'c-merge-target')).toMatchObject({ call: { callId: 'c-merge-target' }, version: 1 });
    // A call id that has a call is never turned into a merge.
    await calls.markMerged(7, 'c-merge-target', 'c-other', 3_000);
    expect(await calls.getCall(7, 'c-merge-target')).toMatchObject({ call: { callId: 'c-merge-target' } });
    expect(await calls.getPlaced(7, 'c-nothing')).toBeUndefined();
  });

  it('hands each ended call to the settle check once, when its time came, across sweeps and pages', async () => {
    const settleIds = async (before: number, limit = 50) => {
      const { calls: due, done } = await calls.endedCallsToSettle(before, limit);
      await done();
      return due.map((s) => s.callId).filter((id) => id.startsWith('c-settle'));
    };
    const ids = Array.from({ length: 12 }, (_, i) => `c-settle-${i}`);
    for (const [i, id] of ids.entries()) {
      const call = sampleCall(id);
      await calls.createCall(call, { deviceId: 'ca', requestId: 'r' }, 5_000, []);
      await calls.saveCall({ ...call, status: 'ended', endedAt: 6_000 + i }, 1, 70_000 + i, undefined, [{ key: 'v2', effects: [], callbacks: [] }]);
    }
    // Ended calls are not live deadlines, and none is due before its settle time.
    expect((await calls.dueCalls(1e12, 100)).map((d) => d.callId)).not.toContain(ids[0]);
    expect(await settleIds(69_999)).toEqual([]);
    // One page per shard per sweep (limit 1 here): every call comes once, by its ids, however many sweeps it takes.
    const seen: string[] = [];
    for (let sweep = 0; sweep < 20; sweep++) seen.push(...(await settleIds(70_005, 1)));
    expect(seen.sort()).toEqual(ids.slice(0, 6).sort());
    expect((await calls.endedCallsToSettle(1e12, 50)).calls.find((c) => c.callId === ids[6])).toEqual({ sdkAppId: 7, callId: ids[6] });
    expect((await settleIds(1e12)).sort()).toEqual(ids.slice(6).sort());
    expect(await settleIds(1e12)).toEqual([]);
  });
});

describe('DynamoUserStore on dynalite', () => {
  it('reads profile, devices and line of a user with one query', async () => {
    await users.recordLogin(7, 'u1', 100);
    await users.putDevice(7, 'u1', { ...device('d1'), ip: '1.2.3.4', loginAt: 100, lastSeenAt: 100, credentialExpiresAt: 999, loginRequestId: 'r' });
    await users.acquireLine(7, 'u1', 'call-1', 100);
    const view = await users.getUser(7, 'u1');
    expect(view.profile).toMatchObject({ userId: 'u1', createdAt: 100, multiDeviceAbility: false, loggedOut: false });
    expect(view.devices.map((d) => d.connectionId)).toEqual(['d1']);
    expect(view.line).toMatchObject({ callId: 'call-1' });
    expect(await users.getUser(7, 'nobody')).toEqual({ devices: [] });
  });

  it('gives a line to one call at a time; the same call may take it again; release frees only its own', async () => {
    expect(await users.acquireLine(7, 'u2', 'x', 1)).toEqual({ acquired: true, alreadyOurs: false });
    expect(await users.acquireLine(7, 'u2', 'x', 2)).toEqual({ acquired: true, alreadyOurs: true, previousSince: 1 });
    expect(await users.acquireLine(7, 'u2', 'y', 3)).toEqual({ acquired: false, heldBy: 'x', since: 1 });
    await users.releaseLine(7, 'u2', 'y');
    expect(await users.acquireLine(7, 'u2', 'y', 4)).toEqual({ acquired: false, heldBy: 'x', since: 1 });
    // A stale hold is taken over only as it was seen: a request that stamped the line again since keeps it.
    expect(await users.acquireLine(7, 'u2', 'y', 5, { stale: { callId: 'x', since: 0.5 } })).toEqual({ acquired: false, heldBy: 'x', since: 1 });
    expect(await users.acquireLine(7, 'u2', 'y', 5, { stale: { callId: 'x', since: 1 } })).toEqual({ acquired: true, alreadyOurs: false });
    await users.releaseLine(7, 'u2', 'y');
    expect((await users.getUser(7, 'u2')).line).toBeUndefined();
  });

  it('counts a caller\'s calls per minute on her line, across releases, and starts again next minute', async () => {
    const minute = 29_000_000 * 60_000;
    const take = (callId: string, at: number) => users.acquireLine(7, 'rl', callId, at, { callsPerMinute: 2 });
    expect(await take('c1', minute + 1_000)).toEqual({ acquired: true, alreadyOurs: false });
    await users.releaseLine(7, 'rl', 'c1');
    expect((await users.getUser(7, 'rl')).line).toBeUndefined();
    expect(await take('c2', minute + 2_000)).toEqual({ acquired: true, alreadyOurs: false });
    await users.releaseLine(7, 'rl', 'c2');
    // The third call of the minute is refused, with the time left in the window; the line stays free.
    expect(await take('c3', minute + 20_000)).toEqual({ acquired: false, limitedForMs: 40_000 });
    expect((await users.getUser(7, 'rl')).line).toBeUndefined();
    // A busy line is reported as busy, not as limited; a retry of the call holding it is not refused.
    expect(await users.acquireLine(7, 'rl', 'in', minute + 21_000)).toEqual({ acquired: true, alreadyOurs: false });
    expect(await take('c4', minute + 22_000)).toEqual({ acquired: false, heldBy: 'in', since: minute + 21_000 });
    expect(await take('in', minute + 23_000)).toEqual({ acquired: true, alreadyOurs: true, previousSince: minute + 21_000 });
    await users.releaseLine(7, 'rl', 'in');
    // Being called does not count: the next minute starts a new window.
    expect(await take('c5', minute + 60_000)).toEqual({ acquired: true, alreadyOurs: false });
  });

  it('frees a line only for the part of the call that took it (since), and keeps since when she is in the call already', async () => {
    expect(await users.acquireLine(7, 'ep', 'call', 100)).toEqual({ acquired: true, alreadyOurs: false });
    // Her first part ends; before its line is freed, she is invited again (the line is still the call's: a new part, a new since).
    expect(await users.acquireLine(7, 'ep', 'call', 200, { freshSince: true })).toEqual({ acquired: true, alreadyOurs: true, previousSince: 100 });
    await users.releaseLine(7, 'ep', 'call', 100);
    expect((await users.getUser(7, 'ep')).line).toEqual({ callId: 'call', since: 200 });
    // Taking it again while in the call (a retried request, a join while ringing) keeps the part's since.
    expect(await users.acquireLine(7, 'ep', 'call', 300)).toEqual({ acquired: true, alreadyOurs: true, previousSince: 200 });
    await users.releaseLine(7, 'ep', 'call', 200);
    expect((await users.getUser(7, 'ep')).line).toBeUndefined();
  });

  it('lets exactly one of many concurrent calls take a free line', async () => {
    const attempts = await Promise.all(Array.from({ length: 20 }, (_, i) => users.acquireLine(7, 'u3', `call-${i}`, i)));
    expect(attempts.filter((a) => a.acquired)).toHaveLength(1);
  });

  it('keeps users of different apps apart', async () => {
    await users.recordLogin(8, 'u1', 5);
    expect((await users.getUser(8, 'u1')).devices).toEqual([]);
    expect((await users.getUser(7, 'u1')).devices).toHaveLength(1);
  });
});

describe('DynamoAppStore and DynamoRecordStore on dynalite', () => {
  it('creates an app once and keeps one record per call however often it is written, counted once', async () => {
    const app = newApp({ sdkAppId: 77, name: 'x', secretKey: 's', callbackSecret: 'c', now: 1 });
    expect(await apps.createApp(app)).toBe(true);
    expect(await apps.createApp({ ...app, name: 'y' })).toBe(false);
    expect((await apps.getApp(77))?.name).toBe('x');
    const ended = { ...sampleCall('c-rec'), status: 'ended' as const, endedAt: 2_000_000, result: 'Cancel' as const };
    await records.putRecord(7, toRecord(ended), 90);
    await records.putRecord(7, toRecord(ended), 90);
    expect(await records.getRecord(7, 'c-rec')).toEqual(toRecord(ended));
    expect(await records.getRecord(8, 'c-rec')).toBeUndefined();
    const all = await records.queryRecords(7, { fromSec: 0, toSec: 10_000, page: 1, perPage: 10 });
    expect([all.total, all.records.length]).toEqual([1, 1]);
  });

  it('keeps TotalNum exact from the minute counters and the partial minutes at the ends', async () => {
    const base = 1_800_000_000 - (1_800_000_000 % 60);
    const at = [base - 5, base, base + 59, base + 60, base + 61, base + 3_600, base + 3_659, base + 3_660];
    for (const [i, t] of at.entries()) {
      const call = { ...sampleCall(`c-count-${i}`, t * 1000), status: 'ended' as const, endedAt: t * 1000 + 5000, result: (i % 2 ? 'Reject' : 'NormalEnd') as 'Reject' | 'NormalEnd' };
      await records.putRecord(9, toRecord(call), 90);
    }
    const total = async (fromSec: number, toSec: number, callResult?: 'Reject') => (await records.queryRecords(9, { fromSec, toSec, page: 1, perPage: 1, ...(callResult ? { callResult } : {}) })).total;
    for (const [from, to] of [[base - 10, base + 4_000], [base + 1, base + 60], [base + 30, base + 3_659], [base, base], [base + 61, base + 3_600]] as const) {
      expect(await total(from, to), `${from - base}..${to - base}`).toBe(at.filter((t) => t >= from && t <= to).length);
    }
    expect(await total(base - 10, base + 4_000, 'Reject')).toBe(at.filter((_, i) => i % 2).length);
    const stats = await records.dailyStats(9, new Date(base * 1000).toISOString().slice(0, 10));
    expect(stats.participants).toBe(2);
    expect(stats.maxConcurrentCalls).toBeGreaterThanOrEqual(1);
  });
});
