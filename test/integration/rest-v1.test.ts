import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { App } from '../../lib/apps/app.ts';
import { genUserSig } from '../../lib/auth/usersig.ts';
import type { CallRecord } from '../../lib/calls/types.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { RawClient } from '../support/raw-client.ts';
import { createApp, urlIn, useTestStack } from '../support/local-stack.ts';
import { fixture, rest } from '../support/rest-client.ts';

let rt: LocalRuntime;
// The documented examples call back to www.example.com: trusted as a deployment would list it (no DNS here).
useTestStack((r) => (rt = r), { callbackPolicy: { allowedHosts: ['www.example.com', 'www.example2.com', 'a.example', 'b.example', 'c.example'] } });

/** The JSON type of a value, as the spec's tables speak of them. */
const typeOf = (x: unknown) => (Array.isArray(x) ? 'array' : x === null ? 'null' : typeof x);
/** Field names and JSON types, recursively (arrays by their first element). */
function shape(x: unknown): unknown {
  if (Array.isArray(x)) return x.length ? ['array', shape(x[0])] : ['array'];
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, shape(v)]));
  return typeOf(x);
}
const nowSec = () => Math.floor(Date.now() / 1000);

/** Every v1 request example, in an order where each finds what it needs (get and update after set). */
const EXAMPLES = ['callback.set', 'callback.get', 'callback.update', 'callback.delete', 'records.get_record_by_callId', 'records.get_records_by_filter'];

describe('v1 API with the documented examples', () => {
  it('accepts every v1 request example as-is and answers exactly the documented field names and types', async () => {
    const app = await createApp(rt);
    const onDisk = (await readdir(new URL('../fixtures/spec/', import.meta.url))).filter((f) => /^rest\.v1\..*\.request\.json$/.test(f));
    expect(onDisk.sort()).toEqual(EXAMPLES.map((e) => `rest.v1.${e}.request.json`).sort());
    const example = await fixture('rest.v1.records.get_record_by_callId.request.json');
    const seeded: CallRecord = { CallId: example.callId, Caller_Account: 'alice', MediaType: 'Video', CallType: 'SingleCall', StartTime: nowSec() - 30, EndTime: nowSec(), AcceptTime: nowSec() - 27, CallResult: 'NormalEnd', CalleeList_Account: ['alice', 'bob1'], RoomId: '123456', RoomIdType: 1 };
    await rt.deps.records.putRecord(app.sdkAppId, seeded, 90);

    for (const name of EXAMPLES) {
      const answer = await rest(rt, `v1/${name.replace('.', '/')}`, await fixture(`rest.v1.${name}.request.json`), { app });
      expect(answer.status).toBe(200);
      expect(answer.body.errorCode, `${name}: ${answer.body.errorMessage}`).toBe(0);
      expect(answer.body.errorMessage).toBe('Success');
      expect(answer.body.requestId).toMatch(/^[0-9a-f]{32}$/);
      const documented = shape(await fixture(`rest.v1.${name}.response.json`)) as { data: Record<string, unknown> };
      // The example's window (2021) is long outside the 7-day look-back: its list is empty.
      if (name === 'records.get_records_by_filter') documented.data.callRecordList = ['array'];
      expect(shape(answer.body), name).toEqual(documented);
    }
    const byId = await rest(rt, 'v1/records/get_record_by_callId', example, { app });
    expect(shape(byId.body)).toEqual(shape(await fixture('rest.v1.intro.get_record_by_callId.response.json')));
    const listed = await rest(rt, 'v1/records/get_records_by_filter', { startTimestamp: nowSec() - 60 }, { app });
    expect(shape(listed.body)).toEqual(shape(await fixture('rest.v1.records.get_records_by_filter.response.json')));
    expect(Object.keys(listed.body).sort()).toEqual(Object.keys(await fixture('rest.v1.envelope.response.json')).sort());
  });

  it('keeps the legacy callback configuration: set (last wins), get, update, delete', async () => {
    const app = await createApp(rt);
    const call = (cmd: string, body: unknown = {}) => rest(rt, `v1/callback/${cmd}`, body, { app }).then((r) => r.body);
    expect((await call('set', { address: 'http://a.example/cb', actions: ['cancel'] })).data).toBe('http://a.example/cb');
    expect((await call('set', { address: 'https://b.example/cb', actions: ['normal_end', 'join_in_group_call'] })).data).toBe('https://b.example/cb');
    expect((await call('get')).data).toEqual({ actions: ['normal_end', 'join_in_group_call'], address: 'https://b.example/cb' });
    expect((await call('update', { address: 'https://c.example/cb', actions: [] })).data).toBe('https://c.example/cb');
    expect((await call('get')).data).toEqual({ actions: [], address: 'https://c.example/cb' });
    // The v4 configuration is a separate one.
    expect((await rest(rt, 'v4/call_config/get_callback', {}, { app })).body.ErrorCode).toBe(100301);
    expect(await call('delete')).toMatchObject({ errorCode: 0, data: '' });
    expect((await call('get')).errorCode).toBe(999);
    expect((await call('delete')).errorCode).toBe(0);
  });

  it('answers each documented error code in the v1 envelope', async () => {
    const app = await createApp(rt);
    const expired = genUserSig({ sdkAppId: app.sdkAppId, userId: 'administrator', key: app.secretKeys[0]!, expireSec: 1, nowSec: 1_000 });
    const other = await createApp(rt);
    const otherSig = genUserSig({ sdkAppId: other.sdkAppId, userId: 'administrator', key: other.secretKeys[0]!, expireSec: 600 });
    const call = (path: string, body: unknown, options: Parameters<typeof rest>[3] = {}) => () => rest(rt, `v1/${path}`, body, { app, ...options });
    const table: [string, () => ReturnType<typeof rest>, number, RegExp?][] = [
      ['startTimestamp missing', call('records/get_records_by_filter', {}), 70001, /startTimestamp is required/],
      ['startTimestamp not a number', call('records/get_records_by_filter', { startTimestamp: '1618705638' }), 70001, /startTimestamp/],
      ['start after end', call('records/get_records_by_filter', { startTimestamp: nowSec(), endTimestamp: 5 }), 70001, /after endTimestamp/],
      ['v4 result name', call('records/get_records_by_filter', { startTimestamp: 0, callResult: 'NormalEnd' }), 70001, /callResult/],
      ['offline is not a v1 result', call('records/get_records_by_filter', { startTimestamp: 0, callResult: 'offline' }), 70001, /callResult/],
      ['v4 call type', call('records/get_records_by_filter', { startTimestamp: 0, callType: 'SingleCall' }), 70001, /callType/],
      ['numberPerPage over 100', call('records/get_records_by_filter', { startTimestamp: 0, numberPerPage: 101 }), 70001, /numberPerPage/],
      ['page 0', call('records/get_records_by_filter', { startTimestamp: 0, page: 0 }), 70001, /page/],
      ['callId missing', call('records/get_record_by_callId', {}), 70001, /callId is required/],
      ['ftp address', call('callback/set', { address: 'ftp://x.example/cb', actions: [] }), 70001, /address must be an http or https URL/],
      ['address not a URL', call('callback/set', { address: 'www.example.com', actions: [] }), 70001, /http or https/],
      ['unknown action', call('callback/set', { address: 'https://x.example', actions: ['call_end'] }), 70001, /actions/],
      ['actions missing', call('callback/update', { address: 'https://x.example' }), 70001, /actions is required/],
      ['unknown API', call('records/teleport', {}), 70001],
      ['GET', call('callback/get', undefined, { method: 'GET' }), 70001],
      ['garbage sig', call('callback/get', {}, { usersig: 'garbage' }), 70002],
      ["another app's sig", call('callback/get', {}, { usersig: otherSig }), 70002],
      ['expired sig', call('callback/get', {}, { usersig: expired }), 70003],
      ['non-admin', call('callback/get', {}, { identifier: 'someone' }), 70004],
      ['bad JSON', call('callback/get', undefined, { rawBody: '{oops' }), 70009],
      ['empty body', call('callback/get', undefined, { rawBody: '' }), 70009],
      ['array body', call('callback/get', undefined, { rawBody: '[]' }), 70009],
      ['no record', call('records/get_record_by_callId', { callId: 'nope' }), 70011],
      ['no config to get', call('callback/get', {}), 999],
      ['no config to update', call('callback/update', { address: 'https://x.example', actions: ['cancel'] }), 999],
    ];
    for (const [what, request, code, message] of table) {
      const { status, body } = await request();
      expect(status, what).toBe(200);
      expect(body.errorCode, `${what}: ${body.errorMessage}`).toBe(code);
      expect(Object.keys(body).sort(), what).toEqual(['data', 'errorCode', 'errorMessage', 'requestId']);
      expect(body.errorMessage, what).toMatch(message ?? /./);
      expect(body.requestId, what).toMatch(/^[0-9a-f]{32}$/);
    }
  });

  it('limits requests per app and endpoint (70005)', async () => {
    const limited = await createApp(rt, { restRatePerSec: 3 });
    const burst = await Promise.all(Array.from({ length: 12 }, () => rest(rt, 'v1/callback/delete', {}, { app: limited })));
    const codes = burst.map((r) => r.body.errorCode);
    expect(codes).toContain(70005);
    expect(codes.every((c) => c === 0 || c === 70005)).toBe(true);
  });
});

/** Waits until the record of a call is written (records follow the last event by a moment). */
async function recordOf(app: App, callId: string): Promise<CallRecord> {
  for (let i = 0; i < 100; i += 1) {
    const record = await rt.deps.records.getRecord(app.sdkAppId, callId);
    if (record) return record;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no record for ${callId}`);
}

/** Plays one call of each kind in a fresh app over real sockets; answers their callIds. */
async function playCalls(app: App) {
  const [a, b, c, d] = await Promise.all(['a', 'b', 'c', 'd'].map((u) => RawClient.login(urlIn(rt, app, u), u)));
  const place = async (to: string[], extra: Record<string, unknown> = {}) => {
    const placed = await a!.request('calls', { userIdList: to, mediaType: 'Audio', ...extra });
    expect(placed.code, placed.message).toBe(0);
    return placed.data.callId as string;
  };
  const ids: Record<string, string> = {};

  ids.normalEnd = await place(['b'], { mediaType: 'Video', params: { roomId: 4321 } });
  await b!.event('onCallReceived', (f) => f.callId === ids.normalEnd);
  await b!.request('accept', { callId: ids.normalEnd });
  await a!.event('onCallBegin', (f) => f.callId === ids.normalEnd);
  await b!.request('hangup', { callId: ids.normalEnd });
  await recordOf(app, ids.normalEnd);

  ids.reject = await place(['c']);
  await c!.event('onCallReceived', (f) => f.callId === ids.reject);
  await c!.request('reject', { callId: ids.reject });
  await recordOf(app, ids.reject);

  ids.cancel = await place(['d']);
  await d!.event('onCallReceived', (f) => f.callId === ids.cancel);
  await a!.request('hangup', { callId: ids.cancel });
  await recordOf(app, ids.cancel);

  ids.group = await place(['b', 'c', 'd'], { mediaType: 'Video' });
  await Promise.all([b!, c!, d!].map((m) => m.event('onCallReceived', (f) => f.callId === ids.group)));
  await b!.request('accept', { callId: ids.group });
  await c!.request('accept', { callId: ids.group });
  await d!.request('reject', { callId: ids.group });
  await b!.request('hangup', { callId: ids.group });
  await c!.request('hangup', { callId: ids.group });
  await recordOf(app, ids.group);

  ids.interrupt = await place(['c']);
  await c!.event('onCallReceived', (f) => f.callId === ids.interrupt);
  await c!.request('accept', { callId: ids.interrupt });
  await a!.event('onCallBegin', (f) => f.callId === ids.interrupt);
  await a!.request('hangup', { callId: ids.interrupt, reason: 'Interrupt' });
  await recordOf(app, ids.interrupt);

  // Bob's connection is lost mid-call and does not come back within the grace period: Offline.
  ids.offline = await place(['b']);
  await b!.event('onCallReceived', (f) => f.callId === ids.offline);
  await b!.request('accept', { callId: ids.offline });
  await a!.event('onCallBegin', (f) => f.callId === ids.offline);
  const [bobDevice] = (await rt.deps.users.getUser(app.sdkAppId, 'b')).devices;
  rt.dropConnection(bobDevice!.connectionId);
  await recordOf(app, ids.offline);

  await Promise.all([a!, b!, c!, d!].map((m) => m.close()));
  return ids;
}

describe('v1 records of real calls', () => {
  it('maps each call to the v1 shape through both record endpoints, pages and filters', async () => {
    const app = await createApp(rt);
    const ids = await playCalls(app);
    const byId = async (callId: string) => {
      const { body } = await rest(rt, 'v1/records/get_record_by_callId', { callId }, { app });
      expect(body.errorCode, body.errorMessage).toBe(0);
      const v4 = (await rest(rt, 'v4/call_record_http_srv/get_record_by_callid', { CallId: callId }, { app })).body.Response.CallRecord as CallRecord;
      // The times are the v4 record's own.
      expect([body.data.startCallTs, body.data.acceptTs, body.data.endTs]).toEqual([v4.StartTime, v4.AcceptTime, v4.EndTime]);
      return body.data;
    };
    const common = { sdkAppId: app.sdkAppId, caller: 'a', startCallTs: expect.any(Number), acceptTs: expect.any(Number), endTs: expect.any(Number) };
    const expected = {
      normalEnd: { ...common, callId: ids.normalEnd, mediaType: 'video', roomId: '4321', callType: 'single', callResult: 'normal_end', totalUserNumber: 2, callees: ['a', 'b'] },
      reject: { ...common, callId: ids.reject, mediaType: 'audio', roomId: expect.any(String), callType: 'single', callResult: 'reject', totalUserNumber: 1, callees: ['a'], acceptTs: 0 },
      cancel: { ...common, callId: ids.cancel, mediaType: 'audio', roomId: expect.any(String), callType: 'single', callResult: 'cancel', totalUserNumber: 1, callees: ['a'], acceptTs: 0 },
      group: { ...common, callId: ids.group, mediaType: 'video', roomId: expect.any(String), callType: 'group', callResult: 'normal_end', totalUserNumber: 3, callees: ['a', 'b', 'c'] },
      interrupt: { ...common, callId: ids.interrupt, mediaType: 'audio', roomId: expect.any(String), callType: 'single', callResult: 'interrupt', totalUserNumber: 2, callees: ['a', 'c'] },
      offline: { ...common, callId: ids.offline, mediaType: 'audio', roomId: expect.any(String), callType: 'single', callResult: 'interrupt', totalUserNumber: 2, callees: ['a', 'b'] },
    };
    const mapped: Record<string, Record<string, unknown>> = {};
    for (const [kind, want] of Object.entries(expected)) {
      mapped[kind] = await byId(ids[kind]!);
      expect(mapped[kind], kind).toEqual(want);
    }
    expect(mapped.normalEnd!.acceptTs).toBeGreaterThan(0);

    const filter = async (body: Record<string, unknown>) => {
      const answer = (await rest(rt, 'v1/records/get_records_by_filter', body, { app })).body;
      expect(answer.errorCode, answer.errorMessage).toBe(0);
      return answer.data as { totalNum: number; page: number; callRecordList: Record<string, unknown>[] };
    };
    // startTimestamp 0 is raised to now − 7 days; endTimestamp defaults to now.
    const all = await filter({ startTimestamp: 0 });
    expect([all.totalNum, all.page]).toEqual([6, 0]);
    expect(new Set(all.callRecordList.map((r) => r.callId))).toEqual(new Set(Object.values(ids)));
    for (const r of all.callRecordList) expect(r).toEqual(Object.values(mapped).find((m) => m.callId === r.callId));

    const pages = [];
    for (let page = 1; page <= 4; page += 1) pages.push(await filter({ startTimestamp: 0, numberPerPage: 2, page }));
    expect(pages.map((p) => p.page)).toEqual([1, 2, 0, 0]);
    expect(pages.map((p) => p.totalNum)).toEqual([6, 6, 6, 6]);
    expect(pages.flatMap((p) => p.callRecordList)).toEqual(all.callRecordList);
    expect(pages[3]!.callRecordList).toEqual([]);

    const callIds = async (body: Record<string, unknown>) => (await filter({ startTimestamp: 0, ...body })).callRecordList.map((r) => r.callId);
    expect(await callIds({ callResult: 'normal_end' })).toEqual(all.callRecordList.filter((r) => r.callResult === 'normal_end').map((r) => r.callId));
    expect(await callIds({ callResult: 'normal_end', callType: 'single' })).toEqual([ids.normalEnd]);
    expect(await callIds({ callType: 'group' })).toEqual([ids.group]);
    expect(await callIds({ callResult: 'reject' })).toEqual([ids.reject]);
    expect(await callIds({ callResult: 'cancel' })).toEqual([ids.cancel]);
    expect(await callIds({ callResult: 'call_busy' })).toEqual([]);
    // interrupt stands for both Interrupt and Offline records, paged as one list.
    const interrupted = all.callRecordList.filter((r) => r.callResult === 'interrupt').map((r) => r.callId);
    expect(new Set(interrupted)).toEqual(new Set([ids.interrupt, ids.offline]));
    const first = await filter({ startTimestamp: 0, callResult: 'interrupt', numberPerPage: 1, page: 1 });
    const second = await filter({ startTimestamp: 0, callResult: 'interrupt', numberPerPage: 1, page: 2 });
    expect([first.totalNum, first.page, second.totalNum, second.page]).toEqual([2, 1, 2, 0]);
    expect([...first.callRecordList, ...second.callRecordList].map((r) => r.callId)).toEqual(interrupted);

    expect((await filter({ startTimestamp: nowSec() + 60 })).totalNum).toBe(0);
    expect((await filter({ startTimestamp: 0, endTimestamp: mapped.normalEnd!.startCallTs as number })).callRecordList.map((r) => r.callId)).toContain(ids.normalEnd);
  });
});
