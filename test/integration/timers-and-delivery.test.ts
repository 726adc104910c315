import { describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { RawClient } from '../support/raw-client.ts';
import { useTestStack, wsUrlFor } from '../support/local-stack.ts';

let rt: LocalRuntime;
const login = (userId: string) => RawClient.login(wsUrlFor(rt, userId), userId);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

useTestStack((r) => (rt = r));

describe('ring timers and the sweeper', () => {
  it('schedules one timer message per invitation, delayed until the ring deadline', async () => {
    const [alice, bob] = await Promise.all([login('tm-a'), login('tm-b')]);
    const before = rt.timersQueue.size();
    const { callId } = (await alice.request('calls', { userIdList: ['tm-b'], mediaType: 'Audio', params: { timeout: 5 } })).data;
    const pending = rt.timersQueue.peek().filter((m) => JSON.parse(m.body).callId === callId);
    expect(pending).toHaveLength(1);
    expect(JSON.parse(pending[0]!.body)).toMatchObject({ type: 'ringTimeout', sdkAppId: rt.demoApp.sdkAppId, callId });
    expect(rt.timersQueue.size().delayed).toBe(before.delayed + 1);
    await alice.request('hangup', { callId });
    await Promise.all([alice.close(), bob.close()]);
  });

  it('ends a call whose timer message was lost, at the next sweep after the deadline', async () => {
    const [alice, bob] = await Promise.all([login('sw-a'), login('sw-b')]);
    const { callId } = (await alice.request('calls', { userIdList: ['sw-b'], mediaType: 'Audio', params: { timeout: 1 } })).data;
    // The message vanishes (as if SQS lost it): only the sweeper can end the call now.
    const lost = rt.timersQueue.drain().filter((m) => JSON.parse(m.body).callId === callId);
    expect(lost).toHaveLength(1);
    expect((await rt.sweepNow()).checked).toBe(0);
    await sleep(1_100);
    expect((await rt.sweepNow()).checked).toBeGreaterThanOrEqual(1);
    expect((await alice.event('onUserNoResponse')).data.userId).toBe('sw-b');
    expect((await rt.deps.records.getRecord(rt.demoApp.sdkAppId, callId))?.CallResult).toBe('NotAnswer');
    // The call left the sweeper's index once it ended.
    expect((await rt.deps.calls.dueCalls(Date.now(), 100)).some((d) => d.callId === callId)).toBe(false);
    await Promise.all([alice.close(), bob.close()]);
  });

  it('treats a timer that fires twice as one: a single NotAnswer', async () => {
    const [alice, bob] = await Promise.all([login('dup-a'), login('dup-b')]);
    const { callId } = (await alice.request('calls', { userIdList: ['dup-b'], mediaType: 'Audio', params: { timeout: 1 } })).data;
    await rt.timersQueue.send(JSON.stringify({ type: 'ringTimeout', sdkAppId: rt.demoApp.sdkAppId, callId, at: Date.now() + 1000 }), { delayMs: 1_050 });
    await alice.event('onCallNotConnected');
    await sleep(300);
    expect(alice.events('onUserNoResponse')).toHaveLength(1);
    expect(bob.events('onCallNotConnected')).toHaveLength(1);
    await Promise.all([alice.close(), bob.close()]);
  });
});

describe('delivery to gone connections', () => {
  it('removes a device whose connection is gone (410) without failing the action', async () => {
    const alice = await login('gone-a');
    const bob = await login('gone-b');
    // Bob's socket dies without $disconnect reaching the service (API Gateway's is best effort).
    const view = await rt.deps.users.getUser(rt.demoApp.sdkAppId, 'gone-b');
    const device = view.devices[0]!;
    await bob.close();
    await expect.poll(async () => (await rt.deps.users.getUser(rt.demoApp.sdkAppId, 'gone-b')).devices.length).toBe(0);
    await rt.deps.users.putDevice(rt.demoApp.sdkAppId, 'gone-b', device);

    const placed = await alice.request('calls', { userIdList: ['gone-b'], mediaType: 'Audio' });
    expect(placed.code).toBe(0);
    // The ring to the gone connection answered 410, so the device was forgotten.
    await expect.poll(async () => (await rt.deps.users.getUser(rt.demoApp.sdkAppId, 'gone-b')).devices.length, { timeout: 5_000 }).toBe(0);
    expect((await alice.request('hangup', { callId: placed.data.callId })).code).toBe(0);
    await alice.close();
  });
});
