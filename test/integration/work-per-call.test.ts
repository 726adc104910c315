import { describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { RawClient } from '../support/raw-client.ts';
import { TEST_TIMING, useTestStack, wsUrlFor } from '../support/local-stack.ts';

let rt: LocalRuntime;
const WRITES = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'];
const READS = ['GetItem', 'Query', 'BatchGetItem', 'Scan'];
const count = (ops: string[]) => ops.reduce((sum, op) => sum + (rt.dynamoRequests.get(op) ?? 0), 0);

// Ended calls are settled by the next sweep (no minute's wait).
useTestStack((r) => (rt = r), { timing: { ...TEST_TIMING, settleCheckSec: 0.001 } });

describe('work per call', () => {
  it('keeps a full 1v1 lifecycle (calls, accept, hangup, the late ring timer) within 10 writes and 6 reads, the sweeper\'s settle check included', async () => {
    const alice = await RawClient.login(wsUrlFor(rt, 'wk-a'), 'wk-a');
    const bob = await RawClient.login(wsUrlFor(rt, 'wk-b'), 'wk-b');
    // The app and its callback configuration are cached per process, as on a warm Lambda.
    await rt.deps.apps.getApp(rt.demoApp.sdkAppId);
    await rt.deps.callbackConfigs.get(rt.demoApp.sdkAppId);
    rt.dynamoRequests.clear();

    const { callId } = (await alice.request('calls', { userIdList: ['wk-b'], mediaType: 'Audio', params: { timeout: 1 } })).data;
    await bob.event('onCallReceived');
    await bob.request('accept', { callId });
    await alice.event('onCallBegin');
    await alice.request('hangup', { callId });
    await Promise.all([alice.event('onCallEnd'), bob.event('onCallEnd')]);
    // The ring timer still fires at the deadline and finds the call ended.
    await expect.poll(() => rt.timersQueue.size().delayed + rt.timersQueue.size().inFlight + rt.timersQueue.size().visible, { timeout: 5_000 }).toBe(0);

    const writes = count(WRITES);
    const reads = count(READS);
    // 8 for the call itself, 2 for what keeps records cheap to read (minute counter, participant markers).
    expect({ writes, reads, ops: Object.fromEntries(rt.dynamoRequests) }).toMatchObject({ writes: 10, reads: 5 });
    expect(writes).toBeLessThanOrEqual(10);
    expect(reads).toBeLessThanOrEqual(6);

    // The sweeper settles the ended call with one read (its record is there: nothing to finish) and
    // no write; per sweep, whatever the number of calls: the cursor read, 2 × 8 shard queries, the cursor write.
    rt.dynamoRequests.clear();
    expect(await rt.sweepNow()).toMatchObject({ settled: 1 });
    expect(Object.fromEntries(rt.dynamoRequests)).toEqual({ GetItem: 2, Query: 16, PutItem: 1 });
    rt.dynamoRequests.clear();
    expect(await rt.sweepNow()).toMatchObject({ settled: 0 });
    expect(Object.fromEntries(rt.dynamoRequests)).toEqual({ GetItem: 1, Query: 16 });
    await Promise.all([alice.close(), bob.close()]);
  });
});

describe('call metrics', () => {
  it('counts calls started and ended by result', async () => {
    const before = rt.metrics.counts.get('CallEnded:Reject') ?? 0;
    const alice = await RawClient.login(wsUrlFor(rt, 'mt-a'), 'mt-a');
    const bob = await RawClient.login(wsUrlFor(rt, 'mt-b'), 'mt-b');
    const { callId } = (await alice.request('calls', { userIdList: ['mt-b'], mediaType: 'Audio' })).data;
    await bob.event('onCallReceived');
    await bob.request('reject', { callId });
    await alice.event('onCallNotConnected');
    expect(rt.metrics.counts.get('CallStarted:SingleCall')).toBeGreaterThan(0);
    expect(rt.metrics.counts.get('CallEnded:Reject')).toBe(before + 1);
    await Promise.all([alice.close(), bob.close()]);
  });
});
