/**
 * The Web TUICallEvent names the engine derives from observer events and its member view, on a
 * small scripted `ws` server (ws-protocol.md frames).
 */

import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { CallEngine, MediaType, TUICallEvent } from '../../client/index.ts';
import type { CallSnapshot, RequestFrame } from '../../client/index.ts';

type Answer = { code?: number; message?: string; data?: unknown };

/** Answers every action per ws-protocol.md; `scripts` override single actions, `held` ones wait for `reply`. */
class FakeServer {
  readonly received: RequestFrame[] = [];
  readonly scripts = new Map<string, (frame: RequestFrame) => Answer>();
  readonly held = new Set<string>();
  private socket: WebSocket | undefined;

  private constructor(readonly wss: WebSocketServer) {
    wss.on('connection', (ws) => {
      this.socket = ws;
      ws.on('message', (raw) => {
        const frame = JSON.parse(String(raw)) as RequestFrame;
        this.received.push(frame);
        if (!this.held.has(frame.action)) this.reply(frame, this.scripts.get(frame.action)?.(frame) ?? defaultAnswer(frame));
      });
    });
  }

  static start(): Promise<FakeServer> {
    return new Promise((resolve) => {
      const wss: WebSocketServer = new WebSocketServer({ port: 0 }, () => resolve(server));
      const server = new FakeServer(wss);
    });
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}`;
  }

  frames(action: string): RequestFrame[] {
    return this.received.filter((f) => f.action === action);
  }

  push(event: string, data: Record<string, unknown>, call?: { callId: string; seq: number }): void {
    const ids = call ? { ...call, time: Date.now() } : {};
    this.socket?.send(JSON.stringify({ type: 'event', event, ...ids, data: { ...(call ? { callId: call.callId } : {}), ...data } }));
  }

  reply(frame: RequestFrame, { code = 0, message = '', data = {} }: Answer): void {
    this.socket?.send(JSON.stringify({ type: 'response', requestId: frame.requestId, action: frame.action, code, message, data }));
  }

  close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }
}

function defaultAnswer(frame: RequestFrame): Answer {
  const callId = frame.data.callId;
  if (frame.action === 'login') return { data: { userId: 'me', loginId: 'l-1', serverTime: Date.now(), heartbeatIntervalSec: 30, multiDeviceAbility: false } };
  if (frame.action === 'calls') return { data: { callId: 'call-1', roomId: 123456, roomIdType: 1 } };
  if (frame.action === 'join') return { data: { callId, roomId: 77, roomIdType: 1, mediaType: 'Video' } };
  if (frame.action === 'inviteUser') return { data: { callId } };
  if (frame.action === 'syncCall') return { data: { call: null } };
  return { data: {} };
}

/** A syncCall snapshot with the given member states. */
function snapshot(callId: string, seq: number, members: Record<string, string>, extra: Partial<CallSnapshot> = {}): Answer {
  const list = Object.entries(members).map(([userId, state], i) => ({ userId, role: i === 0 ? 'Caller' : 'Called', state }));
  return { data: { call: { callId, seq, status: 'connected', role: 'Called', callerId: list[0]?.userId, scene: 'MULTI_CALL', roomId: 9, roomIdType: 1, chatGroupId: '', mediaType: 'Audio', members: list, ...extra } } };
}

type Seen = [string, unknown];
let server: FakeServer | undefined;
let engine: CallEngine | undefined;

/** A logged-in engine for user `me`, recording every Web event in order. */
async function setup(): Promise<{ server: FakeServer; engine: CallEngine; web: Seen[] }> {
  server = await FakeServer.start();
  engine = new CallEngine({ url: server.url, sdkAppId: 1400000001, WebSocket, heartbeat: false, requestTimeoutMs: 2_000 });
  const web: Seen[] = [];
  for (const name of Object.values(TUICallEvent)) engine.on(name, (payload: unknown) => web.push([name, payload]));
  await engine.login({ userId: 'me', userSig: 'sig' });
  return { server, engine, web };
}

/** The Web events seen since `from`, waiting until `count` of them arrived. */
async function seen(web: Seen[], count: number, from = 0): Promise<Seen[]> {
  await expect.poll(() => web.length - from).toBeGreaterThanOrEqual(count);
  return web.slice(from);
}

afterEach(async () => {
  engine?.destroy();
  await server?.close();
  engine = undefined;
  server = undefined;
});

describe('Web events outside a call', () => {
  it('emits SDK_READY after login, KICKED_OUT with the reason and ERROR with code and msg', async () => {
    const { server: s, web } = await setup();
    expect(web).toEqual([['SDK_READY', {}]]);
    s.push('onError', { code: -1202, message: 'frame is not valid JSON' });
    s.push('onKickedOffline', { reason: 'LoginElsewhere' });
    expect(await seen(web, 2, 1)).toEqual([
      ['ERROR', { code: -1202, msg: 'frame is not valid JSON' }],
      ['KICKED_OUT', { reason: 'LoginElsewhere' }],
    ]);
  });
});

describe('Web events of a 1v1 call', () => {
  it('gives the caller USER_ACCEPT and USER_ENTER from onCallBegin, then CALLING_END with roomID and totalTime', async () => {
    // Prepare
    const { server: s, engine: e, web } = await setup();
    await e.calls(['bob'], 'Video');
    // Act
    s.push('onCallBegin', { mediaType: 'Video', roomId: 123456, roomIdType: 1, role: 'Caller' }, { callId: 'call-1', seq: 2 });
    s.push('onCallEnd', { mediaType: 'Video', reason: 'Hangup', userId: 'bob', totalTime: 42, role: 'Caller' }, { callId: 'call-1', seq: 3 });
    // Assess
    expect(await seen(web, 4, 1)).toEqual([
      ['ON_CALL_BEGIN', { callId: 'call-1', roomID: 123456, callMediaType: MediaType.Video, callRole: 'inviter', chatGroupID: '' }],
      ['USER_ACCEPT', { userID: 'bob' }],
      ['USER_ENTER', { userID: 'bob' }],
      ['CALLING_END', { roomID: 123456, callMediaType: MediaType.Video, callRole: 'inviter', totalTime: 42, userID: 'bob', callId: 'call-1', callEnd: 42, chatGroupID: '' }],
    ]);
    expect(s.frames('syncCall')).toHaveLength(0);
  });

  it('gives the caller NO_RESP with sponsor and userIDList, then ON_CALL_CANCELED, when the callee does not answer', async () => {
    const { server: s, engine: e, web } = await setup();
    await e.calls(['bob'], 'Audio');
    s.push('onUserNoResponse', { userId: 'bob' }, { callId: 'call-1', seq: 2 });
    s.push('onCallNotConnected', { mediaType: 'Audio', reason: 'NoResponse', userId: 'me' }, { callId: 'call-1', seq: 3 });
    expect(await seen(web, 2, 1)).toEqual([
      ['NO_RESP', { sponsor: 'me', userIDList: ['bob'] }],
      ['ON_CALL_CANCELED', { userID: 'me', callId: 'call-1', roomID: 123456, callMediaType: MediaType.Audio, callRole: 'inviter' }],
    ]);
    expect(e.status).toBe('idle');
  });

  it('gives the callee ON_CALL_RECEIVED with the Web payload and LINE_BUSY/REJECT to the caller', async () => {
    const { server: s, web } = await setup();
    s.push('onCallReceived', { callerId: 'bob', calleeIdList: ['me'], mediaType: 'Audio', scene: 'SINGLE_CALL', roomId: 'room-1', roomIdType: 2, userData: 'hi', chatGroupId: '' }, { callId: 'c-in', seq: 1 });
    expect(await seen(web, 1, 1)).toEqual([
      ['ON_CALL_RECEIVED', { callerId: 'bob', calleeIdList: ['me'], isFromGroup: false, callId: 'c-in', roomID: 'room-1', callMediaType: MediaType.Audio, callRole: 'invitee', userData: 'hi', chatGroupID: '' }],
    ]);
    s.push('onUserLineBusy', { userId: 'carol' }, { callId: 'c-other', seq: 1 });
    s.push('onUserReject', { userId: 'dave' }, { callId: 'c-other', seq: 2 });
    expect(await seen(web, 2, 2)).toEqual([
      ['LINE_BUSY', { userID: 'carol' }],
      ['REJECT', { userID: 'dave' }],
    ]);
  });
});

describe('Web events of a group call', () => {
  it('tracks the caller side: LINE_BUSY, the first answer read from a snapshot, REJECT, inviteUser and the end', async () => {
    // Prepare
    const { server: s, engine: e, web } = await setup();
    s.scripts.set('syncCall', () => snapshot('call-1', 3, { me: 'joined', bob: 'joined', carol: 'ringing', dave: 'busy' }, { roomId: 123456, chatGroupId: 'team' }));
    // Act
    await e.calls(['bob', 'carol', 'dave'], 'Audio', { chatGroupId: 'team' });
    s.push('onUserLineBusy', { userId: 'dave' }, { callId: 'call-1', seq: 1 });
    s.push('onCallBegin', { mediaType: 'Audio', roomId: 123456, roomIdType: 1, role: 'Caller' }, { callId: 'call-1', seq: 3 });
    const begun = await seen(web, 7, 1);
    s.push('onUserReject', { userId: 'carol' }, { callId: 'call-1', seq: 4 });
    const { callId } = await e.inviteUser(['erin'], { timeout: 20, roomId: 5 } as never);
    s.push('onUserInviting', { userId: 'erin' }, { callId: 'call-1', seq: 5 });
    s.push('onCallEnd', { mediaType: 'Audio', reason: 'Hangup', userId: 'bob', totalTime: 7, role: 'Caller' }, { callId: 'call-1', seq: 6 });
    // Assess
    expect(begun).toEqual([
      ['GROUP_CALL_INVITEE_LIST_UPDATE', { userIDList: ['bob', 'carol', 'dave'] }],
      ['LINE_BUSY', { userID: 'dave' }],
      ['GROUP_CALL_INVITEE_LIST_UPDATE', { userIDList: ['bob', 'carol'] }],
      ['ON_CALL_BEGIN', { callId: 'call-1', roomID: 123456, callMediaType: MediaType.Audio, callRole: 'inviter', chatGroupID: 'team' }],
      ['USER_ACCEPT', { userID: 'bob' }],
      ['USER_ENTER', { userID: 'bob' }],
      ['GROUP_CALL_INVITEE_LIST_UPDATE', { userIDList: ['carol'] }],
    ]);
    expect(callId).toBe('call-1');
    expect(s.frames('inviteUser')[0]?.data).toEqual({ callId: 'call-1', userIdList: ['erin'], params: { timeout: 20 } });
    expect(await seen(web, 5, 8)).toEqual([
      ['REJECT', { userID: 'carol' }],
      ['GROUP_CALL_INVITEE_LIST_UPDATE', { userIDList: [] }],
      ['GROUP_CALL_INVITEE_LIST_UPDATE', { userIDList: ['erin'] }],
      ['CALLING_END', { roomID: 123456, callMediaType: MediaType.Audio, callRole: 'inviter', totalTime: 7, userID: 'bob', callId: 'call-1', callEnd: 7, chatGroupID: 'team' }],
      ['GROUP_CALL_INVITEE_LIST_UPDATE', { userIDList: [] }],
    ]);
  });

  it('tracks the callee side: list from calleeIdList and a snapshot, USER_ACCEPT only for invitees, NO_RESP with the caller as sponsor', async () => {
    // Prepare
    const { server: s, engine: e, web } = await setup();
    // The snapshot knows what this device could not: bob already answered.
    s.scripts.set('syncCall', () => snapshot('g-1', 1, { alice: 'joined', bob: 'joined', me: 'ringing', carol: 'ringing', dave: 'ringing' }));
    // Act
    s.push('onCallReceived', { callerId: 'alice', calleeIdList: ['bob', 'me', 'carol', 'dave'], mediaType: 'Audio', scene: 'MULTI_CALL', roomId: 9, roomIdType: 1, userData: '', chatGroupId: '' }, { callId: 'g-1', seq: 1 });
    const ringing = await seen(web, 2, 1);
    await e.accept();
    s.push('onCallBegin', { mediaType: 'Audio', roomId: 9, roomIdType: 1, role: 'Called' }, { callId: 'g-1', seq: 4 });
    s.push('onUserJoin', { userId: 'carol' }, { callId: 'g-1', seq: 5 });
    s.push('onUserJoin', { userId: 'carol' }, { callId: 'g-1', seq: 5 }); // a repeat: dropped
    s.push('onUserNoResponse', { userId: 'dave' }, { callId: 'g-1', seq: 6 });
    s.push('onUserJoin', { userId: 'erin' }, { callId: 'g-1', seq: 7 });
    s.push('onUserLeave', { userId: 'erin' }, { callId: 'g-1', seq: 8 });
    s.push('onCallMediaTypeChanged', { oldMediaType: 'Audio', newMediaType: 'Video' }, { callId: 'g-1', seq: 9 });
    // Assess
    expect(ringing).toEqual([
      ['ON_CALL_RECEIVED', { callerId: 'alice', calleeIdList: ['bob', 'me', 'carol', 'dave'], isFromGroup: true, callId: 'g-1', roomID: 9, callMediaType: MediaType.Audio, callRole: 'invitee', userData: '', chatGroupID: '' }],
      ['GROUP_CALL_INVITEE_LIST_UPDATE', { userIDList: ['carol', 'dave'] }],
    ]);
    expect(await seen(web, 9, 3)).toEqual([
      ['ON_CALL_BEGIN', { callId: 'g-1', roomID: 9, callMediaType: MediaType.Audio, callRole: 'invitee', chatGroupID: '' }],
      ['USER_ACCEPT', { userID: 'carol' }],
      ['USER_ENTER', { userID: 'carol' }],
      ['GROUP_CALL_INVITEE_LIST_UPDATE', { userIDList: ['dave'] }],
      ['NO_RESP', { sponsor: 'alice', userIDList: ['dave'] }],
      ['GROUP_CALL_INVITEE_LIST_UPDATE', { userIDList: [] }],
      ['USER_ENTER', { userID: 'erin' }],
      ['USER_LEAVE', { userID: 'erin' }],
      ['CALL_TYPE_CHANGED', { oldCallType: MediaType.Audio, newCallType: MediaType.Video }],
    ]);
    expect(e.callMembers).toMatchObject({ callId: 'g-1', callerId: 'alice', group: true, ringing: [] });
    expect(e.callMembers?.inCall.sort()).toEqual(['alice', 'bob', 'carol', 'me']);
  });

  it('keeps what a newer event said when an older snapshot arrives after it', async () => {
    // Prepare
    const { server: s, engine: e, web } = await setup();
    s.held.add('syncCall');
    await e.calls(['bob', 'carol'], 'Video');
    s.push('onCallBegin', { mediaType: 'Video', roomId: 1, roomIdType: 1, role: 'Caller' }, { callId: 'call-1', seq: 3 });
    await expect.poll(() => s.frames('syncCall')).toHaveLength(1);
    // Act: carol joins (seq 4) before the snapshot taken at seq 3 comes back saying she rings.
    s.push('onUserJoin', { userId: 'carol' }, { callId: 'call-1', seq: 4 });
    await seen(web, 5, 1);
    s.reply(s.frames('syncCall')[0]!, snapshot('call-1', 3, { me: 'joined', bob: 'joined', carol: 'ringing' }));
    // Assess
    expect(await seen(web, 8, 1)).toEqual([
      ['GROUP_CALL_INVITEE_LIST_UPDATE', { userIDList: ['bob', 'carol'] }],
      ['ON_CALL_BEGIN', { callId: 'call-1', roomID: 1, callMediaType: MediaType.Video, callRole: 'inviter', chatGroupID: '' }],
      ['USER_ACCEPT', { userID: 'carol' }],
      ['USER_ENTER', { userID: 'carol' }],
      ['GROUP_CALL_INVITEE_LIST_UPDATE', { userIDList: ['bob'] }],
      ['USER_ACCEPT', { userID: 'bob' }],
      ['USER_ENTER', { userID: 'bob' }],
      ['GROUP_CALL_INVITEE_LIST_UPDATE', { userIDList: [] }],
    ]);
    expect(e.callMembers?.inCall.sort()).toEqual(['bob', 'carol', 'me']);
  });

  it('join makes the call current and connected; the snapshot fills the view without USER_ENTER for those already in', async () => {
    // Prepare
    const { server: s, engine: e, web } = await setup();
    s.scripts.set('syncCall', () => snapshot('g-7', 6, { alice: 'joined', bob: 'joined', carol: 'ringing', me: 'joined' }));
    // Act
    const joined = await e.join('g-7');
    s.push('onCallBegin', { mediaType: 'Video', roomId: 77, roomIdType: 1, role: 'Called' }, { callId: 'g-7', seq: 7 });
    await seen(web, 2, 1);
    s.push('onUserJoin', { userId: 'carol' }, { callId: 'g-7', seq: 8 });
    // Assess
    expect(joined).toEqual({ callId: 'g-7', roomId: 77, roomIdType: 1, mediaType: MediaType.Video });
    expect([e.status, e.currentCallId]).toEqual(['connected', 'g-7']);
    expect(await seen(web, 5, 1)).toEqual([
      ['ON_CALL_BEGIN', { callId: 'g-7', roomID: 77, callMediaType: MediaType.Video, callRole: 'invitee', chatGroupID: '' }],
      ['GROUP_CALL_INVITEE_LIST_UPDATE', { userIDList: ['carol'] }],
      ['USER_ACCEPT', { userID: 'carol' }],
      ['USER_ENTER', { userID: 'carol' }],
      ['GROUP_CALL_INVITEE_LIST_UPDATE', { userIDList: [] }],
    ]);
  });

  it('ignore silences the ringing call on this device: idle, the invitee list cleared, no ON_CALL_CANCELED', async () => {
    const { server: s, engine: e, web } = await setup();
    s.push('onCallReceived', { callerId: 'alice', calleeIdList: ['me', 'bob'], mediaType: 'Audio', scene: 'MULTI_CALL', roomId: 3, roomIdType: 1 }, { callId: 'g-2', seq: 1 });
    await seen(web, 2, 1);
    await e.ignore();
    expect(s.frames('ignore')[0]?.data).toEqual({ callId: 'g-2' });
    expect(e.status).toBe('idle');
    expect(await seen(web, 3, 1)).toEqual([
      ['ON_CALL_RECEIVED', expect.objectContaining({ callId: 'g-2', isFromGroup: true })],
      ['GROUP_CALL_INVITEE_LIST_UPDATE', { userIDList: ['bob'] }],
      ['GROUP_CALL_INVITEE_LIST_UPDATE', { userIDList: [] }],
    ]);
  });

  it('sends switchCallMediaType with the wire name of the current call', async () => {
    const { server: s, engine: e } = await setup();
    await e.join('g-3');
    await e.switchCallMediaType(MediaType.Audio);
    expect(s.frames('switchCallMediaType')[0]?.data).toEqual({ mediaType: 'Audio', callId: 'g-3' });
  });
});
