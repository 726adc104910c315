import type { SQSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeHandler as makeTimers } from '../../functions/timers.ts';
import type { App } from '../../lib/apps/app.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { VersionConflictError } from '../../lib/ports/store.ts';
import { CallbackReceiver } from '../support/callback-receiver.ts';
import { RawClient } from '../support/raw-client.ts';
import { createApp, TEST_TIMING, urlIn, useTestStack } from '../support/local-stack.ts';
import { rest } from '../support/rest-client.ts';

/**
 * Faults injected at the ports of a real local stack: a handler dying between two effects (with and
 * without a retry), storage throttling, version-conflict storms, lost, duplicated and out-of-order
 * queue deliveries, a gone connection, an app server down for longer than the retry schedule.
 * Each scenario checks the invariants it touches and what is visible outside: answers, events,
 * records, callbacks.
 */
let rt: LocalRuntime;
/** DynamoDB requests to refuse as throttled (each SDK attempt takes one), set by the throttling tests. */
let throttleNext = 0;
useTestStack((r) => (rt = r), {
  // The failures below are on purpose: their error logs would only be noise.
  logLevel: 'SILENT',
  // Ended calls are settled by the next sweep; callbacks retry 20× faster than documented.
  timing: { ...TEST_TIMING, settleCheckSec: 0.001 },
  callbackPolicy: { retryScale: 0.05, timeoutMs: 300 },
  instrumentDynamo: (client) => {
    // Inside the SDK's retry loop, as a real throttled response would be.
    (client.middlewareStack as { add: (mw: unknown, options: unknown) => void }).add(
      (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
        if (throttleNext > 0) {
          throttleNext -= 1;
          throw Object.assign(new Error('The level of configured provisioned throughput for the table was exceeded.'), {
            name: 'ProvisionedThroughputExceededException',
            $fault: 'client',
            $metadata: { httpStatusCode: 400 },
          });
        }
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'throttleFault' },
    );
  },
});

const receiver = new CallbackReceiver();
let url = '';
beforeAll(async () => {
  url = await receiver.start();
});
afterAll(async () => {
  await receiver.stop();
});

/** Undoes every port replaced by a test. */
const restores: (() => void)[] = [];
afterEach(() => {
  for (const r of restores.splice(0).reverse()) r();
  throttleNext = 0;
  receiver.answer = 'ok';
});

/** Replaces one method of a port for the rest of the test. */
function replace<T extends object, K extends keyof T>(target: T, key: K, impl: (original: T[K]) => T[K]): void {
  const original = target[key];
  target[key] = impl((original as (...a: unknown[]) => unknown).bind(target) as T[K]);
  restores.push(() => (target[key] = original));
}

/** A "Lambda died here" failure for the next call of a port method, once. */
function dieOnce<T extends object, K extends keyof T>(target: T, key: K): { died: () => boolean } {
  let died = false;
  replace(target, key, (original) => (async (...args: unknown[]) => {
    if (!died) {
      died = true;
      throw new Error('Runtime exited: the function died here');
    }
    return (original as (...a: unknown[]) => Promise<unknown>)(...args);
  }) as T[K]);
  return { died: () => died };
}

async function appWithCallbacks(): Promise<App> {
  const app = await createApp(rt);
  const set = await rest(rt, 'v4/call_config/set_callback', { Url: url, CallbackCommandList: ['Call.CallbackAfterStartCall', 'Call.CallbackAfterEndCall'] }, { app });
  expect(set.body.ErrorCode).toBe(0);
  return app;
}

async function connectedCall(app: App, names = ['alice', 'bob']): Promise<{ callId: string; clients: RawClient[] }> {
  const clients = await Promise.all(names.map((n) => RawClient.login(urlIn(rt, app, n), n)));
  const { callId } = (await clients[0]!.request('calls', { userIdList: names.slice(1), mediaType: 'Audio' })).data;
  for (const c of clients.slice(1)) {
    await c.event('onCallReceived', (f) => f.callId === callId);
    expect((await c.request('accept', { callId })).code).toBe(0);
  }
  return { callId, clients };
}

const commandsOf = (callId: string) => receiver.ofCall(callId).map((r) => r.query.command ?? r.body.CallbackCommand);
const linesFree = async (app: App, names: string[]) => (await Promise.all(names.map((n) => rt.deps.users.getUser(app.sdkAppId, n)))).every((v) => v.line === undefined);
const closeAll = (clients: RawClient[]) => Promise.all(clients.map((c) => c.close()));

describe('a handler that dies between two effects', () => {
  it('is finished by the client\'s retry of the same request: one record, each callback once, lines freed', async () => {
    const app = await appWithCallbacks();
    const { callId, clients } = await connectedCall(app);
    const [alice, bob] = clients as [RawClient, RawClient];
    const enqueued: string[] = [];
    replace(rt.deps.callbacks, 'send', (original) => async (body, options) => (enqueued.push(JSON.parse(body).command), original(body, options)));
    // The hangup's write lands, its lines are freed and callbacks enqueued, then it dies before the record.
    const crash = dieOnce(rt.deps.records, 'putRecord');
    const first = await alice.request('hangup', { callId }, 'hang-1');
    expect(crash.died()).toBe(true);
    expect(first.code).toBe(101001);
    expect(await rt.deps.records.getRecord(app.sdkAppId, callId)).toBeUndefined();
    // The SDK sends the same request again: the stored answer, and the effects carried out again.
    const retried = await alice.request('hangup', { callId }, 'hang-1');
    expect(retried.code).toBe(0);
    expect((await rt.deps.records.getRecord(app.sdkAppId, callId))?.CallResult).toBe('NormalEnd');
    await bob.event('onCallEnd', (f) => f.callId === callId);
    expect(new Set(bob.events('onCallEnd').map((f) => f.seq)).size).toBe(1);
    expect(await linesFree(app, ['alice', 'bob'])).toBe(true);
    await expect.poll(() => commandsOf(callId), { timeout: 5_000 }).toEqual(['Call.CallbackAfterStartCall', 'Call.CallbackAfterEndCall']);
    // AfterEndCall was enqueued twice (the first attempt, then the retry's redo) and reached the app
    // server once: the worker drops the copy (at once, or on redelivery if both were in flight together).
    expect(enqueued.filter((c) => c === 'Call.CallbackAfterEndCall')).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(commandsOf(callId)).toEqual(['Call.CallbackAfterStartCall', 'Call.CallbackAfterEndCall']);
    await closeAll(clients);
  });

  it('is finished by the sweeper when nobody retries: the record and the callbacks appear once', async () => {
    const app = await appWithCallbacks();
    const { callId, clients } = await connectedCall(app);
    const [alice, bob] = clients as [RawClient, RawClient];
    // This time it dies before the callbacks were enqueued (and so before the record), and the client is gone.
    dieOnce(rt.deps.callbacks, 'send');
    expect((await alice.request('hangup', { callId })).code).toBe(101001);
    expect(await rt.deps.records.getRecord(app.sdkAppId, callId)).toBeUndefined();
    await alice.close();
    const finished = rt.metrics.counts.get('EndedCallFinishedBySweeper') ?? 0;
    expect((await rt.sweepNow()).settled).toBeGreaterThanOrEqual(1);
    expect(rt.metrics.counts.get('EndedCallFinishedBySweeper')).toBe(finished + 1);
    const record = await rt.deps.records.getRecord(app.sdkAppId, callId);
    expect(record).toMatchObject({ CallId: callId, CallResult: 'NormalEnd' });
    await bob.event('onCallEnd', (f) => f.callId === callId);
    expect(await linesFree(app, ['alice', 'bob'])).toBe(true);
    await expect.poll(() => commandsOf(callId), { timeout: 5_000 }).toEqual(['Call.CallbackAfterStartCall', 'Call.CallbackAfterEndCall']);
    // A later sweep finds nothing left to settle and writes nothing more.
    await rt.sweepNow();
    expect(await rt.deps.records.getRecord(app.sdkAppId, callId)).toEqual(record);
    await bob.close();
  });

  it('is finished when SQS delivers its ring timer again: the timeout\'s record once', async () => {
    const app = await appWithCallbacks();
    const [alice, bob] = await Promise.all(['alice', 'bob'].map((n) => RawClient.login(urlIn(rt, app, n), n))) as [RawClient, RawClient];
    // Keep the ring timer out of the queue, to deliver it by hand.
    const held: string[] = [];
    replace(rt.deps.timers, 'send', (original) => async (body, options) => (JSON.parse(body).type === 'ringTimeout' ? void held.push(body) : original(body, options)));
    const { callId } = (await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio', params: { timeout: 1 } })).data;
    await bob.event('onCallReceived');
    expect(held).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1_100));
    const timers = makeTimers(rt.deps);
    const delivery = (): SQSEvent => ({ Records: [{ messageId: 'm-1', body: held[0]! }] }) as unknown as SQSEvent;
    dieOnce(rt.deps.records, 'putRecord');
    // The first delivery dies after the write: the whole batch fails, and SQS delivers the message again.
    await expect(timers(delivery())).rejects.toThrow(/All records failed processing/);
    expect(await rt.deps.records.getRecord(app.sdkAppId, callId)).toBeUndefined();
    expect((await timers(delivery())).batchItemFailures).toEqual([]);
    expect((await rt.deps.records.getRecord(app.sdkAppId, callId))?.CallResult).toBe('NotAnswer');
    // A third, duplicate delivery changes nothing.
    expect((await timers(delivery())).batchItemFailures).toEqual([]);
    await alice.event('onUserNoResponse', (f) => f.callId === callId);
    expect(new Set(bob.events('onCallNotConnected').map((f) => f.seq)).size).toBe(1);
    expect(await linesFree(app, ['alice', 'bob'])).toBe(true);
    await expect.poll(() => commandsOf(callId), { timeout: 5_000 }).toEqual(['Call.CallbackAfterStartCall', 'Call.CallbackAfterEndCall']);
    await closeAll([alice, bob]);
  });
});

describe('storage faults', () => {
  it('retries throttled requests (the SDK\'s jittered backoff) and answers as if nothing happened', async () => {
    const app = await createApp(rt);
    const [alice, bob] = await Promise.all(['alice', 'bob'].map((n) => RawClient.login(urlIn(rt, app, n), n))) as [RawClient, RawClient];
    throttleNext = 2;
    const placed = await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' });
    expect(placed.code).toBe(0);
    expect(throttleNext).toBe(0);
    await bob.event('onCallReceived');
    expect((await alice.request('hangup', { callId: placed.data.callId })).code).toBe(0);
    await closeAll([alice, bob]);
  });

  it('answers a documented "busy, retry" once throttling outlasts the retries, changing nothing; the retry then works', async () => {
    const app = await createApp(rt);
    const { callId, clients } = await connectedCall(app);
    const [alice] = clients as [RawClient, RawClient];
    const before = await rt.deps.calls.getCall(app.sdkAppId, callId);
    throttleNext = 1_000;
    const busy = await alice.request('hangup', { callId }, 'busy-1');
    expect(busy).toMatchObject({ code: -1401, message: expect.stringMatching(/busy.*storage throttled.*retry/) });
    const rejected = await rest(rt, 'v4/call_engine_http_srv/get_call_info', { CallId: callId }, { app });
    expect(rejected.body).toMatchObject({ ErrorCode: 60007, ErrorInfo: expect.stringMatching(/storage throttled/) });
    throttleNext = 0;
    expect(await rt.deps.calls.getCall(app.sdkAppId, callId)).toEqual(before);
    expect((await alice.request('hangup', { callId }, 'busy-1')).code).toBe(0);
    expect((await rt.deps.records.getRecord(app.sdkAppId, callId))?.CallResult).toBe('NormalEnd');
    expect(rt.metrics.counts.get('StoreThrottled')).toBeGreaterThanOrEqual(2);
    await closeAll(clients);
  });

  it('answers -1401 "changing too fast" when every attempt of a change loses a version conflict, and nothing is half done', async () => {
    const app = await createApp(rt);
    const { callId, clients } = await connectedCall(app);
    const [alice, bob] = clients as [RawClient, RawClient];
    const before = await rt.deps.calls.getCall(app.sdkAppId, callId);
    let attempts = 0;
    replace(rt.deps.calls, 'saveCall', () => async (call) => {
      attempts += 1;
      throw new VersionConflictError(call.callId);
    });
    const answer = await alice.request('hangup', { callId });
    expect(answer).toMatchObject({ code: -1401, message: expect.stringMatching(/changing too fast; retry/) });
    expect(attempts).toBe(8);
    restores.pop()?.();
    expect(await rt.deps.calls.getCall(app.sdkAppId, callId)).toEqual(before);
    expect(bob.events('onCallEnd')).toEqual([]);
    expect((await alice.request('hangup', { callId })).code).toBe(0);
    await bob.event('onCallEnd');
    await closeAll(clients);
  });
});

describe('queue faults', () => {
  it('ends a call whose ring timer was lost: the sweeper times it out, with its record and callbacks', async () => {
    const app = await appWithCallbacks();
    const [alice, bob] = await Promise.all(['alice', 'bob'].map((n) => RawClient.login(urlIn(rt, app, n), n))) as [RawClient, RawClient];
    replace(rt.deps.timers, 'send', (original) => async (body, options) => (JSON.parse(body).type === 'ringTimeout' ? undefined : original(body, options)));
    const { callId } = (await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio', params: { timeout: 1 } })).data;
    await bob.event('onCallReceived');
    await new Promise((r) => setTimeout(r, 1_100));
    expect((await rt.deps.calls.getCall(app.sdkAppId, callId))?.call.status).not.toBe('ended');
    await rt.sweepNow();
    expect((await rt.deps.records.getRecord(app.sdkAppId, callId))?.CallResult).toBe('NotAnswer');
    await alice.event('onUserNoResponse', (f) => f.callId === callId);
    await bob.event('onCallNotConnected', (f) => f.callId === callId);
    expect(await linesFree(app, ['alice', 'bob'])).toBe(true);
    await expect.poll(() => commandsOf(callId), { timeout: 5_000 }).toEqual(['Call.CallbackAfterStartCall', 'Call.CallbackAfterEndCall']);
    await closeAll([alice, bob]);
  });

  it('lets duplicated and out-of-order ring timers and early ones change nothing but the due invitation', async () => {
    const app = await createApp(rt);
    const names = ['host', 'g1', 'g2'];
    const [host, g1, g2] = await Promise.all(names.map((n) => RawClient.login(urlIn(rt, app, n), n))) as [RawClient, RawClient, RawClient];
    const held: string[] = [];
    replace(rt.deps.timers, 'send', (original) => async (body, options) => (JSON.parse(body).type === 'ringTimeout' ? void held.push(body) : original(body, options)));
    const { callId } = (await host.request('calls', { userIdList: ['g1'], mediaType: 'Audio', params: { timeout: 1, chatGroupId: 'team' } })).data;
    await g1.event('onCallReceived');
    expect((await g1.request('accept', { callId })).code).toBe(0);
    expect((await host.request('inviteUser', { callId, userIdList: ['g2'], params: { timeout: 30 } })).code).toBe(0);
    await g2.event('onCallReceived');
    expect(held).toHaveLength(2);
    const [firstTimer, laterTimer] = held as [string, string];
    const timers = makeTimers(rt.deps);
    const sqs = (bodies: string[]): SQSEvent => ({ Records: bodies.map((body, i) => ({ messageId: `m-${i}`, body })) }) as unknown as SQSEvent;
    // The 30 s timer arrives early, then the 1 s one three times at once, late, after it: g1 already answered.
    expect((await timers(sqs([laterTimer, firstTimer, firstTimer, firstTimer]))).batchItemFailures).toEqual([]);
    const stored = await rt.deps.calls.getCall(app.sdkAppId, callId);
    expect(stored?.call.status).toBe('connected');
    expect(stored?.call.members.map((m) => [m.userId, m.state])).toEqual([['host', 'joined'], ['g1', 'joined'], ['g2', 'ringing']]);
    expect(g2.events('onCallEnd')).toEqual([]);
    await closeAll([host, g1, g2]);
  });

  it('delivers each callback once when the queue hands them over out of order and twice', async () => {
    const app = await appWithCallbacks();
    const held: { body: string; options?: { delayMs?: number } }[] = [];
    replace(rt.deps.callbacks, 'send', () => async (body, options) => void held.push({ body, ...(options ? { options } : {}) }));
    const { callId, clients } = await connectedCall(app);
    expect((await clients[0]!.request('hangup', { callId })).code).toBe(0);
    expect(held).toHaveLength(2);
    restores.pop()?.();
    const dropped = rt.metrics.counts.get('CallbackDuplicateDropped') ?? 0;
    for (const { body } of [...held].reverse()) await rt.deps.callbacks.send(body);
    await expect.poll(() => receiver.ofCall(callId).length, { timeout: 5_000 }).toBe(2);
    // The same two again, once delivered (copies in flight together would wait for a redelivery).
    for (const { body } of held) await rt.deps.callbacks.send(body);
    await expect.poll(() => rt.metrics.counts.get('CallbackDuplicateDropped') ?? 0, { timeout: 5_000 }).toBeGreaterThanOrEqual(dropped + 2);
    expect(receiver.ofCall(callId)).toHaveLength(2);
    // Out of order on the wire, in order by Seq for the app server (EventId and Seq say which is which).
    expect(receiver.ofCall(callId).map((r) => [r.body.EventId, r.body.Seq])).toEqual([[`${callId}.1`, 1], [expect.stringMatching(new RegExp(`^${callId}\\.`)), expect.any(Number)]]);
    expect(receiver.ofCall(callId).map((r) => r.body.Seq)[1]).toBeGreaterThan(1);
    await closeAll(clients);
  });
});

describe('delivery faults', () => {
  it('forgets a device whose connection is gone (410) and goes on with the call', async () => {
    const app = await createApp(rt);
    const { callId, clients } = await connectedCall(app);
    const [alice, bob] = clients as [RawClient, RawClient];
    const [bobDevice] = (await rt.deps.users.getUser(app.sdkAppId, 'bob')).devices;
    replace(rt.deps.connections, 'post', (original) => async (connectionId, frame) => (connectionId === bobDevice!.connectionId ? 'gone' : original(connectionId, frame)));
    expect((await alice.request('switchCallMediaType', { callId, mediaType: 'Video' })).code).toBe(0);
    await expect.poll(async () => (await rt.deps.users.getUser(app.sdkAppId, 'bob')).devices.length).toBe(0);
    expect((await rt.deps.calls.getCall(app.sdkAppId, callId))?.call.status).toBe('connected');
    expect((await alice.request('hangup', { callId })).code).toBe(0);
    expect((await rt.deps.records.getRecord(app.sdkAppId, callId))?.CallResult).toBe('NormalEnd');
    await closeAll(clients);
  });

  it('keeps a callback whose app server is down past the retry schedule in the dead letters, then delivers it once on replay', async () => {
    const app = await appWithCallbacks();
    receiver.answer = 'http500';
    const first: string[] = [];
    replace(rt.deps.callbacks, 'send', (original) => async (body, options) => (first.push(body), original(body, options)));
    const [alice, bob] = await Promise.all(['alice', 'bob'].map((n) => RawClient.login(urlIn(rt, app, n), n))) as [RawClient, RawClient];
    const { callId } = (await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' })).data;
    // Six attempts reach the app server, all refused; then the message waits in the dead letters.
    await expect.poll(() => receiver.ofCall(callId).length, { timeout: 8_000 }).toBe(6);
    const letters = async () => (await rest(rt, 'v4/callsignal_callback_svc/list_dead_letters', {}, { app })).body.Response.DeadLetterList as unknown[];
    await expect.poll(letters, { timeout: 5_000, interval: 200 }).toHaveLength(1);
    receiver.answer = 'ok';
    const replayed = await rest(rt, 'v4/callsignal_callback_svc/replay_dead_letters', {}, { app });
    expect(replayed.body.Response).toEqual({ Replayed: 1 });
    await expect.poll(() => receiver.ofCall(callId).length, { timeout: 5_000 }).toBe(7);
    expect(await letters()).toEqual([]);
    // A stray copy of the first message (SQS redelivering it late): the app server already has it.
    const dropped = rt.metrics.counts.get('CallbackDuplicateDropped') ?? 0;
    await rt.callbacksQueue.send(first[0]!);
    await expect.poll(() => rt.metrics.counts.get('CallbackDuplicateDropped') ?? 0, { timeout: 5_000 }).toBeGreaterThanOrEqual(dropped + 1);
    expect(receiver.ofCall(callId)).toHaveLength(7);
    await alice.request('hangup', { callId });
    await closeAll([alice, bob]);
  });
});
