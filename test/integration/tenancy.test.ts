import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { App } from '../../lib/apps/app.ts';
import { signJwt } from '../../lib/auth/jwt.ts';
import { genUserSig } from '../../lib/auth/usersig.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import type { RestRoute } from '../../lib/rest/route.ts';
import { ALL_ROUTES } from '../../lib/rest/routes.ts';
import { ACTION_SCHEMAS, type ActionName } from '../../lib/ws/schemas.ts';
import { RawClient } from '../support/raw-client.ts';
import { createApp, sigFor, urlIn, useTestStack, wsUrlFor } from '../support/local-stack.ts';
import { rest } from '../support/rest-client.ts';

// Tenancy and authorization across two apps whose users have the same ids (DESIGN.md invariant 6,
// SECURITY.md). Cases already covered elsewhere are not repeated: garbage/other-key/expired UserSigs,
// alg none and expired JWTs at the handshake (handshake-and-frames), one non-admin and one foreign sig
// per REST generation (rest-v4, rest-v1), join under groupJoinPolicy "invited" (group-calls).

let rt: LocalRuntime;
useTestStack((r) => (rt = r));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const nowSec = () => Math.floor(Date.now() / 1000);
const codeOf = (body: Record<string, any>): number => body.ErrorCode ?? body.errorCode;
const adminSig = (app: App) => genUserSig({ sdkAppId: app.sdkAppId, userId: 'administrator', key: app.secretKeys[0]!, expireSec: 600 });
const handshake = (url: string) =>
  RawClient.open(url, 'x').then(
    async (c) => (await c.close(), 0),
    (err: { status?: number }) => err.status ?? -1,
  );

/** Every WebSocket action that names a call: new ones are covered without editing this file. */
const CALL_ACTIONS = (Object.keys(ACTION_SCHEMAS) as ActionName[]).filter((a) => 'callId' in ACTION_SCHEMAS[a].entries);
/** What each call action needs beyond `callId` to be a valid request (so that only authorization can refuse it). */
const EXTRA: Partial<Record<ActionName, Record<string, unknown>>> = { inviteUser: { userIdList: ['dave'] }, switchCallMediaType: { mediaType: 'Audio' } };
const dataFor = (action: ActionName, callId: string) => ({ callId, ...EXTRA[action] });
/** A user of another app acting on a call id: the answers for a call that does not exist (nothing tells it exists). */
const OUTSIDER: Record<string, number> = { accept: 8010, reject: 8010, ignore: 8010, hangup: 8010, inviteUser: 101004, join: 101004, switchCallMediaType: 101004 };
/** A user of the app who is not (or no longer) in the call; `join` is left out: the default policy lets any user of the app join. */
const NOT_IN_CALL: Record<string, number> = { accept: 8010, reject: 8010, ignore: 8010, hangup: 8010, inviteUser: -1203, switchCallMediaType: -1203 };
const NOT_ADMIN = { v4: 60010, v1: 70004 } as const;
const BAD_SIG = { v4: 60004, v1: 70002 } as const;

/** Logs in one device per user of an app. */
async function users(app: App, ...names: string[]): Promise<Record<string, RawClient>> {
  const clients = await Promise.all(names.map((n) => RawClient.login(urlIn(rt, app, n), n)));
  return Object.fromEntries(names.map((n, i) => [n, clients[i]!]));
}
const closeAll = (...groups: Record<string, RawClient>[]) => Promise.all(groups.flatMap((g) => Object.values(g)).map((c) => c.close()));

/** Events each client received so far, to prove later that nothing more arrived. */
const eventMarks = (clients: RawClient[]) => clients.map((c) => c.events().length);
async function expectNoNewEvents(clients: RawClient[], marks: number[]): Promise<void> {
  await sleep(200);
  expect(clients.map((c, i) => `${c.userId}: ${c.events().slice(marks[i]).map((f) => f.event).join(',')}`)).toEqual(clients.map((c) => `${c.userId}: `));
}

/** alice calls bob, carol (and more) in a group Video call in room `roomId`; bob accepts. */
async function groupCall(u: Record<string, RawClient>, invitees: string[], roomId: string | number = 'shared-room'): Promise<string> {
  const placed = await u.alice!.request('calls', { userIdList: invitees, mediaType: 'Video', params: { roomId, timeout: 300 } });
  expect(placed.code).toBe(0);
  const { callId } = placed.data;
  await u.bob!.event('onCallReceived', (f) => f.callId === callId);
  expect((await u.bob!.request('accept', { callId })).code).toBe(0);
  await Promise.all([u.alice!, u.bob!].map((m) => m.event('onCallBegin', (f) => f.callId === callId)));
  for (const n of invitees.slice(1)) await u[n]!.event('onCallReceived', (f) => f.callId === callId);
  return callId;
}

describe('WebSocket actions across apps and by non-members', () => {
  it("answers a user of app B, who has the same user id as A's members, exactly as for a call that does not exist", async () => {
    const [appA, appB] = [await createApp(rt), await createApp(rt)];
    const a = await users(appA, 'alice', 'bob', 'carol', 'dave');
    const b = await users(appB, 'alice', 'bob', 'carol', 'dave');
    const callId = await groupCall(a, ['bob', 'carol']);
    const before = await rt.deps.calls.getCall(appA.sdkAppId, callId);
    const marks = eventMarks([...Object.values(a), ...Object.values(b)]);
    const ghost = randomUUID();

    for (const name of ['alice', 'bob', 'carol']) {
      for (const action of CALL_ACTIONS) {
        const real = await b[name]!.request(action, dataFor(action, callId));
        const none = await b[name]!.request(action, dataFor(action, ghost));
        const what = `app B's ${name}: ${action} on app A's call`;
        if (OUTSIDER[action] !== undefined) expect(real.code, what).toBe(OUTSIDER[action]);
        expect(real.code, what).not.toBe(0);
        expect([real.code, (real.message ?? '').replaceAll(callId, '<id>'), real.data], what).toEqual([none.code, (none.message ?? '').replaceAll(ghost, '<id>'), none.data]);
      }
    }
    expect(await rt.deps.calls.getCall(appA.sdkAppId, callId)).toEqual(before);
    await expectNoNewEvents([...Object.values(a), ...Object.values(b)], marks);
    await closeAll(a, b);
  });

  it("lets app B's users with A's user ids and A's room id reach only app B's users, and B's admin end only B's call", async () => {
    const [appA, appB] = [await createApp(rt), await createApp(rt)];
    const a = await users(appA, 'alice', 'bob', 'carol', 'dave', 'mallory');
    const b = await users(appB, 'alice', 'bob', 'carol', 'dave');
    const callA = await groupCall(a, ['bob', 'carol']);
    const before = await rt.deps.calls.getCall(appA.sdkAppId, callA);
    const marksA = eventMarks(Object.values(a));

    expect((await b.bob!.request('syncCall')).data).toEqual({ call: null });
    expect((await b.bob!.request('getUserStatus', { userIdList: ['mallory'] })).data.statusList).toEqual([{ userId: 'mallory', status: 'UNLOGINED' }]);
    const placed = await b.alice!.request('calls', { userIdList: ['bob', 'carol'], mediaType: 'Audio', params: { roomId: 'shared-room', timeout: 300 } });
    expect(placed.code).toBe(0);
    const callB = placed.data.callId as string;
    expect(callB).not.toBe(callA);
    await Promise.all([b.bob!.event('onCallReceived', (f) => f.callId === callB), b.carol!.event('onCallReceived', (f) => f.callId === callB)]);
    expect((await b.bob!.request('accept', { callId: callB })).code).toBe(0);
    expect((await b.bob!.request('inviteUser', { callId: callB, userIdList: ['dave'] })).code).toBe(0);
    await b.dave!.event('onCallReceived', (f) => f.callId === callB);
    // mallory exists only in app A: for app B she has never logged in.
    expect((await b.bob!.request('inviteUser', { callId: callB, userIdList: ['mallory'] })).code).toBe(8021);
    expect((await b.carol!.request('syncCall')).data.call).toMatchObject({ callId: callB, callerId: 'alice' });

    expect((await rest(rt, 'v4/call_engine_http_srv/dismiss_room', { RoomId: 'shared-room' }, { app: appB })).body.ErrorCode).toBe(0);
    expect((await b.alice!.event('onCallEnd', (f) => f.callId === callB)).data.reason).toBe('EndByServer');
    expect(await rt.deps.calls.getCall(appA.sdkAppId, callA)).toEqual(before);
    await expectNoNewEvents(Object.values(a), marksA);
    expect((await rest(rt, 'v4/call_engine_http_srv/get_call_info', { CallId: callA }, { app: appA })).body.Response.UserList).toEqual([
      { User_Account: 'alice', Status: 'Calling' },
      { User_Account: 'bob', Status: 'Calling' },
      { User_Account: 'carol', Status: 'Waiting' },
    ]);
    await closeAll(a, b);
  });

  it('refuses a user of the same app who is not in the call (8010 / -1203), changing nothing and telling the members nothing', async () => {
    const app = await createApp(rt);
    const u = await users(app, 'alice', 'bob', 'carol', 'dave', 'mallory');
    const callId = await groupCall(u, ['bob', 'carol']);
    const before = await rt.deps.calls.getCall(app.sdkAppId, callId);
    const marks = eventMarks(Object.values(u));
    for (const [action, code] of Object.entries(NOT_IN_CALL)) {
      expect((await u.mallory!.request(action, dataFor(action as ActionName, callId))).code, `mallory: ${action}`).toBe(code);
    }
    expect(await rt.deps.calls.getCall(app.sdkAppId, callId)).toEqual(before);
    // The refused inviteUser took dave's line for a moment: it must be free again.
    expect((await rt.deps.users.getUser(app.sdkAppId, 'dave')).line).toBeUndefined();
    await expectNoNewEvents(Object.values(u), marks);
    await closeAll(u);
  });

  it('refuses a member who already left a group call that goes on (8010 / -1203), changing nothing', async () => {
    const app = await createApp(rt);
    const u = await users(app, 'alice', 'bob', 'carol', 'dave');
    const callId = await groupCall(u, ['bob', 'carol', 'dave']);
    expect((await u.carol!.request('accept', { callId })).code).toBe(0);
    await Promise.all([u.alice!, u.bob!].map((m) => m.event('onUserJoin', (f) => f.data.userId === 'carol')));
    expect((await u.bob!.request('hangup', { callId })).code).toBe(0);
    await u.bob!.event('onCallEnd', (f) => f.callId === callId);
    await Promise.all([u.alice!, u.carol!].map((m) => m.event('onUserLeave', (f) => f.data.userId === 'bob')));
    const before = await rt.deps.calls.getCall(app.sdkAppId, callId);
    expect(before?.call.members.map((m) => [m.userId, m.state])).toEqual([['alice', 'joined'], ['bob', 'left'], ['carol', 'joined'], ['dave', 'ringing']]);
    const marks = eventMarks(Object.values(u));
    for (const [action, code] of Object.entries(NOT_IN_CALL)) {
      const data = action === 'inviteUser' ? { callId, userIdList: ['dave'] } : dataFor(action as ActionName, callId);
      expect((await u.bob!.request(action, data)).code, `bob, who left: ${action}`).toBe(code);
    }
    expect(await rt.deps.calls.getCall(app.sdkAppId, callId)).toEqual(before);
    await expectNoNewEvents(Object.values(u), marks);
    await closeAll(u);
  });

  it("never hands a member's stored answer to a non-member who reuses her deviceId and requestId", async () => {
    // Replayed answers are keyed deviceId|requestId (lib/usecases/devices.ts requestKeyOf), both chosen by the client.
    const app = await createApp(rt, { groupJoinPolicy: 'invited' });
    const u = await users(app, 'alice');
    const [bob, carol, mallory] = await Promise.all(['bob', 'carol', 'mallory'].map((n) => RawClient.login(urlIn(rt, app, n), n, 'Web', 'shared-device')));
    const { callId } = (await u.alice!.request('calls', { userIdList: ['bob', 'carol'], mediaType: 'Video', params: { timeout: 300 } })).data;
    await Promise.all([bob!.event('onCallReceived'), carol!.event('onCallReceived')]);
    expect((await bob!.request('accept', { callId }, 'r-accept')).code).toBe(0);
    const joined = await carol!.request('join', { callId }, 'r-join');
    expect(joined.code).toBe(0);
    const before = await rt.deps.calls.getCall(app.sdkAppId, callId);

    const accept = await mallory!.request('accept', { callId }, 'r-accept');
    const join = await mallory!.request('join', { callId }, 'r-join');
    expect.soft([accept.code, accept.data], "mallory replays bob's accept").toEqual([8010, {}]);
    // Under groupJoinPolicy "invited" she may not join, and must not learn the room id.
    expect.soft([join.code, join.data], "mallory replays carol's join").toEqual([-1203, {}]);
    expect(await rt.deps.calls.getCall(app.sdkAppId, callId)).toEqual(before);
    await closeAll(u, { bob: bob!, carol: carol!, mallory: mallory! });
  });
});

describe('the WebSocket handshake binds a credential to its app and user', () => {
  it("refuses A's UserSig and JWT at app B and at an app sharing A's secret key, and JWTs for another aud, sub or key (403)", async () => {
    const appA = await createApp(rt);
    const appB = await createApp(rt);
    const twin = await createApp(rt, { secretKeys: [...appA.secretKeys] });
    const keyA = appA.secretKeys[0]!;
    const keyB = appB.secretKeys[0]!;
    const sigA = sigFor(rt, 'alice', 600, appA);
    const jwtA = signJwt({ sdkAppId: appA.sdkAppId, userId: 'alice', secret: keyA, expireSec: 600 });
    const at = (app: App, credential: { usersig?: string; token?: string }, userId = 'alice') => handshake(wsUrlFor(rt, userId, { sdkAppId: app.sdkAppId, ...credential }));

    // Positive controls: the same credentials open their own app.
    expect(await at(appA, { usersig: sigA })).toBe(0);
    expect(await at(appA, { token: jwtA })).toBe(0);
    const refusals: [string, Promise<number>][] = [
      ["A's UserSig at B", at(appB, { usersig: sigA })],
      ["A's UserSig at an app with A's secret key", at(twin, { usersig: sigA })],
      ["A's JWT at B", at(appB, { token: jwtA })],
      ["A's JWT at an app with A's secret key", at(twin, { token: jwtA })],
      ["a JWT signed with B's key whose aud is A, at B", at(appB, { token: signJwt({ sdkAppId: appA.sdkAppId, userId: 'alice', secret: keyB, expireSec: 600 }) })],
      ["a JWT for B (aud B) signed with A's key, at B", at(appB, { token: signJwt({ sdkAppId: appB.sdkAppId, userId: 'alice', secret: keyA, expireSec: 600 }) })],
      ["a JWT of B for bob, presented as alice", at(appB, { token: signJwt({ sdkAppId: appB.sdkAppId, userId: 'bob', secret: keyB, expireSec: 600 }) })],
    ];
    for (const [what, status] of refusals) expect(await status, what).toBe(403);
    for (const app of [appB, twin]) expect(await rt.deps.users.getUser(app.sdkAppId, 'alice')).toEqual({ devices: [] });
  });
});

/** One app with two users' sockets, a finished call (record), a live call in room "shared-room", callback configs and a dead letter. */
interface Tenant {
  app: App;
  u: Record<string, RawClient>;
  live: string;
  done: string;
}

async function tenant(app: App, extraUsers: string[] = []): Promise<Tenant> {
  const u = await users(app, 'alice', 'bob', 'carol', 'dave', ...extraUsers);
  for (const [name, c] of Object.entries(u)) expect((await c.request('setSelfInfo', { nickname: `${name} of ${app.sdkAppId}` })).code).toBe(0);
  const { callId: done } = (await u.carol!.request('calls', { userIdList: ['dave'], mediaType: 'Audio' })).data;
  await u.dave!.event('onCallReceived', (f) => f.callId === done);
  await u.dave!.request('accept', { callId: done });
  await u.carol!.event('onCallBegin');
  await u.carol!.request('hangup', { callId: done });
  await u.dave!.event('onCallEnd');
  await expect.poll(() => rt.deps.records.getRecord(app.sdkAppId, done)).toBeDefined();
  const { callId: live } = (await u.alice!.request('calls', { userIdList: ['bob'], mediaType: 'Video', params: { roomId: 'shared-room', timeout: 300 } })).data;
  await u.bob!.event('onCallReceived', (f) => f.callId === live);
  const url = `http://127.0.0.1:9/callbacks/${app.sdkAppId}`;
  expect((await rest(rt, 'v4/call_config/set_callback', { Url: url, CallbackCommandList: [] }, { app })).body.ErrorCode).toBe(0);
  expect((await rest(rt, 'v1/callback/set', { address: url, actions: [] }, { app })).body.errorCode).toBe(0);
  const letter = { eventId: `dead-${app.sdkAppId}`, sdkAppId: app.sdkAppId, generation: 'v4', command: 'Call.CallbackAfterEndCall', url, query: {}, body: '{}', attempt: 6 };
  await rt.deps.deadLetters.add(JSON.stringify(letter));
  return { app, u, live, done };
}

/** Everything a REST request could change in a tenant. */
async function stateOf(t: Tenant) {
  const id = t.app.sdkAppId;
  const read = (userId: string) => rt.deps.users.getUser(id, userId).then((v) => ({ profile: v.profile, devices: v.devices.map((d) => d.connectionId), line: v.line }));
  return {
    live: await rt.deps.calls.getCall(id, t.live),
    record: await rt.deps.records.getRecord(id, t.done),
    details: await rt.deps.records.getRecordDetails(id, t.done),
    configs: await rt.deps.callbackConfigs.get(id),
    users: await Promise.all(['alice', 'bob', 'carol', 'dave', 'intruder'].map(read)),
    deadLetters: await rt.deps.deadLetters.list(id, 100),
    sockets: Object.values(t.u).map((c) => c.ws.readyState),
  };
}

/** A valid body for each endpoint, doing the most it can (ending, deleting, replacing): a refusal must come from authorization. */
function bodyFor(r: RestRoute, t: Tenant): Record<string, unknown> {
  const url = 'http://127.0.0.1:9/callbacks/intruder';
  const today = new Date().toISOString().slice(0, 10);
  const bodies: Record<string, Record<string, unknown>> = {
    'v4/call_engine_http_srv/get_call_info': { CallId: t.live },
    'v4/call_engine_http_srv/end_call': { CallId: t.live },
    'v4/call_engine_http_srv/dismiss_room': { RoomId: 'shared-room' },
    'v4/call_record_http_srv/get_record_by_callid': { CallId: t.done },
    'v4/call_record_http_srv/get_record_by_filter': { StartTime: 0 },
    'v4/call_config/set_callback': { Url: url, CallbackCommandList: ['Call.CallbackAfterEndCall'] },
    'v4/im_open_login_svc/account_import': { UserID: 'intruder' },
    'v4/im_open_login_svc/multiaccount_import': { Accounts: ['intruder'] },
    'v4/im_open_login_svc/account_delete': { DeleteItem: [{ UserID: 'alice' }, { UserID: 'bob' }] },
    'v4/im_open_login_svc/account_check': { CheckItem: [{ UserID: 'alice' }] },
    'v4/im_open_login_svc/kick': { UserID: 'alice' },
    'v4/openim/query_online_status': { To_Account: ['alice'], IsNeedDetail: 1, IsReturnInstid: 1 },
    'v4/callsignal_device_svc/list_devices': { UserID: 'alice' },
    'v4/callsignal_device_svc/force_logout': { UserID: 'carol' },
    'v4/profile/portrait_get': { To_Account: ['alice'], TagList: ['Tag_Profile_IM_Nick'] },
    'v4/profile/portrait_set': { From_Account: 'dave', ProfileItem: [{ Tag: 'Tag_Profile_IM_Nick', Value: 'pwned' }] },
    'v4/callsignal_stats_svc/get_daily_stats': { StartDay: today, EndDay: today },
    'v4/callsignal_stats_svc/get_record_detail': { CallId: t.done },
    'v1/records/get_record_by_callId': { callId: t.done },
    'v1/records/get_records_by_filter': { startTimestamp: 0 },
    'v1/callback/set': { address: url, actions: ['normal_end'] },
    'v1/callback/update': { address: url, actions: ['normal_end'] },
  };
  return bodies[`${r.generation}/${r.path}`] ?? {};
}

describe('the admin REST API keeps to the app of its credential', () => {
  it('answers 60010 (v1: 70004) on every endpoint to a user of the app, and to an admin of another app, and changes nothing', async () => {
    await createApp(rt, { admins: ['administrator', 'boss'] });
    const t = await tenant(await createApp(rt));
    const before = await stateOf(t);
    const marks = eventMarks(Object.values(t.u));
    // alice is a user of the app; boss administers another app. Both present a valid UserSig of this app.
    for (const identifier of ['alice', 'boss']) {
      for (const r of ALL_ROUTES) {
        const { status, body } = await rest(rt, `${r.generation}/${r.path}`, bodyFor(r, t), { app: t.app, identifier });
        expect([status, codeOf(body)], `${identifier}: ${r.generation}/${r.path}`).toEqual([200, NOT_ADMIN[r.generation]]);
      }
    }
    await expectNoNewEvents(Object.values(t.u), marks);
    expect(await stateOf(t)).toEqual(before);
    await closeAll(t.u);
  });

  it("refuses app A's admin UserSig and JWT at app B on every endpoint (60004 / 70002), even when B shares A's secret key", async () => {
    const appA = await createApp(rt);
    const b = await tenant(await createApp(rt));
    const twin = await tenant(await createApp(rt, { secretKeys: [...appA.secretKeys] }));
    const jwtA = signJwt({ sdkAppId: appA.sdkAppId, userId: 'administrator', secret: appA.secretKeys[0]!, expireSec: 600 });
    const before = [await stateOf(b), await stateOf(twin)];
    const marks = eventMarks([...Object.values(b.u), ...Object.values(twin.u)]);
    for (const t of [b, twin]) {
      for (const usersig of [adminSig(appA), jwtA]) {
        for (const r of ALL_ROUTES) {
          const { body } = await rest(rt, `${r.generation}/${r.path}`, bodyFor(r, t), { app: t.app, usersig });
          expect(codeOf(body), `${r.generation}/${r.path} at ${t === b ? 'B' : "the app with A's key"} with ${usersig === jwtA ? 'a JWT' : 'a UserSig'}`).toBe(BAD_SIG[r.generation]);
        }
      }
    }
    await expectNoNewEvents([...Object.values(b.u), ...Object.values(twin.u)], marks);
    expect([await stateOf(b), await stateOf(twin)]).toEqual(before);
    await closeAll(b.u, twin.u);
  });

  it('checks admin JWTs like UserSigs: signature, alg, expiry, aud and sub', async () => {
    const appA = await createApp(rt);
    const appB = await createApp(rt);
    const key = appA.secretKeys[0]!;
    const jwtOf = (claims: Record<string, unknown>, alg = 'HS256') => {
      if (alg === 'none') return `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
      return signJwt({ sdkAppId: Number(claims.aud), userId: String(claims.sub), secret: String(claims.key ?? key), expireSec: 600, ...(claims.nowSec ? { nowSec: Number(claims.nowSec) } : {}) });
    };
    const call = (usersig: string, identifier = 'administrator') => rest(rt, 'v4/call_record_http_srv/get_record_by_filter', {}, { app: appA, identifier, usersig }).then((r) => r.body.ErrorCode);
    expect(await call(jwtOf({ aud: appA.sdkAppId, sub: 'administrator' }))).toBe(0);
    const table: [string, string, string, number][] = [
      ['alg none', jwtOf({ aud: String(appA.sdkAppId), sub: 'administrator', exp: nowSec() + 600 }, 'none'), 'administrator', 60004],
      ['expired', jwtOf({ aud: appA.sdkAppId, sub: 'administrator', nowSec: nowSec() - 1000 }), 'administrator', 60005],
      ['aud of another app', jwtOf({ aud: appB.sdkAppId, sub: 'administrator' }), 'administrator', 60004],
      ["signed with another app's key", jwtOf({ aud: appA.sdkAppId, sub: 'administrator', key: appB.secretKeys[0] }), 'administrator', 60004],
      ['sub is not the identifier', jwtOf({ aud: appA.sdkAppId, sub: 'alice' }), 'administrator', 60004],
      ['a valid JWT of a non-admin', jwtOf({ aud: appA.sdkAppId, sub: 'alice' }), 'alice', 60010],
    ];
    for (const [what, token, identifier, code] of table) expect(await call(token, identifier), what).toBe(code);
  });

  it("gives app A's admin nothing of app B's calls, records, configuration, users or dead letters, and no effect on them", async () => {
    const a = await tenant(await createApp(rt));
    const b = await tenant(await createApp(rt), ['bonly']);
    const beforeB = await stateOf(b);
    const marksB = eventMarks(Object.values(b.u));
    const asA = (path: string, body: Record<string, unknown> = {}) => rest(rt, path, body, { app: a.app }).then((r) => r.body);
    const today = new Date().toISOString().slice(0, 10);

    expect(codeOf(await asA('v4/call_engine_http_srv/get_call_info', { CallId: b.live }))).toBe(101004);
    expect(codeOf(await asA('v4/call_record_http_srv/get_record_by_callid', { CallId: b.done }))).toBe(101050);
    expect(codeOf(await asA('v4/callsignal_stats_svc/get_record_detail', { CallId: b.done }))).toBe(101050);
    expect(codeOf(await asA('v1/records/get_record_by_callId', { callId: b.done }))).toBe(70011);
    const listed = await asA('v4/call_record_http_srv/get_record_by_filter', { StartTime: 0, NumberPerPage: 100 });
    expect([listed.Response.TotalNum, listed.Response.CallRecordList.map((r: { CallId: string }) => r.CallId)]).toEqual([1, [a.done]]);
    const listedV1 = await asA('v1/records/get_records_by_filter', { startTimestamp: 0 });
    expect(listedV1.data.callRecordList.map((r: { callId: string; sdkAppId: number }) => [r.callId, r.sdkAppId])).toEqual([[a.done, a.app.sdkAppId]]);
    expect((await asA('v4/callsignal_stats_svc/get_daily_stats', { StartDay: today, EndDay: today })).Response.DayList[0]).toMatchObject({ CallCount: 1, Participants: 2 });
    expect((await asA('v4/call_config/get_callback')).Response.Url).toBe(`http://127.0.0.1:9/callbacks/${a.app.sdkAppId}`);
    expect((await asA('v1/callback/get')).data.address).toBe(`http://127.0.0.1:9/callbacks/${a.app.sdkAppId}`);
    expect((await asA('v4/profile/portrait_get', { To_Account: ['alice', 'bonly'], TagList: ['Tag_Profile_IM_Nick'] })).UserProfileItem.map((p: any) => [p.To_Account, p.ResultCode, p.ProfileItem[0]?.Value])).toEqual([
      ['alice', 0, `alice of ${a.app.sdkAppId}`],
      ['bonly', 40003, undefined],
    ]);
    const online = await asA('v4/openim/query_online_status', { To_Account: ['alice', 'bonly'], IsNeedDetail: 1, IsReturnInstid: 1 });
    const aliceOfA = (await rt.deps.users.getUser(a.app.sdkAppId, 'alice')).devices;
    expect(online.QueryResult).toEqual([{ To_Account: 'alice', Status: 'Online', Detail: aliceOfA.map((d) => ({ Platform: 'Web', Status: 'Online', InstID: d.loginId })) }]);
    expect(online.ErrorList).toEqual([{ To_Account: 'bonly', ErrorCode: 70107 }]);
    expect((await asA('v4/callsignal_device_svc/list_devices', { UserID: 'alice' })).Response.DeviceList.map((d: { ConnectionId: string }) => d.ConnectionId)).toEqual(aliceOfA.map((d) => d.connectionId));
    expect(codeOf(await asA('v4/callsignal_device_svc/list_devices', { UserID: 'bonly' }))).toBe(70107);
    expect((await asA('v4/im_open_login_svc/account_check', { CheckItem: [{ UserID: 'bonly' }] })).ResultItem[0].AccountStatus).toBe('NotImported');
    expect(await asA('v4/callsignal_callback_svc/list_dead_letters')).toMatchObject({ ErrorCode: 0, Response: { DeadLetterList: [{ EventId: `dead-${a.app.sdkAppId}` }] } });

    // Writes naming B's ids or B-only users: refused or without effect on B.
    expect(codeOf(await asA('v4/call_engine_http_srv/end_call', { CallId: b.live }))).toBe(101004);
    expect((await asA('v4/im_open_login_svc/account_delete', { DeleteItem: [{ UserID: 'bonly' }] })).ResultItem[0].ResultCode).toBe(70107);
    expect(codeOf(await asA('v4/im_open_login_svc/kick', { UserID: 'bonly' }))).toBe(70107);
    expect(codeOf(await asA('v4/callsignal_device_svc/force_logout', { UserID: 'bonly' }))).toBe(70107);
    expect(codeOf(await asA('v4/profile/portrait_set', { From_Account: 'bonly', ProfileItem: [{ Tag: 'Tag_Profile_IM_Nick', Value: 'pwned' }] }))).toBe(40003);
    expect(codeOf(await asA('v4/profile/portrait_set', { From_Account: 'alice', ProfileItem: [{ Tag: 'Tag_Profile_IM_Nick', Value: 'renamed in A' }] }))).toBe(0);
    expect((await asA('v4/callsignal_device_svc/force_logout', { UserID: 'dave' })).Response.ConnectionIdList).toHaveLength(1);
    await a.u.dave!.closed();
    expect(codeOf(await asA('v4/call_config/set_callback', { Url: 'http://127.0.0.1:9/callbacks/changed', CallbackCommandList: [] }))).toBe(0);
    expect(codeOf(await asA('v1/callback/delete'))).toBe(0);
    expect((await asA('v4/callsignal_callback_svc/replay_dead_letters')).Response.Replayed).toBe(1);
    // A's call in the same room ends; B's call in "shared-room" does not.
    expect(codeOf(await asA('v4/call_engine_http_srv/dismiss_room', { RoomId: 'shared-room' }))).toBe(0);
    await a.u.bob!.event('onCallNotConnected', (f) => f.callId === a.live);
    expect(codeOf(await asA('v4/call_engine_http_srv/dismiss_room', { RoomId: 'shared-room' }))).toBe(101004);

    await expectNoNewEvents(Object.values(b.u), marksB);
    expect(await stateOf(b)).toEqual(beforeB);
    expect((await rt.deps.users.getUser(b.app.sdkAppId, 'bonly')).devices).toHaveLength(1);
    await closeAll(a.u, b.u);
  });
});

describe('the local web routes', () => {
  it("mint UserSigs for the demo app only: not for another existing app, whose REST API refuses the demo admin's sig", async () => {
    const other = await createApp(rt);
    const refused = await fetch(`${rt.httpUrl}/demo/usersig?userid=administrator&sdkappid=${other.sdkAppId}`);
    expect(refused.status).toBe(400);
    expect(JSON.stringify(await refused.json())).not.toMatch(/userSig/);
    const demo = (await (await fetch(`${rt.httpUrl}/demo/usersig?userid=administrator`)).json()) as { userSig: string };
    expect(codeOf((await rest(rt, 'v4/call_record_http_srv/get_record_by_filter', {}, { app: other, usersig: demo.userSig })).body)).toBe(60004);
    expect(codeOf((await rest(rt, 'v4/call_record_http_srv/get_record_by_filter', {}, { usersig: demo.userSig })).body)).toBe(0);
  });
});
