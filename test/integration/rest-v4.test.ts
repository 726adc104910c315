import { describe, expect, it } from 'vitest';
import { genUserSig } from '../../lib/auth/usersig.ts';
import type { CallRecord } from '../../lib/calls/types.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { ALL_ROUTES } from '../../lib/rest/routes.ts';
import { RawClient } from '../support/raw-client.ts';
import { createApp, urlIn, useTestStack, wsUrlFor } from '../support/local-stack.ts';
import { fixture, rest } from '../support/rest-client.ts';

let rt: LocalRuntime;
// The documented examples call back to www.example.com: trusted as a deployment would list it (no DNS here).
useTestStack((r) => (rt = r), { callbackPolicy: { allowedHosts: ['www.example.com', 'www.example2.com'] } });

/** The JSON type of a value, as the spec's tables speak of them. */
const typeOf = (x: unknown) => (Array.isArray(x) ? 'array' : x === null ? 'null' : typeof x);
/** Field names and JSON types, recursively (arrays by their first element). */
function shape(x: unknown): unknown {
  if (Array.isArray(x)) return x.length ? ['array', shape(x[0])] : ['array'];
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, shape(v)]));
  return typeOf(x);
}

async function finishedCall(a: string, b: string): Promise<string> {
  const alice = await RawClient.login(wsUrlFor(rt, a), a);
  const bob = await RawClient.login(wsUrlFor(rt, b), b);
  const { callId } = (await alice.request('calls', { userIdList: [b], mediaType: 'Audio', params: { roomId: 'roomid-1434' } })).data;
  await bob.event('onCallReceived');
  await bob.request('accept', { callId });
  await alice.event('onCallBegin');
  await alice.request('hangup', { callId });
  await bob.event('onCallEnd');
  await Promise.all([alice.close(), bob.close()]);
  return callId;
}

describe('v4 call APIs with the documented examples', () => {
  it('accepts every v4 request example as-is and answers exactly the documented fields and types', async () => {
    const callId = await finishedCall('fx-a', 'fx-b');
    const alice = await RawClient.login(wsUrlFor(rt, 'fx-c'), 'fx-c');
    const bob = await RawClient.login(wsUrlFor(rt, 'fx-d'), 'fx-d');
    const live = (await alice.request('calls', { userIdList: ['fx-d'], mediaType: 'Audio' })).data.callId;
    await bob.event('onCallReceived');
    const cases: [string, string, Record<string, unknown>?][] = [
      ['call_config/set_callback', 'rest.v4.set_callback'],
      ['call_config/get_callback', 'rest.v4.get_callback'],
      ['call_engine_http_srv/get_call_info', 'rest.v4.get_call_info', { CallId: live }],
      ['call_record_http_srv/get_record_by_callid', 'rest.v4.get_record_by_callid', { CallId: callId }],
      ['call_record_http_srv/get_record_by_filter', 'rest.v4.get_record_by_filter', { StartTime: 0, EndTime: Math.floor(Date.now() / 1000) + 60, Page: 1 }],
      ['call_config/delete_callback', 'rest.v4.delete_callback'],
    ];
    for (const [path, name, override] of cases) {
      const request = { ...(await fixture(`${name}.request.json`)), ...override };
      const answer = await rest(rt, `v4/${path}`, request);
      expect(answer.status).toBe(200);
      expect(answer.body.ErrorCode, `${path}: ${answer.body.ErrorInfo}`).toBe(0);
      expect(shape(answer.body), path).toEqual(shape(await fixture(`${name}.response.json`)));
    }
    // The documented filter example as-is: its window ends before the 7-day look-back, so nothing matches.
    const asDocumented = await rest(rt, 'v4/call_record_http_srv/get_record_by_filter', await fixture('rest.v4.get_record_by_filter.request.json'));
    expect(asDocumented.body).toMatchObject({ ErrorCode: 0, Response: { TotalNum: 0, Page: 0, CallRecordList: [] } });
    const basic = await rest(rt, 'v4/call_record_http_srv/get_record_by_filter', await fixture('rest.v4.get_record_by_filter.request.basic.json'));
    expect(basic.body.Response.CallRecordList.map((r: CallRecord) => r.CallId)).toContain(callId);
    expect((await rest(rt, 'v4/call_engine_http_srv/get_call_info', { CallId: live })).body.Response.UserList).toEqual([
      { User_Account: 'fx-c', Status: 'Calling' },
      { User_Account: 'fx-d', Status: 'Waiting' },
    ]);
    await alice.request('hangup', { callId: live });
    await Promise.all([alice.close(), bob.close()]);
  });

  it('answers each documented error code', async () => {
    const app = rt.demoApp;
    const expired = genUserSig({ sdkAppId: app.sdkAppId, userId: 'administrator', key: app.secretKeys[0]!, expireSec: 1, nowSec: 1_000 });
    const otherApp = await createApp(rt);
    const otherAppSig = genUserSig({ sdkAppId: otherApp.sdkAppId, userId: 'administrator', key: otherApp.secretKeys[0]!, expireSec: 600 });
    const table: [string, () => ReturnType<typeof rest>, number][] = [
      ['bad JSON', () => rest(rt, 'v4/call_config/get_callback', undefined, { rawBody: '{oops' }), 60003],
      ['empty body', () => rest(rt, 'v4/call_config/get_callback', undefined, { rawBody: '' }), 60003],
      ['array body', () => rest(rt, 'v4/call_config/get_callback', undefined, { rawBody: '[]' }), 60003],
      ['GET', () => rest(rt, 'v4/call_config/get_callback', undefined, { method: 'GET' }), 60002],
      ['bad random', () => rest(rt, 'v4/call_config/get_callback', {}, { query: { random: '99999999999' } }), 60002],
      ['garbage sig', () => rest(rt, 'v4/call_config/get_callback', {}, { usersig: 'garbage' }), 60004],
      ['another app\'s sig', () => rest(rt, 'v4/call_config/get_callback', {}, { usersig: otherAppSig }), 60004],
      ['expired sig', () => rest(rt, 'v4/call_config/get_callback', {}, { usersig: expired }), 60005],
      ['unknown app', () => rest(rt, 'v4/call_config/get_callback', {}, { query: { sdkappid: '999' } }), 60006],
      ['unknown API', () => rest(rt, 'v4/call_config/teleport', {}), 60009],
      ['non-admin', () => rest(rt, 'v4/call_config/get_callback', {}, { identifier: 'someone' }), 60010],
      ['no sdkappid', () => rest(rt, 'v4/call_config/get_callback', {}, { query: { sdkappid: '' } }), 60012],
      ['no such call', () => rest(rt, 'v4/call_engine_http_srv/get_call_info', { CallId: 'nope' }), 101004],
      ['CallId missing', () => rest(rt, 'v4/call_engine_http_srv/get_call_info', {}), 101002],
      ['no record', () => rest(rt, 'v4/call_record_http_srv/get_record_by_callid', { CallId: 'nope' }), 101050],
      ['StartTime after EndTime', () => rest(rt, 'v4/call_record_http_srv/get_record_by_filter', { StartTime: Math.floor(Date.now() / 1000), EndTime: 5 }), 101002],
      ['NumberPerPage over 100', () => rest(rt, 'v4/call_record_http_srv/get_record_by_filter', { NumberPerPage: 101 }), 101002],
      ['ftp callback URL', () => rest(rt, 'v4/call_config/set_callback', { Url: 'ftp://x', CallbackCommandList: [] }), 100002],
      ['unknown command', () => rest(rt, 'v4/call_config/set_callback', { Url: 'https://x.example', CallbackCommandList: ['Call.Nope'] }), 100002],
      ['no callback config', () => rest(rt, 'v4/call_config/get_callback', {}, { app: otherApp }), 100301],
    ];
    for (const [what, call, code] of table) {
      const { status, body } = await call();
      expect(status, what).toBe(200);
      expect([body.ErrorCode, body.ActionStatus], `${what}: ${body.ErrorInfo}`).toEqual([code, 'FAIL']);
      expect(body.ErrorInfo, what).not.toBe('');
      expect(typeof body.RequestId).toBe('string');
    }
  });

  it('limits requests per app and endpoint across the whole service (60007), leaving other apps alone', async () => {
    const limited = await createApp(rt, { restRatePerSec: 3 });
    const free = await createApp(rt);
    const burst = await Promise.all(Array.from({ length: 12 }, () => rest(rt, 'v4/call_config/delete_callback', {}, { app: limited })));
    const codes = burst.map((r) => r.body.ErrorCode);
    expect(codes.filter((c) => c === 60007).length).toBeGreaterThan(0);
    expect(codes.every((c) => c === 0 || c === 60007)).toBe(true);
    expect((await rest(rt, 'v4/call_config/delete_callback', {}, { app: free })).body.ErrorCode).toBe(0);
  });
});

describe('ending a call from the server', () => {
  it('ends a live call by CallId: every device is told EndByServer and the record is written', async () => {
    const app = await createApp(rt);
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((u) => RawClient.login(urlIn(rt, app, u), u)));
    const { callId } = (await a!.request('calls', { userIdList: ['b', 'c'], mediaType: 'Video' })).data;
    await b!.event('onCallReceived');
    await b!.request('accept', { callId });
    await a!.event('onCallBegin');
    expect((await rest(rt, 'v4/call_engine_http_srv/end_call', { CallId: callId }, { app })).body.ErrorCode).toBe(0);
    for (const m of [a!, b!]) expect((await m.event('onCallEnd')).data).toMatchObject({ reason: 'EndByServer', userId: 'administrator' });
    expect((await c!.event('onCallNotConnected')).data.reason).toBe('EndByServer');
    expect((await rt.deps.records.getRecord(app.sdkAppId, callId))?.CallResult).toBe('NormalEnd');
    expect((await rest(rt, 'v4/call_engine_http_srv/end_call', { CallId: callId }, { app })).body.ErrorCode).toBe(101004);
    await Promise.all([a!, b!, c!].map((x) => x.close()));
  });

  it('ends the live call of a room by RoomId, integer or string, and nothing else', async () => {
    const app = await createApp(rt);
    const [a, b, c, d] = await Promise.all(['a', 'b', 'c', 'd'].map((u) => RawClient.login(urlIn(rt, app, u), u)));
    const numeric = (await a!.request('calls', { userIdList: ['b'], mediaType: 'Audio', params: { roomId: 1234 } })).data.callId;
    const text = (await c!.request('calls', { userIdList: ['d'], mediaType: 'Audio', params: { roomId: '1234' } })).data.callId;
    await Promise.all([b!.event('onCallReceived'), d!.event('onCallReceived')]);
    expect((await rest(rt, 'v4/call_engine_http_srv/dismiss_room', { RoomId: '1234' }, { app })).body.ErrorCode).toBe(0);
    expect((await d!.event('onCallNotConnected')).data.reason).toBe('EndByServer');
    expect((await rest(rt, 'v4/call_engine_http_srv/get_call_info', { CallId: numeric }, { app })).body.ErrorCode).toBe(0);
    expect((await rest(rt, 'v4/call_engine_http_srv/get_call_info', { CallId: text }, { app })).body.ErrorCode).toBe(101004);
    expect((await rest(rt, 'v4/call_engine_http_srv/dismiss_room', { RoomId: 1234 }, { app })).body.ErrorCode).toBe(0);
    expect((await b!.event('onCallNotConnected')).data.reason).toBe('EndByServer');
    expect((await rest(rt, 'v4/call_engine_http_srv/dismiss_room', { RoomId: 1234 }, { app })).body.ErrorCode).toBe(101004);
    await Promise.all([a!, b!, c!, d!].map((x) => x.close()));
  });
});

describe('records at scale', () => {
  it('pages through a few thousand records with the 7-day clamp, filters and TotalNum', async () => {
    const app = await createApp(rt);
    const now = Math.floor(Date.now() / 1000);
    const old = now - 8 * 86400;
    const records: CallRecord[] = Array.from({ length: 2_000 }, (_, i) => ({
      CallId: `gen-${String(i).padStart(5, '0')}`,
      Caller_Account: 'a',
      MediaType: 'Audio',
      CallType: i % 4 === 0 ? 'MultiCall' : 'SingleCall',
      StartTime: (i < 100 ? old : now - 3600) + i,
      EndTime: now - 60,
      AcceptTime: 0,
      CallResult: i % 3 === 0 ? 'NormalEnd' : 'Cancel',
      CalleeList_Account: ['a', 'b'],
      RoomId: '1',
      RoomIdType: 1,
    }));
    for (let i = 0; i < records.length; i += 50) await Promise.all(records.slice(i, i + 50).map((r) => rt.deps.records.putRecord(app.sdkAppId, r, 90)));
    const inWindow = records.filter((r) => r.StartTime >= now - 7 * 86400);
    const filter = (body: Record<string, unknown>) => rest(rt, 'v4/call_record_http_srv/get_record_by_filter', body, { app }).then((r) => r.body.Response);

    const first = await filter({ StartTime: 0, NumberPerPage: 100, Page: 1 });
    expect(first.TotalNum).toBe(inWindow.length);
    expect(first.Page).toBe(1);
    expect(first.CallRecordList.map((r: CallRecord) => r.CallId)).toEqual(inWindow.slice(0, 100).map((r) => r.CallId));
    const lastPage = Math.ceil(inWindow.length / 100);
    const last = await filter({ StartTime: 0, NumberPerPage: 100, Page: lastPage });
    expect(last.Page).toBe(0);
    expect(last.CallRecordList.at(-1).CallId).toBe(inWindow.at(-1)!.CallId);
    expect((await filter({ NumberPerPage: 100, Page: lastPage + 1 })).CallRecordList).toEqual([]);

    const matching = inWindow.filter((r) => r.CallResult === 'NormalEnd' && r.CallType === 'SingleCall');
    const filtered = await filter({ CallResult: 'NormalEnd', CallType: 'SingleCall', NumberPerPage: 7, Page: 3 });
    expect(filtered.TotalNum).toBe(matching.length);
    expect(filtered.CallRecordList.map((r: CallRecord) => r.CallId)).toEqual(matching.slice(14, 21).map((r) => r.CallId));
    const window = await filter({ StartTime: now - 3600 + 150, EndTime: now - 3600 + 159 });
    expect(window.TotalNum).toBe(10);
  });
});

describe('the OpenAPI description', () => {
  it('documents every route, and every documented route answers (never 60009)', async () => {
    const doc = (await (await fetch(`${rt.httpUrl}/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.keys(doc.paths).filter((p) => p.startsWith('/v'));
    expect(documented.sort()).toEqual(ALL_ROUTES.map((r) => `/${r.generation}/${r.path}`).sort());
    for (const path of documented) {
      const { body } = await rest(rt, path.slice(1), {});
      expect([body.ErrorCode ?? body.errorCode], path).not.toContain(60009);
    }
  });
});

describe('dashboard extensions', () => {
  it('gives a day overview and a group record with per-member durations and peak', async () => {
    const app = await createApp(rt);
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((u) => RawClient.login(urlIn(rt, app, u), u)));
    const { callId } = (await a!.request('calls', { userIdList: ['b', 'c'], mediaType: 'Audio' })).data;
    await Promise.all([b!.event('onCallReceived'), c!.event('onCallReceived')]);
    await b!.request('accept', { callId });
    await c!.request('accept', { callId });
    await a!.event('onUserJoin');
    await a!.request('hangup', { callId });
    await b!.request('hangup', { callId });
    await c!.event('onCallEnd');
    const detail = (await rest(rt, 'v4/callsignal_stats_svc/get_record_detail', { CallId: callId }, { app })).body.Response;
    expect(detail.PeakConnected).toBe(3);
    expect(detail.Members.map((m: { User_Account: string; Platform: string }) => [m.User_Account, m.Platform])).toEqual([['a', 'Web'], ['b', 'Web'], ['c', 'Web']]);
    const today = new Date().toISOString().slice(0, 10);
    const day = (await rest(rt, 'v4/callsignal_stats_svc/get_daily_stats', { StartDay: today, EndDay: today }, { app })).body.Response.DayList[0];
    expect(day).toMatchObject({ Date: today, CallCount: 1, SingleCallCount: 0, MultiCallCount: 1, Participants: 3, MaxConcurrentCalls: 1 });
    expect((await rest(rt, 'v4/callsignal_stats_svc/get_daily_stats', { StartDay: '2026-01-01', EndDay: '2026-03-01' }, { app })).body.ErrorCode).toBe(101002);
    await Promise.all([a!, b!, c!].map((x) => x.close()));
  });
});
