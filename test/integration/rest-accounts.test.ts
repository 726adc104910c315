import { describe, expect, it } from 'vitest';
import type { App } from '../../lib/apps/app.ts';
import { signJwt } from '../../lib/auth/jwt.ts';
import { genUserSig } from '../../lib/auth/usersig.ts';
import { PLATFORMS } from '../../lib/calls/types.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { RawClient } from '../support/raw-client.ts';
import { createApp, urlIn, useTestStack, wsUrlFor } from '../support/local-stack.ts';
import { rest } from '../support/rest-client.ts';

let rt: LocalRuntime;
useTestStack((r) => (rt = r));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const nowSec = () => Math.floor(Date.now() / 1000);
const closeAll = (...cs: RawClient[]) => Promise.all(cs.map((c) => c.close()));
/** Logs a user of `app` in on a platform; devices of one user log in a few ms apart so "newest" is well defined. */
async function device(app: App, userId: string, platform = 'Web'): Promise<RawClient> {
  const c = await RawClient.login(urlIn(rt, app, userId), userId, platform);
  await sleep(5);
  return c;
}
/** The loginId the server gave a device at login. */
const loginIdOf = (c: RawClient): string => c.frames.find((f) => f.type === 'response' && f.data?.loginId)?.data.loginId;
/** The HTTP status that refuses a handshake, or 0 when it was accepted. */
const handshake = (url: string) => RawClient.open(url, 'x').then(async (c) => (await c.close(), 0), (err: { status?: number }) => err.status ?? -1);
/** An admin REST call against one app of the stack. */
const admin = async (app: App, path: string, body: unknown) => (await rest(rt, `v4/${path}`, body, { app })).body;

const typeOf = (x: unknown) => (Array.isArray(x) ? 'array' : x === null ? 'null' : typeof x);
/**
 * Where an answer's field names or JSON types differ from a documented example (recursively; each array
 * entry must match one documented entry). `RequestId` is our documented extra envelope field (spec §0).
 */
function shapeDiff(actual: unknown, doc: unknown, path = '$'): string[] {
  if (Array.isArray(doc)) {
    if (!Array.isArray(actual)) return [`${path}: ${typeOf(actual)} instead of array`];
    return actual.flatMap((a, i) => {
      const tries = doc.map((d) => shapeDiff(a, d, `${path}[${i}]`));
      return tries.length === 0 || tries.some((t) => t.length === 0) ? [] : (tries[0] ?? []);
    });
  }
  if (doc !== null && typeof doc === 'object') {
    if (typeOf(actual) !== 'object') return [`${path}: ${typeOf(actual)} instead of object`];
    const [a, d] = [actual as Record<string, unknown>, doc as Record<string, unknown>];
    const keys = new Set([...Object.keys(a), ...Object.keys(d)].filter((k) => !(path === '$' && k === 'RequestId')));
    return [...keys].flatMap((k) => (!(k in d) ? [`${path}.${k}: not documented`] : !(k in a) ? [`${path}.${k}: missing`] : shapeDiff(a[k], d[k], `${path}.${k}`)));
  }
  return typeOf(actual) === typeOf(doc) ? [] : [`${path}: ${typeOf(actual)} instead of ${typeOf(doc)}`];
}

/** The request and response examples of account-admin-api.md, verbatim. */
const SPEC = {
  account_import: [{ UserID: 'test', Nick: 'test', FaceUrl: 'http://www.qq.com' }, { ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 }],
  multiaccount_import: [{ Accounts: ['test1', 'test2', 'test3', 'test4', 'test5'] }, { ActionStatus: 'OK', ErrorCode: 0, ErrorInfo: '', FailAccounts: ['test3', 'test4'] }],
  multiaccount_import_new: [{ AccountList: [{ UserID: 'UserID_001', Nick: 'Nick_001', FaceUrl: 'http://www.qq.com' }, { UserID: 'UserID_002', Nick: 'Nick_002', FaceUrl: 'http://www.qq.com' }] }],
  account_delete: [
    { DeleteItem: [{ UserID: 'UserID_1' }, { UserID: 'UserID_2' }] },
    { ActionStatus: 'OK', ErrorCode: 0, ErrorInfo: '', ResultItem: [{ ResultCode: 0, ResultInfo: '', UserID: 'UserID_1' }, { ResultCode: 70107, ResultInfo: 'Err_TLS_PT_Open_Login_Account_Not_Exist', UserID: 'UserID_2' }] },
  ],
  account_check: [
    { CheckItem: [{ UserID: 'UserID_1' }, { UserID: 'UserID_2' }] },
    { ActionStatus: 'OK', ErrorCode: 0, ErrorInfo: '', ResultItem: [{ UserID: 'UserID_1', ResultCode: 0, ResultInfo: '', AccountStatus: 'Imported' }, { UserID: 'UserID_2', ResultCode: 0, ResultInfo: '', AccountStatus: 'NotImported' }] },
  ],
  kick: [{ UserID: 'test' }, { ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 }],
  query_online_status: [
    { IsNeedDetail: 1, To_Account: ['id1', 'id2', 'id4'] },
    {
      ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0,
      QueryResult: [{ To_Account: 'id1', Status: 'Online', Detail: [{ Platform: 'iPhone', Status: 'PushOnline' }, { Platform: 'Web', Status: 'Online' }] }, { To_Account: 'id2', Status: 'Offline' }],
      ErrorList: [{ To_Account: 'id4', ErrorCode: 70107 }],
    },
  ],
  portrait_get: [
    { To_Account: ['id1'], TagList: ['Tag_Profile_IM_Nick'] },
    { UserProfileItem: [{ To_Account: 'id1', ProfileItem: [{ Tag: 'Tag_Profile_IM_Nick', Value: 'NickNameTest1' }], ResultCode: 0, ResultInfo: '' }], ActionStatus: 'OK', ErrorCode: 0, ErrorInfo: '', ErrorDisplay: '' },
  ],
  portrait_set: [{ From_Account: 'id', ProfileItem: [{ Tag: 'Tag_Profile_IM_Nick', Value: 'MyNickName' }] }, { ActionStatus: 'FAIL', ErrorCode: 40001, ErrorInfo: 'Err_Profile_Comm_Decode_Fail', ErrorDisplay: '' }],
} as const;

describe('the documented examples (account-admin-api.md), sent as-is to the demo app', () => {
  const demo = () => rt.demoApp;
  const exactly = (doc: object) => ({ ...doc, RequestId: expect.any(String) });

  it('account_import creates the account with its nickname and avatar and answers the documented envelope', async () => {
    const [request, response] = SPEC.account_import;
    expect(await admin(demo(), 'im_open_login_svc/account_import', request)).toEqual(exactly(response));
    const got = await admin(demo(), 'profile/portrait_get', { To_Account: ['test'], TagList: ['Tag_Profile_IM_Nick', 'Tag_Profile_IM_Image'] });
    expect(got.UserProfileItem[0].ProfileItem).toEqual([{ Tag: 'Tag_Profile_IM_Nick', Value: 'test' }, { Tag: 'Tag_Profile_IM_Image', Value: 'http://www.qq.com' }]);
  });

  it('multiaccount_import takes the legacy Accounts form and the AccountList form with FailAccounts as documented', async () => {
    const [legacy, response] = SPEC.multiaccount_import;
    const first = await admin(demo(), 'im_open_login_svc/multiaccount_import', legacy);
    expect(shapeDiff(first, response)).toEqual([]);
    expect(first).toMatchObject({ ActionStatus: 'OK', ErrorCode: 0, FailAccounts: [] });
    const second = await admin(demo(), 'im_open_login_svc/multiaccount_import', SPEC.multiaccount_import_new[0]);
    expect(shapeDiff(second, response)).toEqual([]);
    const check = await admin(demo(), 'im_open_login_svc/account_check', { CheckItem: [...legacy.Accounts, 'UserID_001', 'UserID_002'].map((UserID) => ({ UserID })) });
    expect(check.ResultItem.map((r: { AccountStatus: string }) => r.AccountStatus)).toEqual(Array(7).fill('Imported'));
    const nick = await admin(demo(), 'profile/portrait_get', { To_Account: ['UserID_002'], TagList: ['Tag_Profile_IM_Nick'] });
    expect(nick.UserProfileItem[0].ProfileItem).toEqual([{ Tag: 'Tag_Profile_IM_Nick', Value: 'Nick_002' }]);
  });

  it('account_delete answers exactly the documented ResultItem: 0 for an existing account, 70107 for an unknown one', async () => {
    await admin(demo(), 'im_open_login_svc/account_import', { UserID: 'UserID_1' });
    const [request, response] = SPEC.account_delete;
    expect(await admin(demo(), 'im_open_login_svc/account_delete', request)).toEqual(exactly(response));
  });

  it('account_check answers exactly the documented Imported / NotImported ResultItem', async () => {
    await admin(demo(), 'im_open_login_svc/account_import', { UserID: 'UserID_1' });
    const [request, response] = SPEC.account_check;
    expect(await admin(demo(), 'im_open_login_svc/account_check', request)).toEqual(exactly(response));
  });

  it('kick answers the documented envelope', async () => {
    await admin(demo(), 'im_open_login_svc/account_import', SPEC.account_import[0]);
    const [request, response] = SPEC.kick;
    expect(await admin(demo(), 'im_open_login_svc/kick', request)).toEqual(exactly(response));
  });

  it('query_online_status answers the documented QueryResult (Status, Detail per platform) and ErrorList fields', async () => {
    const iphone = await device(demo(), 'id1', 'iOS');
    const web = await device(demo(), 'id1', 'Web');
    await admin(demo(), 'im_open_login_svc/account_import', { UserID: 'id2' });
    const [request, response] = SPEC.query_online_status;
    const answer = await admin(demo(), 'openim/query_online_status', request);
    expect(shapeDiff(answer, response)).toEqual([]);
    expect(answer).toMatchObject({ ActionStatus: 'OK', ErrorCode: 0, ErrorList: [{ To_Account: 'id4', ErrorCode: 70107 }] });
    expect(answer.QueryResult).toEqual([
      { To_Account: 'id1', Status: 'Online', Detail: [{ Platform: 'iPhone', Status: 'Online' }, { Platform: 'Web', Status: 'Online' }] },
      { To_Account: 'id2', Status: 'Offline' },
    ]);
    await closeAll(iphone, web);
  });

  it('portrait_get answers exactly the documented UserProfileItem with ErrorDisplay', async () => {
    await admin(demo(), 'im_open_login_svc/account_import', { UserID: 'id1', Nick: 'NickNameTest1' });
    const [request, response] = SPEC.portrait_get;
    expect(await admin(demo(), 'profile/portrait_get', request)).toEqual(exactly(response));
  });

  it('portrait_set accepts the documented request and answers the documented fields (ErrorDisplay included)', async () => {
    await admin(demo(), 'im_open_login_svc/account_import', { UserID: 'id' });
    const [request, response] = SPEC.portrait_set;
    const answer = await admin(demo(), 'profile/portrait_set', request);
    expect(shapeDiff(answer, response)).toEqual([]);
    expect(answer).toMatchObject({ ActionStatus: 'OK', ErrorCode: 0, ErrorInfo: '', ErrorDisplay: '' });
    expect((await rt.deps.users.getProfile(demo().sdkAppId, 'id'))?.nickname).toBe('MyNickName');
  });
});

describe('error codes', () => {
  const many = (n: number) => Array.from({ length: n }, (_, i) => `u${i}`);
  const cases: [string, string, unknown, number][] = [
    ['account_import without UserID', 'im_open_login_svc/account_import', { Nick: 'x' }, 70402],
    ['account_import with a UserID breaking the rule', 'im_open_login_svc/account_import', { UserID: 'a b#c' }, 70402],
    ['account_import with a 501-byte Nick', 'im_open_login_svc/account_import', { UserID: 'e-u', Nick: 'é'.repeat(250) + 'x' }, 40601],
    ['account_import with a 501-byte FaceUrl', 'im_open_login_svc/account_import', { UserID: 'e-u', FaceUrl: 'x'.repeat(501) }, 40601],
    ['multiaccount_import with both forms', 'im_open_login_svc/multiaccount_import', { Accounts: ['a'], AccountList: [{ UserID: 'b' }] }, 70402],
    ['multiaccount_import with neither form', 'im_open_login_svc/multiaccount_import', {}, 70402],
    ['multiaccount_import with 101 accounts', 'im_open_login_svc/multiaccount_import', { Accounts: many(101) }, 70402],
    ['account_delete with 101 items', 'im_open_login_svc/account_delete', { DeleteItem: many(101).map((UserID) => ({ UserID })) }, 70402],
    ['account_delete without DeleteItem', 'im_open_login_svc/account_delete', {}, 70402],
    ['account_check with 101 items', 'im_open_login_svc/account_check', { CheckItem: many(101).map((UserID) => ({ UserID })) }, 70402],
    ['kick of an unknown account', 'im_open_login_svc/kick', { UserID: 'e-nobody' }, 70107],
    ['kick without UserID', 'im_open_login_svc/kick', {}, 70402],
    ['query_online_status without To_Account', 'openim/query_online_status', {}, 90001],
    ['query_online_status with an empty To_Account', 'openim/query_online_status', { To_Account: [] }, 90001],
    ['query_online_status with non-string entries', 'openim/query_online_status', { To_Account: ['e-u', 7] }, 90003],
    ['query_online_status with 501 accounts', 'openim/query_online_status', { To_Account: many(501) }, 90011],
    ['query_online_status where every account is unknown', 'openim/query_online_status', { To_Account: ['e-nobody'] }, 70107],
    ['portrait_get without To_Account', 'profile/portrait_get', { TagList: ['Tag_Profile_IM_Nick'] }, 40002],
    ['portrait_get without TagList', 'profile/portrait_get', { To_Account: ['e-u'] }, 40001],
    ['portrait_get with 101 users', 'profile/portrait_get', { To_Account: many(101), TagList: ['Tag_Profile_IM_Nick'] }, 40001],
    ['portrait_get of an unknown Tag_Profile_IM_ tag', 'profile/portrait_get', { To_Account: ['e-u'], TagList: ['Tag_Profile_IM_Gender'] }, 40009],
    ['portrait_set of an unknown account', 'profile/portrait_set', { From_Account: 'e-nobody', ProfileItem: [{ Tag: 'Tag_Profile_IM_Nick', Value: 'n' }] }, 40003],
    ['portrait_set without ProfileItem', 'profile/portrait_set', { From_Account: 'e-u' }, 40001],
    ['portrait_set of an unknown Tag_Profile_IM_ tag', 'profile/portrait_set', { From_Account: 'e-u', ProfileItem: [{ Tag: 'Tag_Profile_IM_Level', Value: 1 }] }, 40009],
    ['portrait_set of a custom tag with a 9-letter keyword', 'profile/portrait_set', { From_Account: 'e-u', ProfileItem: [{ Tag: 'Tag_Profile_Custom_Ninelongs', Value: 'v' }] }, 40009],
    ['portrait_set of a 501-byte Nick', 'profile/portrait_set', { From_Account: 'e-u', ProfileItem: [{ Tag: 'Tag_Profile_IM_Nick', Value: 'x'.repeat(501) }] }, 40601],
    ['portrait_set of a number as Nick', 'profile/portrait_set', { From_Account: 'e-u', ProfileItem: [{ Tag: 'Tag_Profile_IM_Nick', Value: 5 }] }, 40610],
    ['list_devices of an unknown account', 'callsignal_device_svc/list_devices', { UserID: 'e-nobody' }, 70107],
    ['list_devices without UserID', 'callsignal_device_svc/list_devices', {}, 70402],
    ['force_logout of an unknown account', 'callsignal_device_svc/force_logout', { UserID: 'e-nobody' }, 70107],
    ['force_logout of an unknown connection', 'callsignal_device_svc/force_logout', { UserID: 'e-u', ConnectionId: 'no-such-connection' }, 70402],
  ];

  it.each(cases)('%s answers %4$i', async (_name, path, body, code) => {
    await admin(rt.demoApp, 'im_open_login_svc/account_import', { UserID: 'e-u' });
    const answer = await admin(rt.demoApp, path, body);
    expect(answer).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: code });
    expect(answer.ErrorInfo).not.toBe('');
  });

  it('answers an unknown connection in force_logout with a message that names it', async () => {
    const answer = await admin(rt.demoApp, 'callsignal_device_svc/force_logout', { UserID: 'e-u', ConnectionId: 'no-such-connection' });
    expect(answer.ErrorInfo).toContain('no-such-connection');
  });

  it('lists UserIDs that cannot be imported in FailAccounts, and imports the others', async () => {
    const app = await createApp(rt);
    const answer = await admin(app, 'im_open_login_svc/multiaccount_import', { AccountList: [{ UserID: 'ok-1' }, { UserID: 'bad id' }, { UserID: 'ok-2', Nick: 'x'.repeat(501) }] });
    expect(answer).toMatchObject({ ErrorCode: 0, FailAccounts: ['bad id', 'ok-2'] });
    const check = await admin(app, 'im_open_login_svc/account_check', { CheckItem: [{ UserID: 'ok-1' }, { UserID: 'ok-2' }] });
    expect(check.ResultItem.map((r: { AccountStatus: string }) => r.AccountStatus)).toEqual(['Imported', 'NotImported']);
  });

  it('portrait_get answers per-user 40003 and Fail_Account for unknown users next to known ones', async () => {
    const answer = await admin(rt.demoApp, 'profile/portrait_get', { To_Account: ['e-u', 'e-nobody'], TagList: ['Tag_Profile_IM_Nick'] });
    expect(answer).toMatchObject({ ActionStatus: 'OK', ErrorCode: 0, ErrorDisplay: '', Fail_Account: ['e-nobody'] });
    expect(answer.UserProfileItem.map((p: { ResultCode: number }) => p.ResultCode)).toEqual([0, 40003]);
  });
});

describe('accounts and calls', () => {
  it('makes an imported user who never logged in callable (rings until the timeout, no 8021) and UNLOGINED', async () => {
    const app = await createApp(rt);
    const alice = await device(app, 'alice');
    expect((await alice.request('calls', { userIdList: ['ghost'], mediaType: 'Audio' })).code).toBe(8021);
    await admin(app, 'im_open_login_svc/account_import', { UserID: 'ghost', Nick: 'Ghost' });
    const placed = await alice.request('calls', { userIdList: ['ghost'], mediaType: 'Audio', params: { timeout: 1 } });
    expect(placed.code).toBe(0);
    expect((await alice.event('onUserNoResponse')).data.userId).toBe('ghost');
    expect((await alice.event('onCallNotConnected')).data).toMatchObject({ reason: 'NoResponse' });
    expect((await alice.request('getUserStatus', { userIdList: ['ghost', 'alice'] })).data.statusList).toEqual([
      { userId: 'ghost', status: 'UNLOGINED' },
      { userId: 'alice', status: 'ONLINE' },
    ]);
    await alice.close();
  });

  it('re-imports idempotently: the account stays, Nick/FaceUrl change only when given', async () => {
    const app = await createApp(rt);
    await admin(app, 'im_open_login_svc/account_import', { UserID: 'ri', Nick: 'One', FaceUrl: 'https://a/1.png' });
    const created = await rt.deps.users.getProfile(app.sdkAppId, 'ri');
    await admin(app, 'im_open_login_svc/account_import', { UserID: 'ri' });
    await admin(app, 'im_open_login_svc/multiaccount_import', { AccountList: [{ UserID: 'ri', Nick: 'Two' }] });
    expect(await rt.deps.users.getProfile(app.sdkAppId, 'ri')).toEqual({ ...created, nickname: 'Two' });
  });

  it('delete kicks every device with AccountDeleted, ends its call, and removes profile and devices', async () => {
    const app = await createApp(rt);
    const alice = await device(app, 'alice');
    const bobWeb = await device(app, 'bob', 'Web');
    const bobIos = await device(app, 'bob', 'iOS');
    const { callId } = (await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' })).data;
    await bobIos.event('onCallReceived');
    await bobIos.request('accept', { callId });
    await alice.event('onCallBegin');
    const closed = [bobWeb.closed(), bobIos.closed()];
    const answer = await admin(app, 'im_open_login_svc/account_delete', { DeleteItem: [{ UserID: 'bob' }] });
    expect(answer.ResultItem).toEqual([{ ResultCode: 0, ResultInfo: '', UserID: 'bob' }]);
    for (const c of [bobWeb, bobIos]) expect((await c.event('onKickedOffline')).data).toEqual({ reason: 'AccountDeleted' });
    await Promise.all(closed);
    expect((await alice.event('onCallEnd')).data).toMatchObject({ callId, userId: 'bob' });
    expect(bobIos.frames.findIndex((f) => f.event === 'onCallEnd')).toBeLessThan(bobIos.frames.findIndex((f) => f.event === 'onKickedOffline'));
    expect(await rt.deps.users.getUser(app.sdkAppId, 'bob')).toEqual({ devices: [] });
    const check = await admin(app, 'im_open_login_svc/account_check', { CheckItem: [{ UserID: 'bob' }] });
    expect(check.ResultItem[0].AccountStatus).toBe('NotImported');
    await alice.close();
  });

  it('kick sends onUserSigExpired and closes every connection; old credentials then get 403, fresh ones log in', async () => {
    const app = await createApp(rt);
    const key = app.secretKeys[0] ?? '';
    const oldSig = genUserSig({ sdkAppId: app.sdkAppId, userId: 'kim', key, expireSec: 3600, nowSec: nowSec() - 10 });
    const oldJwt = signJwt({ sdkAppId: app.sdkAppId, userId: 'kim', secret: key, expireSec: 3600, nowSec: nowSec() - 10 });
    const url = (cred: { usersig?: string; token?: string }) => wsUrlFor(rt, 'kim', { sdkAppId: app.sdkAppId, ...cred });
    const web = await RawClient.login(url({ usersig: oldSig }), 'kim', 'Web');
    const ios = await RawClient.login(url({ token: oldJwt }), 'kim', 'iOS');
    const closed = [web.closed(), ios.closed()];
    expect(await admin(app, 'im_open_login_svc/kick', { UserID: 'kim' })).toMatchObject({ ActionStatus: 'OK', ErrorCode: 0 });
    for (const c of [web, ios]) expect((await c.event('onUserSigExpired')).data).toEqual({});
    await Promise.all(closed);
    expect(web.events('onKickedOffline')).toHaveLength(0);
    expect(await handshake(url({ usersig: oldSig }))).toBe(403);
    expect(await handshake(url({ token: oldJwt }))).toBe(403);
    const fresh = await RawClient.login(url({ usersig: genUserSig({ sdkAppId: app.sdkAppId, userId: 'kim', key, expireSec: 3600 }) }), 'kim');
    const freshJwt = await RawClient.login(url({ token: signJwt({ sdkAppId: app.sdkAppId, userId: 'kim', secret: key, expireSec: 3600 }) }), 'kim', 'Mac');
    await closeAll(fresh, freshJwt);
  });
});

describe('profiles shared with the WebSocket setSelfInfo', () => {
  it('portrait_set, then setSelfInfo, and portrait_get all agree on nickname, avatar and custom fields', async () => {
    const app = await createApp(rt);
    const carol = await device(app, 'carol');
    const tags = ['Tag_Profile_IM_Nick', 'Tag_Profile_IM_Image', 'Tag_Profile_Custom_Level'];
    const read = async () => (await admin(app, 'profile/portrait_get', { To_Account: ['carol'], TagList: tags })).UserProfileItem[0].ProfileItem.map((p: { Value: string }) => p.Value);
    expect(await read()).toEqual(['', '', '']);
    const set = await admin(app, 'profile/portrait_set', { From_Account: 'carol', ProfileItem: [{ Tag: 'Tag_Profile_IM_Nick', Value: 'RestNick' }, { Tag: 'Tag_Profile_Custom_Level', Value: 'gold' }] });
    expect(set).toMatchObject({ ActionStatus: 'OK', ErrorDisplay: '' });
    expect((await carol.request('setSelfInfo', { avatar: 'https://img.example/c.png' })).code).toBe(0);
    expect(await read()).toEqual(['RestNick', 'https://img.example/c.png', 'gold']);
    expect((await carol.request('setSelfInfo', { nickname: 'WsNick' })).code).toBe(0);
    expect(await read()).toEqual(['WsNick', 'https://img.example/c.png', 'gold']);
    expect(await rt.deps.users.getProfile(app.sdkAppId, 'carol')).toMatchObject({ nickname: 'WsNick', avatar: 'https://img.example/c.png', custom: { Level: 'gold' } });
    await carol.close();
  });
});

describe('presence and devices', () => {
  it('query_online_status gives one Detail per device with its Tencent platform and InstID (the loginId)', async () => {
    const app = await createApp(rt);
    const ios = await device(app, 'dave', 'iOS');
    const pc = await device(app, 'dave', 'Windows');
    const query = { To_Account: ['dave'], IsNeedDetail: 1, IsReturnInstid: 1 };
    const online = await admin(app, 'openim/query_online_status', query);
    expect(online).toMatchObject({ ErrorCode: 0, ErrorList: [] });
    expect(online.QueryResult).toEqual([
      { To_Account: 'dave', Status: 'Online', Detail: [{ Platform: 'iPhone', Status: 'Online', InstID: loginIdOf(ios) }, { Platform: 'PC', Status: 'Online', InstID: loginIdOf(pc) }] },
    ]);
    // A device that stopped heartbeating is not live: Offline in Detail, and the user is Online while one device is.
    const [iosConn, pcConn] = (await admin(app, 'callsignal_device_svc/list_devices', { UserID: 'dave' })).Response.DeviceList.map((d: { ConnectionId: string }) => d.ConnectionId);
    const stale = Date.now() - (rt.deps.timing.heartbeatTimeoutSec + 5) * 1000;
    await rt.deps.users.touchDevice(app.sdkAppId, 'dave', iosConn, stale);
    const half = (await admin(app, 'openim/query_online_status', query)).QueryResult[0];
    expect(half.Status).toBe('Online');
    expect(half.Detail.map((d: { Status: string }) => d.Status)).toEqual(['Offline', 'Online']);
    await rt.deps.users.touchDevice(app.sdkAppId, 'dave', pcConn, stale);
    expect((await admin(app, 'openim/query_online_status', { To_Account: ['dave'] })).QueryResult).toEqual([{ To_Account: 'dave', Status: 'Offline' }]);
    await closeAll(ios, pc);
  });

  it('maps every platform to Tencent names: iOS→iPhone, Android, Web/miniProgram/Flutter/Unknown→Web, Windows/Linux→PC, Mac', async () => {
    const app = await createApp(rt);
    const expected: Record<string, string> = { iOS: 'iPhone', Android: 'Android', Web: 'Web', miniProgram: 'Web', Windows: 'PC', Mac: 'Mac', Linux: 'PC', Flutter: 'Web', Unknown: 'Web' };
    const clients: RawClient[] = [];
    for (const p of PLATFORMS) clients.push(await device(app, 'eve', p));
    const answer = await admin(app, 'openim/query_online_status', { To_Account: ['eve'], IsNeedDetail: 1 });
    expect(answer.QueryResult[0].Detail.map((d: { Platform: string }) => d.Platform)).toEqual(PLATFORMS.map((p) => expected[p]));
    await closeAll(...clients);
  });

  it('list_devices describes each connection; force_logout of one device, then of all, kicks them with AdminKick', async () => {
    const app = await createApp(rt);
    const alice = await device(app, 'alice');
    const web = await device(app, 'fred', 'Web');
    const android = await device(app, 'fred', 'Android');
    const list = async () => (await admin(app, 'callsignal_device_svc/list_devices', { UserID: 'fred' })).Response.DeviceList;
    const before = await list();
    expect(before).toHaveLength(2);
    expect(before[0]).toEqual({
      ConnectionId: expect.any(String), LoginId: loginIdOf(web), DeviceId: expect.any(String), Platform: 'Web',
      LoginTime: expect.any(Number), LastSeenTime: expect.any(Number), Online: true,
    });
    expect(Math.abs(before[0].LoginTime - nowSec())).toBeLessThanOrEqual(5);
    expect(before[1]).toMatchObject({ LoginId: loginIdOf(android), Platform: 'Android', Online: true });

    const one = await admin(app, 'callsignal_device_svc/force_logout', { UserID: 'fred', ConnectionId: before[1].ConnectionId });
    expect(one.Response).toEqual({ ConnectionIdList: [before[1].ConnectionId] });
    expect((await android.event('onKickedOffline')).data).toEqual({ reason: 'AdminKick' });
    await android.closed();
    expect(web.events('onKickedOffline')).toHaveLength(0);
    expect((await list()).map((d: { ConnectionId: string }) => d.ConnectionId)).toEqual([before[0].ConnectionId]);

    // The remaining device is in a call: logging it out makes fred leave it.
    const { callId } = (await alice.request('calls', { userIdList: ['fred'], mediaType: 'Audio' })).data;
    await web.event('onCallReceived');
    await web.request('accept', { callId });
    await alice.event('onCallBegin');
    const all = await admin(app, 'callsignal_device_svc/force_logout', { UserID: 'fred' });
    expect(all.Response).toEqual({ ConnectionIdList: [before[0].ConnectionId] });
    expect((await web.event('onKickedOffline')).data).toEqual({ reason: 'AdminKick' });
    await web.closed();
    expect((await alice.event('onCallEnd')).data).toMatchObject({ callId, userId: 'fred' });
    expect(await list()).toEqual([]);
    await alice.close();
  });
});
