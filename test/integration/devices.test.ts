import { describe, expect, it } from 'vitest';
import type { App } from '../../lib/apps/app.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { RawClient } from '../support/raw-client.ts';
import { createApp, useTestStack, urlIn } from '../support/local-stack.ts';

let rt: LocalRuntime;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Logs in one device; devices of one user log in a few ms apart so "newest" is well defined. */
async function device(app: App, userId: string, platform = 'Web', deviceId?: string): Promise<RawClient> {
  const c = await RawClient.login(urlIn(rt, app, userId), userId, platform, deviceId);
  await sleep(5);
  return c;
}
const closeAll = (...cs: RawClient[]) => Promise.all(cs.map((c) => c.close()));

useTestStack((r) => (rt = r));

describe('login policies', () => {
  it('multi: the newest login kicks the oldest device of the same platform only (PlatformLimit)', async () => {
    const app = await createApp(rt, { maxDevicesPerPlatform: 2 });
    const web1 = await device(app, 'u');
    const web2 = await device(app, 'u');
    const ios = await device(app, 'u', 'iOS');
    expect(web1.events('onKickedOffline')).toHaveLength(0);
    const closed = web1.closed();
    const web3 = await device(app, 'u');
    expect((await web1.event('onKickedOffline')).data).toEqual({ reason: 'PlatformLimit' });
    await closed;
    await sleep(50);
    for (const c of [web2, web3, ios]) expect(c.events('onKickedOffline')).toHaveLength(0);
    const view = await rt.deps.users.getUser(app.sdkAppId, 'u');
    expect(view.devices.map((d) => d.platform).sort()).toEqual(['Web', 'Web', 'iOS']);
    await closeAll(web2, web3, ios);
  });

  it('single: a new login kicks every other device of the user (LoginElsewhere)', async () => {
    const app = await createApp(rt, { loginPolicy: 'single' });
    const web = await device(app, 'u');
    const ios = await device(app, 'u', 'iOS');
    expect((await web.event('onKickedOffline')).data.reason).toBe('LoginElsewhere');
    const android = await device(app, 'u', 'Android');
    expect((await ios.event('onKickedOffline')).data.reason).toBe('LoginElsewhere');
    await Promise.all([web.closed(), ios.closed()]);
    expect((await rt.deps.users.getUser(app.sdkAppId, 'u')).devices.map((d) => d.platform)).toEqual(['Android']);
    await android.close();
  });

  it('a kicked device that was ringing stops ringing, and one in a call makes its user leave it', async () => {
    const app = await createApp(rt, { loginPolicy: 'single' });
    const alice = await device(app, 'alice');
    const bobOld = await device(app, 'bob');
    const { callId } = (await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' })).data;
    await bobOld.event('onCallReceived');
    const bobNew = await device(app, 'bob');
    expect((await bobOld.event('onCallNotConnected')).data).toMatchObject({ callId, userId: 'bob' });
    await bobOld.event('onKickedOffline');
    // The invitation keeps ringing for Bob: his new device gets it (it logged in while it rang).
    await bobNew.event('onCallReceived');
    await bobNew.request('accept', { callId });
    await alice.event('onCallBegin');
    const bobNewest = await device(app, 'bob');
    expect((await bobNew.event('onCallEnd')).data).toMatchObject({ reason: 'Hangup', userId: 'bob' });
    expect((await alice.event('onCallEnd')).data).toMatchObject({ reason: 'Hangup', userId: 'bob' });
    await bobNew.event('onKickedOffline');
    expect(bobNew.frames.findIndex((f) => f.event === 'onCallEnd')).toBeLessThan(bobNew.frames.findIndex((f) => f.event === 'onKickedOffline'));
    expect((await rt.deps.records.getRecord(app.sdkAppId, callId))?.CallResult).toBe('NormalEnd');
    await closeAll(alice, bobNewest);
  });
});

describe('who rings and who wins', () => {
  it('rings only the newest device with multi-device ability off, every device with it on', async () => {
    const app = await createApp(rt);
    const alice = await device(app, 'alice');
    const [b1, b2, b3] = [await device(app, 'bob'), await device(app, 'bob', 'iOS'), await device(app, 'bob', 'Mac')];
    const first = (await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' })).data.callId;
    await b3.event('onCallReceived');
    await alice.request('hangup', { callId: first });
    await b3.event('onCallNotConnected');
    expect([b1, b2].map((c) => c.events('onCallReceived').length)).toEqual([0, 0]);

    expect((await b1.request('enableMultiDeviceAbility', { enable: true })).data.multiDeviceAbility).toBe(true);
    const second = (await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' })).data.callId;
    await Promise.all([b1, b2, b3].map((c) => c.event('onCallReceived', (f) => f.callId === second)));
    await alice.request('hangup', { callId: second });
    await closeAll(alice, b1, b2, b3);
  });

  it('lets exactly one of N devices accepting at the same instant win, 100 rounds in a row', async () => {
    const app = await createApp(rt, { callsPerMinute: 1_000, wsFramesPerSec: 1_000 });
    const alice = await device(app, 'alice');
    const bobs = [await device(app, 'bob'), await device(app, 'bob', 'iOS'), await device(app, 'bob', 'Android'), await device(app, 'bob', 'Mac')];
    await bobs[0]!.request('enableMultiDeviceAbility', { enable: true });
    for (let round = 0; round < 100; round++) {
      const { callId } = (await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' }, `round-${round}`)).data;
      await Promise.all(bobs.map((b) => b.event('onCallReceived', (f) => f.callId === callId)));
      const answers = await Promise.all(bobs.map((b) => b.request('accept', { callId })));
      const winners = answers.filter((a) => a.code === 0);
      expect(winners, `round ${round}`).toHaveLength(1);
      expect(answers.filter((a) => a.code === 8010), `round ${round}`).toHaveLength(bobs.length - 1);
      const losers = bobs.filter((_, i) => answers[i]!.code !== 0);
      const told = await Promise.all(losers.map((b) => b.event('onCallNotConnected', (f) => f.callId === callId)));
      expect(told.every((f) => f.data.reason === 'OtherDeviceAccepted')).toBe(true);
      await alice.event('onCallBegin', (f) => f.callId === callId);
      await alice.request('hangup', { callId });
      await alice.event('onCallEnd', (f) => f.callId === callId);
    }
    expect(alice.events('onCallBegin')).toHaveLength(100);
    await closeAll(alice, ...bobs);
  });

  it('a reject on one device rejects for the user; ignore silences only its own device', async () => {
    const app = await createApp(rt);
    const alice = await device(app, 'alice');
    const [b1, b2, b3] = [await device(app, 'bob'), await device(app, 'bob', 'iOS'), await device(app, 'bob', 'Mac')];
    await b1.request('enableMultiDeviceAbility', { enable: true });
    const one = (await alice.request('calls', { userIdList: ['bob'], mediaType: 'Video' })).data.callId;
    await Promise.all([b1, b2, b3].map((c) => c.event('onCallReceived')));
    expect((await b1.request('ignore', { callId: one })).code).toBe(0);
    expect((await b2.request('reject', { callId: one })).code).toBe(0);
    expect((await b3.event('onCallNotConnected', (f) => f.callId === one)).data.reason).toBe('OtherDeviceReject');
    await alice.event('onUserReject');
    await sleep(100);
    // The ignoring device heard nothing more about that call.
    expect(b1.frames.filter((f) => f.type === 'event' && f.callId === one).map((f) => f.event)).toEqual(['onCallReceived']);
    expect((await rt.deps.records.getRecord(app.sdkAppId, one))?.CallResult).toBe('Reject');
    await closeAll(alice, b1, b2, b3);
  });
});

describe('late joiners', () => {
  it('rings a device that logs in while the invitation still rings, with the time left', async () => {
    const app = await createApp(rt);
    const alice = await device(app, 'alice');
    const bobPhone = await device(app, 'bob', 'iOS');
    await bobPhone.close();
    const { callId } = (await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio', params: { timeout: 10 } })).data;
    await sleep(200);
    const bobWeb = await device(app, 'bob');
    const ring = await bobWeb.event('onCallReceived');
    expect(ring.callId).toBe(callId);
    expect(ring.data.remainingMs).toBeGreaterThan(5_000);
    expect(ring.data.remainingMs).toBeLessThan(10_000);
    expect(bobWeb.frames.findIndex((f) => f.action === 'login')).toBeLessThan(bobWeb.frames.findIndex((f) => f.event === 'onCallReceived'));
    expect((await bobWeb.request('accept', { callId })).code).toBe(0);
    await alice.event('onCallBegin');
    await closeAll(alice, bobWeb);
  });

  it('does not ring a device that logs in after the deadline', async () => {
    const app = await createApp(rt);
    const alice = await device(app, 'alice');
    const bob = await device(app, 'bob');
    await bob.close();
    await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio', params: { timeout: 1 } });
    await alice.event('onCallNotConnected');
    const late = await device(app, 'bob');
    await sleep(200);
    expect(late.events('onCallReceived')).toHaveLength(0);
    await closeAll(alice, late);
  });
});
