import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { CallEndReason, CallEngine, MediaType } from '../../client/index.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { RawClient } from '../support/raw-client.ts';
import { sigFor, useTestStack, TEST_TIMING, wsUrlFor } from '../support/local-stack.ts';

/** Presence with short timings: heartbeats every second, offline after 2 s of silence, 1 s grace, connections live 3 s. */
let rt: LocalRuntime;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const login = async (userId: string, deviceId?: string) => {
  const c = await RawClient.login(wsUrlFor(rt, userId), userId, 'Web', deviceId);
  return Object.assign(c, { stopHeartbeats: c.heartbeats(400) });
};
const record = (callId: string) => rt.deps.records.getRecord(rt.demoApp.sdkAppId, callId);

/** Alice calls Bob and Bob accepts: both connected. */
async function connectedPair(a: string, b: string, bobDevice?: string) {
  const alice = await login(a);
  const bob = await login(b, bobDevice);
  const { callId } = (await alice.request('calls', { userIdList: [b], mediaType: 'Audio' })).data;
  await bob.event('onCallReceived');
  await bob.request('accept', { callId });
  await Promise.all([alice.event('onCallBegin'), bob.event('onCallBegin')]);
  return { alice, bob, callId };
}

useTestStack((r) => (rt = r), { timing: { ...TEST_TIMING, heartbeatTimeoutSec: 2, disconnectGraceSec: 1 }, connectionLimits: { maxLifetimeSec: 3 } });

describe('presence', () => {
  it('reports ONLINE while a device heartbeats, OFFLINE once it falls silent, UNLOGINED after logout', async () => {
    const watcher = await login('pr-watch');
    const silent = await RawClient.login(wsUrlFor(rt, 'pr-silent'), 'pr-silent');
    const status = async () => (await watcher.request('getUserStatus', { userIdList: ['pr-silent'] })).data.statusList[0].status;
    expect(await status()).toBe('ONLINE');
    await sleep(2_200);
    expect(await status()).toBe('OFFLINE');
    await silent.request('logout');
    expect(await status()).toBe('UNLOGINED');
    await watcher.close();
  });

  it('ends a 1v1 call as Offline when a member stops heartbeating (found by the sweeper)', async () => {
    const { alice, bob, callId } = await connectedPair('hb-a', 'hb-b');
    // Bob's app freezes: his socket stays open but he sends nothing any more.
    bob.stopHeartbeats();
    await sleep(2_300);
    await rt.sweepNow();
    expect((await alice.event('onCallEnd')).data).toMatchObject({ reason: 'Offline', userId: 'hb-b' });
    expect((await record(callId))?.CallResult).toBe('Offline');
    await Promise.all([alice.close(), bob.close()]);
  });

  it('ends a 1v1 call as Offline when a member disconnects and does not come back within the grace period', async () => {
    const { alice, bob, callId } = await connectedPair('gr-a', 'gr-b');
    const [bobDevice] = (await rt.deps.users.getUser(rt.demoApp.sdkAppId, 'gr-b')).devices;
    rt.dropConnection(bobDevice!.connectionId);
    await bob.closed();
    expect((await alice.event('onCallEnd')).data).toMatchObject({ reason: 'Offline', userId: 'gr-b' });
    expect((await record(callId))?.CallResult).toBe('Offline');
    await alice.close();
  });

  it('keeps a member in her call when her device reconnects within the grace period', async () => {
    const { alice, bob, callId } = await connectedPair('rc-a', 'rc-b', 'bob-phone');
    const [bobDevice] = (await rt.deps.users.getUser(rt.demoApp.sdkAppId, 'rc-b')).devices;
    rt.dropConnection(bobDevice!.connectionId);
    await bob.closed();
    const bobAgain = await login('rc-b', 'bob-phone');
    expect((await bobAgain.request('syncCall')).data.call).toMatchObject({ callId, status: 'connected' });
    await sleep(1_500);
    expect(alice.events('onCallEnd')).toHaveLength(0);
    await alice.request('hangup', { callId });
    expect((await bobAgain.event('onCallEnd')).data).toMatchObject({ reason: 'Hangup', userId: 'rc-a' });
    expect((await record(callId))?.CallResult).toBe('NormalEnd');
    await Promise.all([alice.close(), bobAgain.close()]);
  });

  it('tells a device whose UserSig expires while connected, then closes it', async () => {
    const url = wsUrlFor(rt, 'exp-a', { usersig: sigFor(rt, 'exp-a', 2) });
    const c = await RawClient.login(url, 'exp-a');
    const closed = c.closed();
    await c.event('onUserSigExpired');
    await closed;
    await expect.poll(async () => (await rt.deps.users.getUser(rt.demoApp.sdkAppId, 'exp-a')).devices.length).toBe(0);
  });
});

describe('API Gateway connection limits', () => {
  it('the client SDK reconnects when the gateway closes its connection, and the call goes on', async () => {
    const engine = (userId: string) => {
      const e = new CallEngine({ url: rt.wsUrl, sdkAppId: rt.demoApp.sdkAppId, WebSocket: WebSocket as never, reconnect: { minDelayMs: 20, maxDelayMs: 100 } });
      return e.login({ userId, userSig: sigFor(rt, userId) }).then(() => e);
    };
    const alice = await engine('lim-a');
    const bob = await engine('lim-b');
    const ringing = new Promise((r) => bob.on('onCallReceived', r));
    await alice.calls(['lim-b'], MediaType.Audio);
    await ringing;
    await bob.accept();
    await expect.poll(() => alice.status).toBe('connected');
    const reconnected = Promise.all([alice, bob].map((e) => new Promise((r) => e.on('reconnected', r))));
    await reconnected; // the gateway closed both connections at their 3 s lifetime; the SDK came back
    await sleep(1_500); // past the grace period
    expect([alice.status, bob.status]).toEqual(['connected', 'connected']);
    const ended = new Promise<{ reason: number }>((r) => bob.on('onCallEnd', r as never));
    await alice.hangup();
    expect((await ended).reason).toBe(CallEndReason.Hangup);
    alice.destroy();
    bob.destroy();
  });
});
