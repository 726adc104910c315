/**
 * The client SDK in group calls against the real local runtime: three engines and a fourth that
 * joins, with the Web TUICallEvent names each side sees.
 */

import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { CallEngine, CallEngineError, ErrorCode, MediaType, TUICallEvent } from '../../client/index.ts';
import type { TUICallEventName, WebEventMap } from '../../client/index.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { sigFor, useTestStack } from '../support/local-stack.ts';

let rt: LocalRuntime;
useTestStack((r) => (rt = r));
const engines: CallEngine[] = [];
afterAll(() => {
  for (const engine of engines) engine.destroy();
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A logged-in engine plus the log of every Web event it emitted, in order. */
interface Device {
  engine: CallEngine;
  web: [TUICallEventName, unknown][];
}

async function device(userId: string): Promise<Device> {
  const engine = new CallEngine({ url: rt.wsUrl, sdkAppId: rt.demoApp.sdkAppId, WebSocket: WebSocket as never });
  engines.push(engine);
  const web: Device['web'] = [];
  for (const name of Object.values(TUICallEvent)) engine.on(name, (payload: unknown) => web.push([name, payload]));
  await engine.login({ userId, userSig: sigFor(rt, userId) });
  return { engine, web };
}

/** The payloads of one Web event a device emitted so far. */
function all<K extends TUICallEventName>(d: Device, name: K): WebEventMap[K][] {
  return d.web.filter(([n]) => n === name).map(([, p]) => p as WebEventMap[K]);
}

/** Waits until the device emitted `name` with a payload matching `expected` (toMatchObject). */
async function sees<K extends TUICallEventName>(d: Device, name: K, expected: Partial<WebEventMap[K]> = {}): Promise<WebEventMap[K]> {
  const matches = (p: unknown) => {
    try {
      expect(p).toMatchObject(expected);
      return true;
    } catch {
      return false;
    }
  };
  await expect.poll(() => all(d, name).some(matches), { timeout: 8_000 }).toBe(true);
  return all(d, name).find(matches)!;
}

const lists = (d: Device) => all(d, 'GROUP_CALL_INVITEE_LIST_UPDATE').map((p) => p.userIDList);

describe('group calls through the client SDK', () => {
  it('places a group call, invites, lets a fourth user join and switches media, with the Web events of every side', async () => {
    // Prepare
    const [a, b, c, d] = await Promise.all(['gc-a', 'gc-b', 'gc-c', 'gc-d'].map(device)) as [Device, Device, Device, Device];

    // Act + Assess: A calls B and C; B answers, C lets it ring out.
    const placed = await a.engine.calls(['gc-b', 'gc-c'], MediaType.Video, { timeout: 2 });
    const { callId } = placed;
    expect(a.engine.status).toBe('calling');
    for (const callee of [b, c]) {
      await sees(callee, 'ON_CALL_RECEIVED', { callerId: 'gc-a', calleeIdList: ['gc-b', 'gc-c'], isFromGroup: true, callId, roomID: placed.roomId, callMediaType: MediaType.Video, callRole: 'invitee' });
    }
    await b.engine.accept();
    await sees(a, 'ON_CALL_BEGIN', { callId, roomID: placed.roomId, callMediaType: MediaType.Video, callRole: 'inviter' });
    await sees(a, 'USER_ACCEPT', { userID: 'gc-b' });
    await sees(a, 'USER_ENTER', { userID: 'gc-b' });
    await sees(b, 'ON_CALL_BEGIN', { callId, callRole: 'invitee' });
    for (const member of [a, b]) await sees(member, 'NO_RESP', { sponsor: 'gc-a', userIDList: ['gc-c'] });
    await sees(c, 'ON_CALL_CANCELED', { userID: 'gc-c', callId, callRole: 'invitee' });
    expect(c.engine.status).toBe('idle');

    // B invites C again; C answers this time.
    expect(await b.engine.inviteUser(['gc-c'], { timeout: 20 })).toEqual({ callId });
    await sees(c, 'ON_CALL_RECEIVED', { callId, calleeIdList: ['gc-b', 'gc-c'] });
    await c.engine.accept();
    for (const member of [a, b]) {
      await sees(member, 'USER_ACCEPT', { userID: 'gc-c' });
      await sees(member, 'USER_ENTER', { userID: 'gc-c' });
    }

    // D joins on her own: everyone sees her enter, nobody sees her "accept".
    const joined = await d.engine.join(callId);
    expect(joined).toEqual({ callId, roomId: placed.roomId, roomIdType: 1, mediaType: MediaType.Video });
    expect([d.engine.status, d.engine.currentCallId]).toEqual(['connected', callId]);
    for (const member of [a, b, c]) await sees(member, 'USER_ENTER', { userID: 'gc-d' });
    await expect.poll(() => d.engine.callMembers?.inCall.sort()).toEqual(['gc-a', 'gc-b', 'gc-c', 'gc-d']);

    // C switches the call to audio; every member is told.
    await c.engine.switchCallMediaType('Audio');
    for (const member of [a, b, c, d]) await sees(member, 'CALL_TYPE_CHANGED', { oldCallType: MediaType.Video, newCallType: MediaType.Audio });

    // D leaves, then A, then C: the call ends for B when C hangs up.
    await sleep(1_100); // so every connected member has at least a second of call time
    await d.engine.hangup();
    await sees(d, 'CALLING_END', { callId, userID: 'gc-d', callRole: 'invitee', callMediaType: MediaType.Audio });
    for (const member of [a, b, c]) await sees(member, 'USER_LEAVE', { userID: 'gc-d' });
    await a.engine.hangup();
    const endA = await sees(a, 'CALLING_END', { callId, userID: 'gc-a', callRole: 'inviter', roomID: placed.roomId });
    await c.engine.hangup();
    const endB = await sees(b, 'CALLING_END', { callId, userID: 'gc-c', callRole: 'invitee', roomID: placed.roomId, callMediaType: MediaType.Audio });
    expect(endA.totalTime).toBeGreaterThanOrEqual(1);
    expect(endB.totalTime).toBeGreaterThanOrEqual(1);
    expect(endB.callEnd).toBe(endB.totalTime);
    await expect.poll(() => [a, b, c, d].map((x) => x.engine.status)).toEqual(['idle', 'idle', 'idle', 'idle']);

    // The invitee lists each side saw, in order.
    expect(lists(a)).toEqual([['gc-b', 'gc-c'], ['gc-c'], [], ['gc-c'], []]);
    expect(lists(b)).toEqual([['gc-c'], [], ['gc-c'], []]);
    expect(all(a, 'USER_ACCEPT').map((p) => p.userID)).toEqual(['gc-b', 'gc-c']);
    expect(all(b, 'USER_ACCEPT').map((p) => p.userID)).toEqual(['gc-c']);
    expect(all(d, 'USER_ACCEPT')).toEqual([]);
  });

  it('reports a busy invitee and a reject, and refuses methods outside the state table without sending them', async () => {
    // Prepare: E is busy in a 1v1 call with F.
    const [a, b, c, e, f] = await Promise.all(['gr-a', 'gr-b', 'gr-c', 'gr-e', 'gr-f'].map(device)) as [Device, Device, Device, Device, Device];
    await f.engine.calls(['gr-e'], 'Audio');
    await sees(e, 'ON_CALL_RECEIVED', { isFromGroup: false });
    await e.engine.accept();
    // Act
    const { callId } = await a.engine.calls(['gr-b', 'gr-c', 'gr-e'], 'Audio');
    await sees(a, 'LINE_BUSY', { userID: 'gr-e' });
    await sees(b, 'ON_CALL_RECEIVED', { callId });
    await b.engine.accept();
    await sees(a, 'USER_ACCEPT', { userID: 'gr-b' });
    await sees(c, 'ON_CALL_RECEIVED', { callId });
    await c.engine.reject();
    // Assess
    for (const member of [a, b]) await sees(member, 'REJECT', { userID: 'gr-c' });
    await sees(c, 'ON_CALL_CANCELED', { callId, userID: 'gr-c' });
    await expect.poll(() => lists(a).at(-1)).toEqual([]);
    expect(lists(a)).toContainEqual(['gr-b', 'gr-c']);
    const refused = await b.engine.calls(['gr-c'], 'Audio').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(CallEngineError);
    expect(refused).toMatchObject({ code: ErrorCode.ERROR_REQUEST_REFUSED });
    await expect(a.engine.accept()).rejects.toMatchObject({ code: ErrorCode.ERROR_REQUEST_REFUSED });
    await expect(c.engine.switchCallMediaType('Video')).rejects.toMatchObject({ code: ErrorCode.ERROR_REQUEST_REFUSED });
    await a.engine.hangup();
    await sees(b, 'CALLING_END', { callId, userID: 'gr-a', callRole: 'invitee' });
    await Promise.all([e.engine.hangup(), sees(f, 'CALLING_END', { userID: 'gr-e' })]);
  });

  it('in a 1v1 call: the caller sees USER_ACCEPT on the answer; ignore silences the callee, the caller gets NO_RESP', async () => {
    const [a, b] = await Promise.all(['one-a', 'one-b'].map(device)) as [Device, Device];
    // Answered: the caller learns it from onCallBegin.
    const first = await a.engine.calls(['one-b'], 'Video');
    await sees(b, 'ON_CALL_RECEIVED', { callId: first.callId, isFromGroup: false, callRole: 'invitee' });
    await b.engine.accept();
    await sees(a, 'USER_ACCEPT', { userID: 'one-b' });
    await sees(a, 'USER_ENTER', { userID: 'one-b' });
    await b.engine.hangup();
    await sees(a, 'CALLING_END', { callId: first.callId, userID: 'one-b', callRole: 'inviter' });
    // Ignored: the callee goes idle at once and hears nothing more; the caller's invitation rings out.
    const second = await a.engine.calls(['one-b'], 'Audio', { timeout: 1 });
    await sees(b, 'ON_CALL_RECEIVED', { callId: second.callId });
    await b.engine.ignore();
    expect(b.engine.status).toBe('idle');
    await sees(a, 'NO_RESP', { sponsor: 'one-a', userIDList: ['one-b'] });
    await sees(a, 'ON_CALL_CANCELED', { callId: second.callId, userID: 'one-a', callRole: 'inviter' });
    await sleep(100);
    expect(all(b, 'ON_CALL_CANCELED').filter((p) => p.callId === second.callId)).toEqual([]);
    expect(lists(a)).toEqual([]);
  });
});

describe('re-joining a group call', () => {
  it('lets a member who left join the same call again and hang up from it', async () => {
    const [a, b, c] = [await device('rj-a'), await device('rj-b'), await device('rj-c')];
    const ringing = new Promise((r) => b.engine.on('onCallReceived', r));
    const { callId } = await a.engine.calls(['rj-b'], MediaType.Audio, { chatGroupId: 'team' });
    await ringing;
    await b.engine.accept();
    await expect.poll(() => a.engine.status).toBe('connected');
    const joined = new Promise((r) => a.engine.on('onUserJoin', r));
    await c.engine.join(callId);
    await joined;
    await c.engine.hangup();
    expect(c.engine.status).toBe('idle');
    await c.engine.join(callId);
    expect([c.engine.status, c.engine.currentCallId]).toEqual(['connected', callId]);
    await c.engine.hangup();
    expect(c.engine.status).toBe('idle');
  });
});

describe('dashboard counting (server side)', () => {
  it('counts as participants only users who joined, and takes the larger of the 1v1 and group peaks', async () => {
    const stats = await rt.deps.records.dailyStats(rt.demoApp.sdkAppId, new Date().toISOString().slice(0, 10));
    const x = await device('pc-x');
    const y = await device('pc-y');
    const ringing = new Promise((r) => y.engine.on('onCallReceived', r));
    await x.engine.calls(['pc-y'], MediaType.Audio);
    await ringing;
    await y.engine.reject();
    await expect.poll(async () => (await rt.deps.records.dailyStats(rt.demoApp.sdkAppId, new Date().toISOString().slice(0, 10))).calls).toBe(stats.calls + 1);
    // The rejected callee never joined: only the caller is a new participant.
    expect((await rt.deps.records.dailyStats(rt.demoApp.sdkAppId, new Date().toISOString().slice(0, 10))).participants).toBe(stats.participants + 1);
  });
});
