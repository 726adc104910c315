import { describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { RawClient } from '../support/raw-client.ts';
import { createApp, urlIn, useTestStack } from '../support/local-stack.ts';

let rt: LocalRuntime;
useTestStack((r) => (rt = r));

describe('faults', () => {
  it('ends a group call exactly once when all 9 members hang up at the same instant (conflict storm)', async () => {
    const app = await createApp(rt);
    const names = Array.from({ length: 9 }, (_, i) => `s${i}`);
    const u = await Promise.all(names.map((n) => RawClient.login(urlIn(rt, app, n), n)));
    const { callId } = (await u[0]!.request('calls', { userIdList: names.slice(1), mediaType: 'Audio' })).data;
    await Promise.all(u.slice(1).map((c) => c.event('onCallReceived')));
    await Promise.all(u.slice(1).map((c) => c.request('accept', { callId })));
    const answers = await Promise.all(u.map((c) => c.request('hangup', { callId })));
    // Each hangup either left the call or found it already ended (8010): never an internal error.
    expect(answers.every((a) => a.code === 0 || a.code === 8010)).toBe(true);
    expect(answers.filter((a) => a.code === 0).length).toBeGreaterThanOrEqual(8);
    await Promise.all(u.map((c) => c.event('onCallEnd', (f) => f.callId === callId)));
    for (const c of u) expect(c.events('onCallEnd').filter((f) => f.callId === callId)).toHaveLength(1);
    expect((await rt.deps.records.getRecord(app.sdkAppId, callId))?.CallResult).toBe('NormalEnd');
    const stored = await rt.deps.calls.getCall(app.sdkAppId, callId);
    expect(stored?.call.members.every((m) => m.state === 'left')).toBe(true);
    // Every line was freed: each member can be called again.
    for (const n of names) expect((await rt.deps.users.getUser(app.sdkAppId, n)).line).toBeUndefined();
    await Promise.all(u.map((c) => c.close()));
  });

  it('keeps the action and the call going when @connections fails (HTTP 500) for one device', async () => {
    const app = await createApp(rt);
    const [a, b] = await Promise.all(['a', 'b'].map((n) => RawClient.login(urlIn(rt, app, n), n)));
    const [aliceDevice] = (await rt.deps.users.getUser(app.sdkAppId, 'a')).devices;
    const post = rt.deps.connections.post.bind(rt.deps.connections);
    rt.deps.connections.post = async (connectionId, frame) => {
      if (connectionId === aliceDevice!.connectionId) throw Object.assign(new Error('Internal Server Error'), { $metadata: { httpStatusCode: 500 } });
      return post(connectionId, frame);
    };
    try {
      const { callId } = (await a!.request('calls', { userIdList: ['b'], mediaType: 'Audio' })).data;
      await b!.event('onCallReceived');
      // Alice never hears onCallBegin (her pushes fail), but Bob's accept succeeds and the call connects.
      expect((await b!.request('accept', { callId })).code).toBe(0);
      expect((await rt.deps.calls.getCall(app.sdkAppId, callId))?.call.status).toBe('connected');
      expect(rt.metrics.counts.get('EventDeliveryFailed')).toBeGreaterThan(0);
      // A failure that is not 410 keeps the device: only a gone connection is forgotten.
      expect((await rt.deps.users.getUser(app.sdkAppId, 'a')).devices).toHaveLength(1);
      expect((await b!.request('hangup', { callId })).code).toBe(0);
      expect((await rt.deps.records.getRecord(app.sdkAppId, callId))?.CallResult).toBe('NormalEnd');
    } finally {
      rt.deps.connections.post = post;
    }
    await Promise.all([a!.close(), b!.close()]);
  });
});
