import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../lib/apps/app.ts';
import { verifyCallbackSignature } from '../../lib/callbacks/signing.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { CallbackReceiver } from '../support/callback-receiver.ts';
import { RawClient } from '../support/raw-client.ts';
import { createApp, urlIn, useTestStack } from '../support/local-stack.ts';
import { fixture, rest } from '../support/rest-client.ts';

/** Retries 20× faster than documented (1, 1, 2, 3, 5 s → 50, 50, 100, 150, 250 ms), attempts time out after 300 ms. */
let rt: LocalRuntime;
useTestStack((r) => (rt = r), { callbackPolicy: { retryScale: 0.05, timeoutMs: 300 } });
const receiver = new CallbackReceiver();
let url = '';
const ALL_V4 = ['Call.CallbackAfterStartCall', 'Call.CallbackAfterEndCall', 'Call.CallbackAfterMemberChanged', 'Call.CallbackOfflinePush'];

beforeAll(async () => {
  url = await receiver.start();
});
afterAll(async () => {
  await receiver.stop();
});

const typeOf = (x: unknown) => (Array.isArray(x) ? 'array' : x === null ? 'null' : typeof x);
/** Field names and JSON types, recursively (arrays by their first element; an empty array fits any array). */
function shape(x: unknown): unknown {
  if (Array.isArray(x)) return x.length ? ['array', shape(x[0])] : ['array'];
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, shape(v)]));
  return typeOf(x);
}
function sameShape(actual: unknown, documented: unknown): boolean {
  if (Array.isArray(actual) && Array.isArray(documented)) return actual.length === 1 || documented.length === 1 || sameShape(actual[1], documented[1]);
  if (actual && typeof actual === 'object' && documented && typeof documented === 'object') {
    const a = actual as Record<string, unknown>;
    const d = documented as Record<string, unknown>;
    return Object.keys(d).every((k) => k in a && sameShape(a[k], d[k])) && Object.keys(a).every((k) => k in d);
  }
  return actual === documented;
}
const withoutOurs = ({ EventId: _e, Seq: _s, ...rest }: Record<string, any>) => rest;

/** The app's dead letters (polled at most 5 times a second: the endpoint has its own rate limit, 60007 past it). */
async function deadLetters(app: App): Promise<unknown[]> {
  return ((await rest(rt, 'v4/callsignal_callback_svc/list_dead_letters', {}, { app })).body.Response?.DeadLetterList as unknown[] | undefined) ?? [];
}

async function appWithCallbacks(commands = ALL_V4): Promise<App> {
  const app = await createApp(rt);
  expect((await rest(rt, 'v4/call_config/set_callback', { Url: url, CallbackCommandList: commands }, { app })).body.ErrorCode).toBe(0);
  return app;
}

describe('v4 callbacks', () => {
  it('sends StartCall, MemberChanged and EndCall for a 1v1 call in Seq order, with the documented bodies, signed', async () => {
    const app = await appWithCallbacks();
    const [a, b] = await Promise.all(['alice', 'bob'].map((u) => RawClient.login(urlIn(rt, app, u), u)));
    const { callId } = (await a!.request('calls', { userIdList: ['bob'], mediaType: 'Audio' })).data;
    await b!.event('onCallReceived');
    await b!.request('accept', { callId });
    await a!.event('onCallBegin');
    await a!.request('hangup', { callId });
    await expect.poll(() => receiver.ofCall(callId).length, { timeout: 5_000 }).toBe(4);
    const got = receiver.ofCall(callId);
    expect(got.map((r) => r.query.CallbackCommand)).toEqual(['Call.CallbackAfterStartCall', 'Call.CallbackAfterMemberChanged', 'Call.CallbackAfterMemberChanged', 'Call.CallbackAfterEndCall']);
    expect(got.map((r) => r.body.ChangedUserList?.[0]?.ActionType)).toEqual([undefined, 'Accept', 'Hangup', undefined]);
    expect(got.map((r) => r.body.Seq)).toEqual([1, 2, 3, 4]);
    for (const r of got) {
      const command = r.query.CallbackCommand!;
      const documented = shape(await fixture(`callback.v4.${command}.request.json`));
      // StartCall's CallInfo also carries MediaType (DESIGN.md), beside the example's CallMediaType.
      const actual = shape(withoutOurs(r.body)) as Record<string, any>;
      if (actual.CallInfo) delete actual.CallInfo.MediaType;
      expect(sameShape(actual, documented), `${command}: ${JSON.stringify(actual)} vs ${JSON.stringify(documented)}`).toBe(true);
      expect(r.query).toMatchObject({ SdkAppid: String(app.sdkAppId), contenttype: 'json' });
      expect(verifyCallbackSignature(app.callbackSecret, r.headers, r.rawBody, Math.floor(Date.now() / 1000))).toBe(true);
      expect(r.body.EventId).toBe(`${callId}.${r.body.Seq}`);
    }
    expect(got[1]!.query).toMatchObject({ OptPlatform: 'Web', ClientIP: '127.0.0.1' });
    expect(got[3]!.body.CallRecord).toMatchObject({ CallId: callId, CallResult: 'NormalEnd' });
    // Sent after the record was written: the app server can read it at once.
    expect((await rest(rt, 'v4/call_record_http_srv/get_record_by_callid', { CallId: callId }, { app })).body.ErrorCode).toBe(0);
    await Promise.all([a!.close(), b!.close()]);
  });

  it('reports every member change of a group call, and only the configured commands', async () => {
    const app = await appWithCallbacks(['Call.CallbackAfterMemberChanged']);
    const [a, b, c, d] = await Promise.all(['a', 'b', 'c', 'd'].map((u) => RawClient.login(urlIn(rt, app, u), u)));
    const { callId } = (await a!.request('calls', { userIdList: ['b', 'c'], mediaType: 'Audio', params: { timeout: 1 } })).data;
    await b!.event('onCallReceived');
    await b!.request('accept', { callId });
    await a!.request('inviteUser', { callId, userIdList: ['d'] });
    await d!.event('onCallReceived');
    await d!.request('reject', { callId });
    await c!.event('onCallNotConnected');
    await b!.request('hangup', { callId });
    await expect.poll(() => receiver.ofCall(callId).length, { timeout: 5_000 }).toBe(5);
    const actions = receiver.ofCall(callId).map((r) => r.body.ChangedUserList.map((x: { User_Account: string; ActionType: string }) => `${x.User_Account}:${x.ActionType}`).join());
    expect(actions).toEqual(['b:Accept', 'd:Invite', 'd:Reject', 'c:NotAnswer', 'b:Hangup']);
    await Promise.all([a, b, c, d].map((x) => x!.close()));
  });

  it('hands an invitation to an offline callee to the app server for a push, and withdraws it', async () => {
    const app = await appWithCallbacks(['Call.CallbackOfflinePush']);
    const a = await RawClient.login(urlIn(rt, app, 'a'), 'a');
    await (await RawClient.login(urlIn(rt, app, 'phone'), 'phone')).close();
    await expect.poll(async () => (await rt.deps.users.getUser(app.sdkAppId, 'phone')).devices.length).toBe(0);
    const { callId } = (await a.request('calls', { userIdList: ['phone'], mediaType: 'Video', params: { offlinePushInfo: { title: 'Call', desc: 'a is calling' } } })).data;
    await expect.poll(() => receiver.ofCall(callId).length, { timeout: 5_000 }).toBe(1);
    expect(receiver.ofCall(callId)[0]!.body).toMatchObject({ Kind: 'Invite', To_Account: 'phone', Caller_Account: 'a', OfflinePushInfo: { title: 'Call', desc: 'a is calling' } });
    await a.request('hangup', { callId });
    await expect.poll(() => receiver.ofCall(callId).map((r) => r.body.Kind), { timeout: 5_000 }).toEqual(['Invite', 'Cancel']);
    await a.close();
  });
});

describe('delivery', () => {
  it('retries a failing app server 5 times on the documented schedule, then dead-letters, then replays', async () => {
    const app = await appWithCallbacks(['Call.CallbackAfterStartCall']);
    const [a, b] = await Promise.all(['a', 'b'].map((u) => RawClient.login(urlIn(rt, app, u), u)));
    receiver.answer = 'http500';
    const { callId } = (await a!.request('calls', { userIdList: ['b'], mediaType: 'Audio' })).data;
    await expect.poll(() => receiver.ofCall(callId).length, { timeout: 8_000 }).toBe(6);
    const attempts = receiver.ofCall(callId);
    const gaps = attempts.slice(1).map((r, i) => r.at - attempts[i]!.at);
    [50, 50, 100, 150, 250].forEach((min, i) => expect(gaps[i], `gap ${i + 1}`).toBeGreaterThanOrEqual(min - 5));
    expect(new Set(attempts.map((r) => r.body.EventId)).size).toBe(1);
    await expect.poll(async () => (await deadLetters(app)).length, { interval: 200 }).toBe(1);
    receiver.answer = 'ok';
    expect((await rest(rt, 'v4/callsignal_callback_svc/replay_dead_letters', {}, { app })).body.Response.Replayed).toBe(1);
    await expect.poll(() => receiver.ofCall(callId).length, { timeout: 5_000 }).toBe(7);
    expect(receiver.ofCall(callId).at(-1)!.body.EventId).toBe(attempts[0]!.body.EventId);
    expect((await rest(rt, 'v4/callsignal_callback_svc/list_dead_letters', {}, { app })).body.Response.DeadLetterList).toEqual([]);
    for (const metric of ['CallbackDelivered', 'CallbackFailed', 'CallbackRetried', 'CallbackDeadLettered']) expect(rt.metrics.counts.get(metric), metric).toBeGreaterThan(0);
    await a!.request('hangup', { callId });
    await Promise.all([a!.close(), b!.close()]);
  });

  it('counts ErrorCode ≠ 0 and timeouts as failures', async () => {
    for (const answer of ['errorCode', 'hang'] as const) {
      const app = await appWithCallbacks(['Call.CallbackAfterStartCall']);
      const [a, b] = await Promise.all(['a', 'b'].map((u) => RawClient.login(urlIn(rt, app, u), u)));
      receiver.answer = answer;
      const { callId } = (await a!.request('calls', { userIdList: ['b'], mediaType: 'Audio' })).data;
      await expect.poll(() => receiver.ofCall(callId).length, { timeout: 10_000 }).toBe(6);
      await expect.poll(async () => (await deadLetters(app)).length, { timeout: 5_000, interval: 200 }).toBe(1);
      receiver.answer = 'ok';
      await a!.request('hangup', { callId });
      await Promise.all([a!.close(), b!.close()]);
    }
  });

  it('dead-letters callbacks to an app server that refuses connections', async () => {
    const app = await createApp(rt);
    await rest(rt, 'v4/call_config/set_callback', { Url: 'http://127.0.0.1:9/nothing-listens', CallbackCommandList: ['Call.CallbackAfterStartCall'] }, { app });
    const [a, b] = await Promise.all(['a', 'b'].map((u) => RawClient.login(urlIn(rt, app, u), u)));
    await a!.request('calls', { userIdList: ['b'], mediaType: 'Audio' });
    let letters: unknown[] = [];
    await expect.poll(async () => (letters = await deadLetters(app)).length, { timeout: 8_000, interval: 200 }).toBe(1);
    const [letter] = letters;
    expect(letter).toMatchObject({ Attempts: 6, Command: 'Call.CallbackAfterStartCall' });
    await Promise.all([a!.close(), b!.close()]);
  });

  it('drops a duplicate queue delivery of a callback already delivered: the app server hears it once', async () => {
    const app = await appWithCallbacks(['Call.CallbackAfterStartCall']);
    const [a, b] = await Promise.all(['a', 'b'].map((u) => RawClient.login(urlIn(rt, app, u), u)));
    const sent: string[] = [];
    const dropped = rt.metrics.counts.get('CallbackDuplicateDropped') ?? 0;
    const original = rt.callbacksQueue.send.bind(rt.callbacksQueue);
    rt.callbacksQueue.send = async (body, options) => {
      sent.push(body);
      await original(body, options);
      await original(body, { delayMs: 1_500 }); // SQS delivers at least once (here after the first copy was delivered)
    };
    const { callId } = (await a!.request('calls', { userIdList: ['b'], mediaType: 'Audio' })).data;
    rt.callbacksQueue.send = original;
    await expect.poll(() => rt.metrics.counts.get('CallbackDuplicateDropped') ?? 0, { timeout: 8_000 }).toBe(dropped + 1);
    expect(sent).toHaveLength(1);
    expect(receiver.ofCall(callId).map((r) => r.body.EventId)).toEqual([`${callId}.1`]);
    await a!.request('hangup', { callId });
    await Promise.all([a!.close(), b!.close()]);
  });
});

describe('legacy callbacks', () => {
  it('sends status and event callbacks for the configured actions, with lower-case parameters', async () => {
    const app = await createApp(rt);
    expect((await rest(rt, 'v1/callback/set', { address: url, actions: ['caller_start_call', 'callee_accept_call', 'normal_end'] }, { app })).body.errorCode).toBe(0);
    const [a, b] = await Promise.all(['a', 'b'].map((u) => RawClient.login(urlIn(rt, app, u), u)));
    const { callId } = (await a!.request('calls', { userIdList: ['b'], mediaType: 'Video' })).data;
    await b!.event('onCallReceived');
    await b!.request('accept', { callId });
    await a!.request('hangup', { callId });
    await expect.poll(() => receiver.ofCall(callId).map((r) => r.query.command), { timeout: 5_000 }).toEqual(['caller_start_call', 'callee_accept_call', 'normal_end']);
    const [start, , end] = receiver.ofCall(callId);
    expect(start!.query).toMatchObject({ sdkappid: String(app.sdkAppId), contenttype: 'json', optplatform: 'Web' });
    expect(shape(withoutOurs(start!.body))).toEqual(shape(await fixture('callback.legacy.event.request.json')));
    expect(end!.body).toMatchObject({ CallResult: 'normal_end', MediaType: 'video', CallType: 'single' });
    await Promise.all([a!.close(), b!.close()]);
  });
});

describe('the SSRF guard', () => {
  let strict: LocalRuntime;
  useTestStack((r) => (strict = r), { callbackPolicy: { allowLoopback: false } });

  it('refuses private, loopback, link-local and metadata callback URLs at configuration time', async () => {
    for (const target of ['http://127.0.0.1/cb', 'http://10.1.2.3/cb', 'http://169.254.169.254/latest', 'http://[::1]/cb', 'http://[fe80::1]/cb', 'http://localhost/cb']) {
      const answer = await rest(strict, 'v4/call_config/set_callback', { Url: target, CallbackCommandList: ['Call.CallbackAfterEndCall'] });
      expect([answer.body.ErrorCode, target]).toEqual([100002, target]);
      expect(answer.body.ErrorInfo).toMatch(/refused/);
      expect((await rest(strict, 'v1/callback/set', { address: target, actions: ['normal_end'] })).body.errorCode).toBe(70001);
    }
  });
});
