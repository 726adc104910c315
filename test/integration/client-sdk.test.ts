import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallEndReason, CallEngine, CallEngineError, MediaType, Role } from '../../client/index.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { sigFor, startTestStack } from '../support/local-stack.ts';

let rt: LocalRuntime;
const engines: CallEngine[] = [];

/** A logged-in engine for a user of the demo app, talking to the local runtime through `ws`. */
async function engineFor(userId: string): Promise<CallEngine> {
  const engine = new CallEngine({ url: rt.wsUrl, sdkAppId: rt.demoApp.sdkAppId, WebSocket: WebSocket as never, reconnect: { minDelayMs: 20, maxDelayMs: 200 } });
  engines.push(engine);
  await engine.login({ userId, userSig: sigFor(rt, userId) });
  return engine;
}

/** Resolves with the next payload of an engine event. */
function next<T = Record<string, unknown>>(engine: CallEngine, event: string): Promise<T> {
  return new Promise((resolve) => {
    const handler = (payload: unknown) => {
      engine.off(event as never, handler as never);
      resolve(payload as T);
    };
    engine.on(event as never, handler as never);
  });
}

beforeAll(async () => {
  rt = await startTestStack();
});
afterAll(async () => {
  for (const e of engines) e.destroy();
  await rt?.close();
});

describe('the client SDK against the local runtime', () => {
  it('places, accepts and hangs up a call with TUICallEngine-style events and numeric enums', async () => {
    const alice = await engineFor('sdk-alice');
    const bob = await engineFor('sdk-bob');
    const received = next<{ callId: string; callerId: string; mediaType: number }>(bob, 'onCallReceived');
    const { callId } = await alice.calls(['sdk-bob'], MediaType.Video);
    expect(alice.status).toBe('calling');
    const ring = await received;
    expect(ring).toMatchObject({ callId, callerId: 'sdk-alice', mediaType: MediaType.Video });
    expect(bob.status).toBe('calling');

    const begunA = next<{ role: number }>(alice, 'onCallBegin');
    const begunB = next<{ role: number }>(bob, 'onCallBegin');
    await bob.accept();
    expect((await begunA).role).toBe(Role.Caller);
    expect((await begunB).role).toBe(Role.Called);
    await expect.poll(() => [alice.status, bob.status]).toEqual(['connected', 'connected']);

    const endedA = next<{ reason: number; totalTime: number; userId: string }>(alice, 'onCallEnd');
    const endedB = next<{ reason: number }>(bob, 'onCallEnd');
    await bob.hangup();
    expect(await endedA).toMatchObject({ reason: CallEndReason.Hangup, userId: 'sdk-bob' });
    expect((await endedB).reason).toBe(CallEndReason.Hangup);
    await expect.poll(() => [alice.status, bob.status]).toEqual(['idle', 'idle']);
    expect((await rt.deps.records.getRecord(rt.demoApp.sdkAppId, callId))?.CallResult).toBe('NormalEnd');
  });

  it('surfaces server refusals as CallEngineError with the documented code', async () => {
    const carol = await engineFor('sdk-carol');
    const err = await carol.calls(['sdk-nobody-ever'], MediaType.Audio).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CallEngineError);
    expect((err as CallEngineError).code).toBe(8021);
  });

  it('rejects login with a refused credential and does not retry it', async () => {
    const engine = new CallEngine({ url: rt.wsUrl, sdkAppId: rt.demoApp.sdkAppId, WebSocket: WebSocket as never });
    engines.push(engine);
    const err = await engine.login({ userId: 'sdk-dave', userSig: 'garbage' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CallEngineError);
    expect((err as CallEngineError & { httpStatus?: number }).httpStatus).toBe(403);
  });

  it('reconnects after the server drops the socket and resynchronises the live call', async () => {
    const erin = await engineFor('sdk-erin');
    const frank = await engineFor('sdk-frank');
    const ringing = next(frank, 'onCallReceived');
    const { callId } = await erin.calls(['sdk-frank'], MediaType.Audio);
    await ringing;
    const reconnected = next(erin, 'reconnected');
    const [device] = (await rt.deps.users.getUser(rt.demoApp.sdkAppId, 'sdk-erin')).devices;
    expect(rt.dropConnection(device!.connectionId)).toBe(true);
    await reconnected;
    expect(erin.currentCallId).toBe(callId);
    expect(erin.status).toBe('calling');
  });
});

