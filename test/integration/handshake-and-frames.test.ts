import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { signJwt } from '../../lib/auth/jwt.ts';
import { genUserSig } from '../../lib/auth/usersig.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { RawClient } from '../support/raw-client.ts';
import { useTestStack, wsUrlFor } from '../support/local-stack.ts';

let rt: LocalRuntime;
const secret = () => rt.demoApp.secretKeys[0] ?? '';
const refusedWith = (url: string) =>
  RawClient.open(url, 'x').then(
    async (c) => (await c.close(), 0),
    (err: { status?: number }) => err.status ?? -1,
  );

useTestStack((r) => (rt = r));

describe('the WebSocket handshake', () => {
  it('accepts a valid UserSig and a valid HS256 JWT', async () => {
    const bySig = await RawClient.login(wsUrlFor(rt, 'hs-alice'), 'hs-alice');
    const token = signJwt({ sdkAppId: rt.demoApp.sdkAppId, userId: 'hs-bob', secret: secret(), expireSec: 600 });
    const byJwt = await RawClient.login(wsUrlFor(rt, 'hs-bob', { token }), 'hs-bob');
    await Promise.all([bySig.close(), byJwt.close()]);
  });

  it('accepts an RS256 JWT signed with a key registered on the app', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await rt.deps.apps.putApp({ ...rt.demoApp, jwtPublicKeys: [publicKey.export({ type: 'spki', format: 'pem' }).toString()] });
    const token = jwt.sign({ sub: 'hs-rsa' }, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), {
      algorithm: 'RS256',
      audience: String(rt.demoApp.sdkAppId),
      expiresIn: 600,
    });
    const c = await RawClient.login(wsUrlFor(rt, 'hs-rsa', { token }), 'hs-rsa');
    await c.close();
    await rt.deps.apps.putApp(rt.demoApp);
  });

  it('refuses bad, wrong-user, wrong-app and expired UserSigs and bad JWTs with 401/403', async () => {
    const app = rt.demoApp.sdkAppId;
    const expired = genUserSig({ sdkAppId: app, userId: 'hs-x', key: secret(), expireSec: 10, nowSec: Math.floor(Date.now() / 1000) - 100 });
    const otherKey = genUserSig({ sdkAppId: app, userId: 'hs-x', key: 'not-the-secret', expireSec: 600 });
    const otherUser = genUserSig({ sdkAppId: app, userId: 'someone-else', key: secret(), expireSec: 600 });
    const otherApp = genUserSig({ sdkAppId: app + 1, userId: 'hs-x', key: secret(), expireSec: 600 });
    expect(await refusedWith(wsUrlFor(rt, 'hs-x', { usersig: 'garbage' }))).toBe(403);
    expect(await refusedWith(wsUrlFor(rt, 'hs-x', { usersig: otherKey }))).toBe(403);
    expect(await refusedWith(wsUrlFor(rt, 'hs-x', { usersig: otherUser }))).toBe(403);
    expect(await refusedWith(wsUrlFor(rt, 'hs-x', { usersig: otherApp }))).toBe(403);
    expect(await refusedWith(wsUrlFor(rt, 'hs-x', { usersig: expired }))).toBe(401);
    // A sig valid for the app, presented to another (unknown) SDKAppID.
    expect(await refusedWith(wsUrlFor(rt, 'hs-x', { sdkAppId: 999, usersig: genUserSig({ sdkAppId: 999, userId: 'hs-x', key: secret(), expireSec: 60 }) }))).toBe(403);

    const badJwt = signJwt({ sdkAppId: app, userId: 'hs-x', secret: 'wrong', expireSec: 600 });
    const noneJwt = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'hs-x', aud: String(app), exp: 9e9 })).toString('base64url')}.`;
    const expiredJwt = signJwt({ sdkAppId: app, userId: 'hs-x', secret: secret(), expireSec: 1, nowSec: Math.floor(Date.now() / 1000) - 100 });
    expect(await refusedWith(wsUrlFor(rt, 'hs-x', { token: badJwt }))).toBe(403);
    expect(await refusedWith(wsUrlFor(rt, 'hs-x', { token: noneJwt }))).toBe(403);
    expect(await refusedWith(wsUrlFor(rt, 'hs-x', { token: expiredJwt }))).toBe(401);
    expect(await refusedWith(`${rt.wsUrl}/?sdkappid=${app}&userid=hs-x`)).toBe(401);
  });

  it('stores nothing for a refused connection', async () => {
    await refusedWith(wsUrlFor(rt, 'hs-ghost', { usersig: 'garbage' }));
    const view = await rt.deps.users.getUser(rt.demoApp.sdkAppId, 'hs-ghost');
    expect(view).toEqual({ devices: [] });
  });
});

describe('frames', () => {
  it('answers -1201 to any action before login, then accepts login once', async () => {
    const c = await RawClient.open(wsUrlFor(rt, 'fr-a'), 'fr-a');
    const early = await c.request('calls', { userIdList: ['fr-b'], mediaType: 'Audio' });
    expect(early.code).toBe(-1201);
    expect((await c.request('heartbeat')).code).toBe(-1201);
    const first = await c.request('login', { platform: 'Web' }, 'login-1');
    expect(first.code).toBe(0);
    expect(first.data).toMatchObject({ userId: 'fr-a', heartbeatIntervalSec: 1, multiDeviceAbility: false });
    expect((await c.request('login', { platform: 'Web' }, 'login-1')).data.loginId).toBe(first.data.loginId);
    expect((await c.request('login', { platform: 'Web' }, 'login-2')).code).toBe(-1204);
    expect((await c.request('heartbeat')).data.serverTime).toBeGreaterThan(0);
    await c.close();
  });

  it('answers bad JSON, a frame over 32 KB and a non-object with onError, and keeps the connection', async () => {
    const c = await RawClient.login(wsUrlFor(rt, 'fr-c'), 'fr-c');
    c.sendRaw('{not json');
    expect((await c.event('onError')).data).toMatchObject({ code: -1202, message: 'frame is not valid JSON' });
    c.sendRaw(JSON.stringify({ action: 'heartbeat', requestId: 'big', data: { pad: 'x'.repeat(33 * 1024) } }));
    expect((await c.event('onError', (f) => /limit is 32768/.test(f.data.message))).data.code).toBe(-1202);
    c.sendRaw('[1,2]');
    await c.event('onError', (f) => /JSON object/.test(f.data.message));
    expect((await c.request('heartbeat')).code).toBe(0);
    await c.close();
  });

  it('names the field and the rule in -1202 answers, and refuses unknown actions', async () => {
    const c = await RawClient.login(wsUrlFor(rt, 'fr-d'), 'fr-d');
    const unknown = await c.request('teleport', {});
    expect(unknown).toMatchObject({ code: -1202, message: 'unknown action "teleport"' });
    const badMedia = await c.request('calls', { userIdList: ['x'], mediaType: 'Hologram' });
    expect(badMedia.code).toBe(-1202);
    expect(badMedia.message).toMatch(/mediaType/);
    const badUser = await c.request('calls', { userIdList: ['bad id!'], mediaType: 'Audio' });
    expect(badUser.message).toMatch(/32 bytes|a-z/);
    const tooMany = await c.request('calls', { userIdList: Array.from({ length: 9 }, (_, i) => `u${i}`), mediaType: 'Audio' });
    expect(tooMany.message).toMatch(/at most 9 members/);
    const badRoom = await c.request('calls', { userIdList: ['x'], mediaType: 'Audio', params: { roomId: 0 } });
    expect(badRoom.message).toMatch(/roomId/);
    const proto = await c.request('hangup', JSON.parse('{"callId":"c","__proto__":{"polluted":true}}'));
    expect(proto.code).toBe(8010);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await c.close();
  });

  it('answers logout, then the server closes the connection and the user is UNLOGINED', async () => {
    const a = await RawClient.login(wsUrlFor(rt, 'fr-e'), 'fr-e');
    const watcher = await RawClient.login(wsUrlFor(rt, 'fr-w'), 'fr-w');
    expect((await watcher.request('getUserStatus', { userIdList: ['fr-e', 'fr-nobody'] })).data.statusList).toEqual([
      { userId: 'fr-e', status: 'ONLINE' },
      { userId: 'fr-nobody', status: 'UNLOGINED' },
    ]);
    const closed = a.closed();
    expect((await a.request('logout')).code).toBe(0);
    await closed;
    expect((await watcher.request('getUserStatus', { userIdList: ['fr-e'] })).data.statusList[0].status).toBe('UNLOGINED');
    await watcher.close();
  });
});

describe('profile and sync actions', () => {
  it('sets nickname and avatar, refusing a non-URL avatar and an over-long nickname', async () => {
    const c = await RawClient.login(wsUrlFor(rt, 'pf-a'), 'pf-a');
    expect((await c.request('setSelfInfo', { nickname: 'Ann', avatar: 'https://example.com/a.png' })).code).toBe(0);
    const profile = (await rt.deps.users.getUser(rt.demoApp.sdkAppId, 'pf-a')).profile;
    expect(profile).toMatchObject({ nickname: 'Ann', avatar: 'https://example.com/a.png' });
    expect((await c.request('setSelfInfo', { avatar: 'not a url' })).message).toMatch(/avatar must be an http\(s\) URL/);
    expect((await c.request('setSelfInfo', { nickname: 'é'.repeat(251) })).message).toMatch(/nickname is at most 500 bytes/);
    expect((await c.request('enableMultiDeviceAbility', { enable: true })).data).toEqual({ multiDeviceAbility: true });
    await c.close();
  });

  it('tells a client its live call with syncCall, and null when there is none', async () => {
    const a = await RawClient.login(wsUrlFor(rt, 'sy-a'), 'sy-a');
    const b = await RawClient.login(wsUrlFor(rt, 'sy-b'), 'sy-b');
    expect((await b.request('syncCall')).data).toEqual({ call: null });
    const { callId } = (await a.request('calls', { userIdList: ['sy-b'], mediaType: 'Video' })).data;
    await b.event('onCallReceived');
    const snapshot = (await b.request('syncCall')).data.call;
    expect(snapshot).toMatchObject({ callId, callerId: 'sy-a', calleeIdList: ['sy-b'], role: 'Called', status: 'calling', scene: 'SINGLE_CALL' });
    expect(snapshot.remainingMs).toBeGreaterThan(0);
    await b.request('accept', { callId });
    expect((await a.request('syncCall')).data.call).toMatchObject({ callId, role: 'Caller', status: 'connected' });
    await a.request('hangup', { callId });
    await a.event('onCallEnd');
    expect((await a.request('syncCall')).data).toEqual({ call: null });
    await Promise.all([a.close(), b.close()]);
  });
});

describe('offline push information', () => {
  it('accepts flat OfflinePushInfo and refuses nested or oversized values with -1202', async () => {
    const a = await RawClient.login(wsUrlFor(rt, 'op-a'), 'op-a');
    const b = await RawClient.login(wsUrlFor(rt, 'op-b'), 'op-b');
    const nested = await a.request('calls', { userIdList: ['op-b'], mediaType: 'Audio', params: { offlinePushInfo: { title: { deep: { deeper: 1 } } } } });
    expect(nested.code).toBe(-1202);
    expect(nested.message).toMatch(/offlinePushInfo/);
    const ok = await a.request('calls', { userIdList: ['op-b'], mediaType: 'Audio', params: { offlinePushInfo: { title: 'Call', desc: 'a calls', ignoreIOSBadge: true, androidVIVOClassification: 1 } } });
    expect(ok.code).toBe(0);
    await a.request('hangup', { callId: ok.data.callId });
    await Promise.all([a.close(), b.close()]);
  });
});
