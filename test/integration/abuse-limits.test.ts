import { describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { RawClient, type Frame } from '../support/raw-client.ts';
import { createApp, urlIn, useTestStack } from '../support/local-stack.ts';

let rt: LocalRuntime;
useTestStack((r) => (rt = r));

const isRateLimited = (f: Frame) => f.type === 'event' && f.event === 'onError' && f.data.code === -1401 && /rate limit/.test(String(f.data.message));
const heartbeat = (i: number) => JSON.stringify({ action: 'heartbeat', requestId: `flood-${i}`, data: {} });

/** Runs `work` with the runtime's clock a few seconds into a minute, so a per-minute window cannot roll over mid-test. */
async function earlyInAMinute<T>(work: () => Promise<T>): Promise<T> {
  const clock = rt.deps.clock;
  const original = clock.now;
  const start = Date.now();
  const offset = (Math.floor(start / 60_000) + 1) * 60_000 + 2_000 - start;
  clock.now = () => original.call(clock) + offset;
  try {
    return await work();
  } finally {
    clock.now = original;
  }
}

describe('abuse limits', () => {
  it('drops frames over a connection\'s rate with onError -1401, then lets it go on once the bucket refills', async () => {
    const app = await createApp(rt, { wsFramesPerSec: 5, wsRefusalsBeforeClose: 1_000 });
    const c = await RawClient.login(urlIn(rt, app, 'flooder'), 'flooder');
    for (let i = 0; i < 40; i++) c.sendRaw(heartbeat(i));
    // Frames are handled concurrently (as by Lambda), so which ones pass is not fixed; how many is.
    await expect.poll(() => c.frames.length).toBe(41);
    const answered = c.frames.filter((f) => f.type === 'response' && String(f.requestId).startsWith('flood-'));
    const refused = c.frames.filter(isRateLimited);
    // A bucket of 2 × 5 frames, of which the login used one, refilling at 5/s while the flood arrives.
    expect(answered.length).toBeGreaterThanOrEqual(9);
    expect(answered.length).toBeLessThan(20);
    expect(answered.every((f) => f.code === 0)).toBe(true);
    expect(answered.length + refused.length).toBe(40);
    expect(refused[0]?.data.message).toMatch(/at most 5 frames per second per connection/);
    expect(rt.metrics.counts.get('FramesRateLimited')).toBeGreaterThanOrEqual(refused.length);
    // Other connections are not affected, and the flooder is served again a second later.
    const calm = await RawClient.login(urlIn(rt, app, 'calm'), 'calm');
    expect((await calm.request('heartbeat')).code).toBe(0);
    await new Promise((r) => setTimeout(r, 1_100));
    expect((await c.request('heartbeat')).code).toBe(0);
    await Promise.all([c.close(), calm.close()]);
  });

  it('closes a connection that keeps flooding, after telling it why', async () => {
    const app = await createApp(rt, { wsFramesPerSec: 5, wsRefusalsBeforeClose: 20 });
    const c = await RawClient.login(urlIn(rt, app, 'flooder'), 'flooder');
    const closed = c.closed();
    for (let i = 0; i < 60; i++) c.sendRaw(heartbeat(i));
    await closed;
    const last = c.frames.filter(isRateLimited).at(-1);
    expect(last?.data.message).toMatch(/20 frames were dropped within 10 s, so the connection is closed/);
    // Its device is gone once API Gateway ran $disconnect: the user is offline.
    await expect.poll(async () => (await rt.deps.users.getUser(app.sdkAppId, 'flooder')).devices.length).toBe(0);
  });

  it('refuses a user\'s calls beyond her calls per minute with -1401, across calls that ended, and leaves others alone', async () => {
    const app = await createApp(rt, { callsPerMinute: 3 });
    // Logged in on the shifted clock too, or the devices would look silent for a minute and not ring.
    const [alice, bob, carol] = await earlyInAMinute(async () => {
      const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((n) => RawClient.login(urlIn(rt, app, n), n)));
      for (let i = 0; i < 3; i++) {
        const placed = await alice!.request('calls', { userIdList: ['bob'], mediaType: 'Audio' });
        expect(placed.code).toBe(0);
        expect((await alice!.request('hangup', { callId: placed.data.callId })).code).toBe(0);
      }
      const refused = await alice!.request('calls', { userIdList: ['bob'], mediaType: 'Audio' });
      expect(refused.code).toBe(-1401);
      expect(refused.message).toMatch(/at most 3 calls per minute per user; retry in \d+ s/);
      // Nothing was started: Bob rang three times only, and both lines are free.
      expect(bob!.events('onCallReceived')).toHaveLength(3);
      expect((await rt.deps.users.getUser(app.sdkAppId, 'alice')).line).toBeUndefined();
      expect((await rt.deps.users.getUser(app.sdkAppId, 'bob')).line).toBeUndefined();
      // The limit is Alice's: Carol may call her, and she may answer.
      const toAlice = await carol!.request('calls', { userIdList: ['alice'], mediaType: 'Audio' });
      expect(toAlice.code).toBe(0);
      await alice!.event('onCallReceived', (f) => f.callId === toAlice.data.callId);
      expect((await alice!.request('accept', { callId: toAlice.data.callId })).code).toBe(0);
      expect((await carol!.request('hangup', { callId: toAlice.data.callId })).code).toBe(0);
      return [alice, bob, carol];
    });
    expect(rt.metrics.counts.get('CallsRateLimited')).toBeGreaterThanOrEqual(1);
    await Promise.all([alice, bob, carol].map((c) => c!.close()));
  });
});
