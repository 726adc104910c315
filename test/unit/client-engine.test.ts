/**
 * The client SDK against a small scripted server that speaks ws-protocol.md over a real `ws`
 * WebSocketServer on an ephemeral port.
 */

import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import {
  CallEndReason,
  CallEngine,
  CallEngineError,
  ErrorCode,
  MediaType,
  Role,
  Scene,
  callEndReasonToName,
  mediaTypeFromName,
  sceneFromName,
  toWireMediaType,
} from '../../client/index.ts';
import type { EngineEventMap, EngineEventName, EngineOptions, RequestFrame } from '../../client/index.ts';
import { backoffDelay } from '../../client/reconnect-policy.ts';

type Answer = { code?: number; message?: string; data?: unknown } | 'ignore';
type Script = (frame: RequestFrame, conn: ServerConn) => Answer | undefined;

interface ServerConn {
  ws: WebSocket;
  query: URLSearchParams;
  frames: RequestFrame[];
  loggedIn: boolean;
}

/** A scripted protocol server: default answers per ws-protocol.md, overridable per action. */
class FakeServer {
  readonly conns: ServerConn[] = [];
  readonly scripts = new Map<string, Script>();
  refuse = false;
  heartbeatIntervalSec = 30;
  refusedUpgrades = 0;

  private constructor(readonly wss: WebSocketServer) {
    wss.on('connection', (ws, req) => this.accept(ws, req));
  }

  static start(): Promise<FakeServer> {
    return new Promise((resolve) => {
      let server: FakeServer;
      const wss = new WebSocketServer({
        port: 0,
        verifyClient: (info, callback) => {
          const query = new URL(info.req.url ?? '/', 'http://local').searchParams;
          if (server.refuse || query.get('usersig') === 'bad') {
            server.refusedUpgrades += 1;
            callback(false, 401, 'Unauthorized');
          } else callback(true);
        },
      });
      server = new FakeServer(wss);
      wss.on('listening', () => resolve(server));
    });
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}`;
  }

  get last(): ServerConn {
    const conn = this.conns.at(-1);
    if (!conn) throw new Error('no connection yet');
    return conn;
  }

  frames(action?: string): RequestFrame[] {
    return this.conns.flatMap((c) => c.frames).filter((f) => action === undefined || f.action === action);
  }

  push(event: string, data: Record<string, unknown>, call?: { callId: string; seq: number }): void {
    const frame = { type: 'event', event, ...(call ?? {}), ...(call ? { time: 1740464128807 } : {}), data };
    this.last.ws.send(JSON.stringify(frame));
  }

  close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }

  private accept(ws: WebSocket, req: IncomingMessage): void {
    const conn: ServerConn = { ws, query: new URL(req.url ?? '/', 'http://local').searchParams, frames: [], loggedIn: false };
    this.conns.push(conn);
    ws.on('message', (raw) => this.handle(conn, JSON.parse(String(raw)) as RequestFrame));
  }

  private handle(conn: ServerConn, frame: RequestFrame): void {
    conn.frames.push(frame);
    const answer = this.scripts.get(frame.action)?.(frame, conn) ?? this.defaultAnswer(frame, conn);
    if (answer === 'ignore') return;
    const { code = 0, message = '', data = {} } = answer;
    conn.ws.send(JSON.stringify({ type: 'response', requestId: frame.requestId, action: frame.action, code, message, data }));
    if (frame.action === 'logout' && code === 0) conn.ws.close(1000);
  }

  private defaultAnswer(frame: RequestFrame, conn: ServerConn): Answer {
    if (frame.action === 'login') {
      conn.loggedIn = true;
      const data = { userId: conn.query.get('userid'), loginId: `login-${this.conns.length}`, serverTime: Date.now(), heartbeatIntervalSec: this.heartbeatIntervalSec, multiDeviceAbility: false };
      return { data };
    }
    if (!conn.loggedIn) return { code: -1201, message: 'login first' };
    if (frame.action === 'calls') return { data: { callId: 'call-1', roomId: 123456, roomIdType: 1 } };
    if (frame.action === 'syncCall') return { data: { call: null } };
    if (frame.action === 'heartbeat') return { data: { serverTime: Date.now() } };
    return { data: {} };
  }
}

/** Polls until `check` is true (generous deadline: only a hang fails it). */
async function waitFor(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function nextEvent<K extends EngineEventName>(engine: CallEngine, event: K): Promise<EngineEventMap[K]> {
  return new Promise((resolve) => {
    const handler = (payload: EngineEventMap[K]): void => {
      engine.off(event, handler);
      resolve(payload);
    };
    engine.on(event, handler);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

let server: FakeServer | undefined;
const engines: CallEngine[] = [];

async function setup(options: Partial<EngineOptions> = {}): Promise<{ server: FakeServer; engine: CallEngine }> {
  server = await FakeServer.start();
  const engine = new CallEngine({
    url: server.url,
    sdkAppId: 1400000001,
    WebSocket,
    reconnect: { minDelayMs: 10, maxDelayMs: 40 },
    requestTimeoutMs: 2_000,
    ...options,
  });
  engines.push(engine);
  return { server, engine };
}

afterEach(async () => {
  for (const engine of engines.splice(0)) engine.destroy();
  await server?.close();
  server = undefined;
});

describe('CallEngine login', () => {
  it('opens the socket with the credentials in the query and resolves with the login answer data', async () => {
    // Prepare
    const { server, engine } = await setup({ platform: 'Linux', deviceId: 'dev-1' });
    // Act
    const result = await engine.login({ userId: 'alice', userSig: 'sig-a' });
    // Assess
    expect(result).toMatchObject({ userId: 'alice', loginId: 'login-1', heartbeatIntervalSec: 30, multiDeviceAbility: false });
    expect(Object.fromEntries(server.last.query)).toEqual({ sdkappid: '1400000001', userid: 'alice', usersig: 'sig-a' });
    expect(server.frames()[0]).toMatchObject({ action: 'login', data: { platform: 'Linux', deviceId: 'dev-1' } });
    expect(engine.loggedIn).toBe(true);
    expect(engine.loginInfo).toEqual(result);
  });

  it('sends a JWT as the token query parameter', async () => {
    const { server, engine } = await setup();
    await engine.login({ userId: 'alice', token: 'jwt-a' });
    expect(server.last.query.get('token')).toBe('jwt-a');
    expect(server.last.query.has('usersig')).toBe(false);
  });

  it('rejects login with code 70002 and the HTTP status when the server refuses the upgrade with 401', async () => {
    // Prepare
    const { server, engine } = await setup();
    // Act
    const error = await engine.login({ userId: 'alice', userSig: 'bad' }).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(CallEngineError);
    expect(error).toMatchObject({ code: ErrorCode.ERROR_CREDENTIAL_REFUSED, httpStatus: 401 });
    expect(engine.loggedIn).toBe(false);
    await sleep(60);
    expect(server.refusedUpgrades).toBe(1);
  });

  it('rejects login with the code of an error answer to the login action', async () => {
    const { server, engine } = await setup();
    server.scripts.set('login', () => ({ code: 6206, message: 'UserSig expired' }));
    await expect(engine.login({ userId: 'alice', userSig: 'old' })).rejects.toMatchObject({ code: 6206, message: 'UserSig expired' });
    expect(engine.loggedIn).toBe(false);
  });

  it('refuses methods before login with ERROR_INIT_FAIL and bad login arguments with ERROR_PARAM_INVALID', async () => {
    const { engine } = await setup();
    await expect(engine.getUserStatus(['bob'])).rejects.toMatchObject({ code: ErrorCode.ERROR_INIT_FAIL });
    await expect(engine.login({ userId: '', userSig: 'x' })).rejects.toMatchObject({ code: ErrorCode.ERROR_PARAM_INVALID });
  });
});

describe('CallEngine requests', () => {
  it('resolves a request with the response data, each request with its own requestId', async () => {
    // Prepare
    const { server, engine } = await setup();
    await engine.login({ userId: 'alice', userSig: 'sig' });
    server.scripts.set('getUserStatus', (frame) => ({ data: { statusList: (frame.data.userIdList as string[]).map((userId) => ({ userId, status: 'ONLINE' })) } }));
    // Act
    const [first, second] = await Promise.all([engine.getUserStatus(['bob']), engine.getUserStatus(['carol'])]);
    // Assess
    expect(first).toEqual({ statusList: [{ userId: 'bob', status: 'ONLINE' }] });
    expect(second).toEqual({ statusList: [{ userId: 'carol', status: 'ONLINE' }] });
    const ids = server.frames().map((f) => f.requestId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('sends calls with the wire media type name and flattened params', async () => {
    const { server, engine } = await setup();
    await engine.login({ userId: 'alice', userSig: 'sig' });
    const answer = await engine.calls(['bob'], MediaType.Video, { roomId: { intRoomId: 0, strRoomId: 'room-a' }, timeout: 20 });
    expect(answer).toEqual({ callId: 'call-1', roomId: 123456, roomIdType: 1 });
    expect(server.frames('calls')[0]?.data).toEqual({ userIdList: ['bob'], mediaType: 'Video', params: { roomId: 'room-a', timeout: 20 } });
  });

  it('turns an error answer into a CallEngineError with its code, message and requestId', async () => {
    // Prepare
    const { server, engine } = await setup();
    await engine.login({ userId: 'alice', userSig: 'sig' });
    server.scripts.set('calls', () => ({ code: 8021, message: 'bob has never logged in' }));
    // Act
    const error = await engine.calls(['bob'], 'Audio').catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(CallEngineError);
    expect(error).toMatchObject({ code: 8021, message: 'bob has never logged in', action: 'calls', requestId: server.frames('calls')[0]?.requestId });
    expect(engine.status).toBe('idle');
  });

  it('retries a request once with the same requestId after a missed answer', async () => {
    // Prepare
    const { server, engine } = await setup({ requestTimeoutMs: 250 });
    await engine.login({ userId: 'alice', userSig: 'sig' });
    let seen = 0;
    server.scripts.set('setSelfInfo', () => (++seen === 1 ? 'ignore' : undefined));
    // Act
    await engine.setSelfInfo('Alice', 'https://example.com/a.png');
    // Assess
    const frames = server.frames('setSelfInfo');
    expect(frames).toHaveLength(2);
    expect(frames[1]?.requestId).toBe(frames[0]?.requestId);
    expect(frames[0]?.data).toEqual({ nickname: 'Alice', avatar: 'https://example.com/a.png' });
  });

  it('rejects with ERROR_SIGNALING_SEND_FAIL when the retry gets no answer either', async () => {
    const { server, engine } = await setup({ requestTimeoutMs: 50 });
    await engine.login({ userId: 'alice', userSig: 'sig' });
    server.scripts.set('enableMultiDeviceAbility', () => 'ignore');
    await expect(engine.enableMultiDeviceAbility(true)).rejects.toMatchObject({ code: ErrorCode.ERROR_SIGNALING_SEND_FAIL });
    expect(server.frames('enableMultiDeviceAbility')).toHaveLength(2);
  });

  it('re-sends an unanswered request on the reconnected socket with the same requestId', async () => {
    // Prepare
    const { server, engine } = await setup();
    await engine.login({ userId: 'alice', userSig: 'sig' });
    server.scripts.set('getUserStatus', (_frame, conn) => (conn === server.conns[0] ? 'ignore' : { data: { statusList: [] } }));
    // Act
    const pending = engine.getUserStatus(['bob']);
    await waitFor(() => server.frames('getUserStatus').length === 1, 'the first getUserStatus frame');
    server.last.ws.terminate();
    const answer = await pending;
    // Assess
    expect(answer).toEqual({ statusList: [] });
    const [first, second] = server.frames('getUserStatus');
    expect(second?.requestId).toBe(first?.requestId);
    expect(server.conns[1]?.frames.map((f) => f.action)).toEqual(['login', 'syncCall', 'getUserStatus']);
  });
});

describe('CallEngine events', () => {
  it('converts media type, scene, reason and role names to the numeric enums and keeps the names', async () => {
    // Prepare
    const { server, engine } = await setup();
    await engine.login({ userId: 'bob', userSig: 'sig' });
    const received = nextEvent(engine, 'onCallReceived');
    const ended = nextEvent(engine, 'onCallEnd');
    // Act
    server.push('onCallReceived', { callerId: 'alice', calleeIdList: ['bob'], mediaType: 'Video', scene: 'SINGLE_CALL', roomId: 7, roomIdType: 1, userData: 'u', chatGroupId: '', timeout: 30, ringDeadline: 1, remainingMs: 29_000 }, { callId: 'c-9', seq: 1 });
    server.push('onCallEnd', { mediaType: 'Audio', reason: 'Hangup', userId: 'alice', totalTime: 42, role: 'Called' }, { callId: 'c-9', seq: 4 });
    // Assess
    expect(await received).toMatchObject({ callId: 'c-9', seq: 1, time: 1740464128807, callerId: 'alice', mediaType: MediaType.Video, mediaTypeName: 'Video', scene: Scene.SINGLE_CALL, sceneName: 'SINGLE_CALL', remainingMs: 29_000 });
    expect(await ended).toMatchObject({ callId: 'c-9', mediaType: MediaType.Audio, reason: CallEndReason.Hangup, reasonName: 'Hangup', role: Role.Called, roleName: 'Called', totalTime: 42 });
  });

  it('delivers events without a call as they come, and onKickedOffline with its string reason', async () => {
    const { server, engine } = await setup();
    await engine.login({ userId: 'bob', userSig: 'sig' });
    const error = nextEvent(engine, 'onError');
    server.push('onError', { code: -1202, message: 'bad JSON' });
    expect(await error).toEqual({ code: -1202, message: 'bad JSON' });
    const kicked = nextEvent(engine, 'onKickedOffline');
    server.push('onKickedOffline', { reason: 'LoginElsewhere' });
    expect(await kicked).toEqual({ reason: 'LoginElsewhere' });
  });

  it('drops repeated events and events older than one already delivered for the same call', async () => {
    // Prepare
    const { server, engine } = await setup();
    await engine.login({ userId: 'alice', userSig: 'sig' });
    const seqs: number[] = [];
    engine.on('onUserJoin', (e) => seqs.push(e.seq));
    const marker = nextEvent(engine, 'onUserLeave');
    // Act
    for (const seq of [1, 1, 3, 2, 3, 5]) server.push('onUserJoin', { userId: 'bob' }, { callId: 'c-1', seq });
    server.push('onUserJoin', { userId: 'bob' }, { callId: 'c-other', seq: 2 });
    server.push('onUserLeave', { userId: 'bob' }, { callId: 'c-1', seq: 6 });
    await marker;
    // Assess
    expect(seqs).toEqual([1, 3, 5, 2]);
  });

  it('stops calling a handler after off', async () => {
    const { server, engine } = await setup();
    await engine.login({ userId: 'alice', userSig: 'sig' });
    const seen: string[] = [];
    const handler = (e: { userId: string }): void => void seen.push(e.userId);
    engine.on('onUserJoin', handler);
    server.push('onUserJoin', { userId: 'bob' }, { callId: 'c-1', seq: 1 });
    await waitFor(() => seen.length === 1, 'first event');
    engine.off('onUserJoin', handler);
    const marker = nextEvent(engine, 'onUserLeave');
    server.push('onUserJoin', { userId: 'carol' }, { callId: 'c-1', seq: 2 });
    server.push('onUserLeave', { userId: 'bob' }, { callId: 'c-1', seq: 3 });
    await marker;
    expect(seen).toEqual(['bob']);
  });
});

describe('CallEngine call state', () => {
  it('moves a caller idle → calling → connected → idle on the calls answer, onCallBegin and hangup', async () => {
    // Prepare
    const { server, engine } = await setup();
    await engine.login({ userId: 'alice', userSig: 'sig' });
    const statuses = [engine.status];
    // Act
    await engine.calls(['bob'], 'Video');
    statuses.push(engine.status);
    const begun = nextEvent(engine, 'onCallBegin');
    server.push('onCallBegin', { mediaType: 'Video', roomId: 123456, roomIdType: 1, role: 'Caller' }, { callId: 'call-1', seq: 2 });
    await begun;
    statuses.push(engine.status);
    await engine.hangup();
    statuses.push(engine.status);
    // Assess
    expect(statuses).toEqual(['idle', 'calling', 'connected', 'idle']);
    expect(server.frames('hangup')[0]?.data).toEqual({ callId: 'call-1' });
    expect(engine.currentCallId).toBeUndefined();
  });

  it('moves a callee to calling on onCallReceived, connected on accept, idle on onCallEnd', async () => {
    // Prepare
    const { server, engine } = await setup();
    await engine.login({ userId: 'bob', userSig: 'sig' });
    const received = nextEvent(engine, 'onCallReceived');
    server.push('onCallReceived', { callerId: 'alice', calleeIdList: ['bob'], mediaType: 'Audio', scene: 'SINGLE_CALL' }, { callId: 'c-7', seq: 1 });
    await received;
    expect([engine.status, engine.currentCallId]).toEqual(['calling', 'c-7']);
    // Act
    await engine.accept();
    const afterAccept = engine.status;
    const ended = nextEvent(engine, 'onCallEnd');
    server.push('onCallEnd', { mediaType: 'Audio', reason: 'Hangup', userId: 'alice', totalTime: 3, role: 'Called' }, { callId: 'c-7', seq: 5 });
    await ended;
    // Assess
    expect(server.frames('accept')[0]?.data).toEqual({ callId: 'c-7' });
    expect(afterAccept).toBe('connected');
    expect(engine.status).toBe('idle');
  });

  it('goes back to idle on onCallNotConnected and refuses accept without a current call', async () => {
    const { server, engine } = await setup();
    await engine.login({ userId: 'bob', userSig: 'sig' });
    server.push('onCallReceived', { callerId: 'alice', mediaType: 'Audio' }, { callId: 'c-8', seq: 1 });
    await waitFor(() => engine.status === 'calling', 'ringing');
    server.push('onCallNotConnected', { mediaType: 'Audio', reason: 'Canceled', userId: 'alice' }, { callId: 'c-8', seq: 2 });
    await waitFor(() => engine.status === 'idle', 'idle');
    await expect(engine.accept()).rejects.toMatchObject({ code: ErrorCode.ERROR_REQUEST_REFUSED });
  });
});

describe('CallEngine heartbeat', () => {
  it('sends heartbeat frames every heartbeatIntervalSec of the login answer', async () => {
    const { server, engine } = await setup();
    server.heartbeatIntervalSec = 0.05;
    await engine.login({ userId: 'alice', userSig: 'sig' });
    await waitFor(() => server.frames('heartbeat').length >= 3, 'three heartbeats');
    expect(server.frames('heartbeat')[0]?.data).toEqual({});
  });

  it('sends no heartbeat when heartbeat is turned off', async () => {
    const { server, engine } = await setup({ heartbeat: false });
    server.heartbeatIntervalSec = 0.02;
    await engine.login({ userId: 'alice', userSig: 'sig' });
    await sleep(100);
    expect(server.frames('heartbeat')).toHaveLength(0);
  });
});

describe('CallEngine reconnect', () => {
  it('reconnects after the server drops the socket, logs in again and restores the live call from syncCall', async () => {
    // Prepare
    const { server, engine } = await setup();
    await engine.login({ userId: 'alice', userSig: 'sig' });
    server.scripts.set('syncCall', () => ({ data: { call: { callId: 'c-live', status: 'connected', mediaType: 'Video' } } }));
    const reconnecting = nextEvent(engine, 'reconnecting');
    const reconnected = nextEvent(engine, 'reconnected');
    const callEvents: string[] = [];
    for (const name of ['onCallReceived', 'onCallBegin', 'onCallEnd'] as const) engine.on(name, () => callEvents.push(name));
    // Act
    server.last.ws.terminate();
    // Assess
    expect((await reconnecting).attempt).toBe(1);
    expect((await reconnected).call).toMatchObject({ callId: 'c-live' });
    expect(server.conns).toHaveLength(2);
    expect(server.conns[1]?.frames.map((f) => f.action)).toEqual(['login', 'syncCall']);
    expect(Object.fromEntries(server.conns[1]!.query)).toMatchObject({ userid: 'alice', usersig: 'sig' });
    expect([engine.status, engine.currentCallId]).toEqual(['connected', 'c-live']);
    expect(callEvents).toEqual([]);
  });

  it('goes idle without emitting call events when syncCall reports no live call after a reconnect', async () => {
    const { server, engine } = await setup();
    await engine.login({ userId: 'alice', userSig: 'sig' });
    await engine.calls(['bob'], 'Audio');
    const ends: unknown[] = [];
    engine.on('onCallNotConnected', (e) => ends.push(e));
    const reconnected = nextEvent(engine, 'reconnected');
    server.last.ws.terminate();
    expect((await reconnected).call).toBeNull();
    expect(engine.status).toBe('idle');
    expect(ends).toEqual([]);
  });

  it('does not reconnect after logout', async () => {
    // Prepare
    const { server, engine } = await setup();
    await engine.login({ userId: 'alice', userSig: 'sig' });
    const reconnects: unknown[] = [];
    engine.on('reconnecting', (e) => reconnects.push(e));
    // Act
    await engine.logout();
    await sleep(100);
    // Assess
    expect(server.frames('logout')).toHaveLength(1);
    expect(server.conns).toHaveLength(1);
    expect(reconnects).toEqual([]);
    expect(engine.loggedIn).toBe(false);
    await expect(engine.getUserStatus(['bob'])).rejects.toMatchObject({ code: ErrorCode.ERROR_INIT_FAIL });
  });

  it('does not reconnect after onKickedOffline and reports the disconnect', async () => {
    const { server, engine } = await setup();
    await engine.login({ userId: 'alice', userSig: 'sig' });
    const disconnected = nextEvent(engine, 'disconnected');
    server.push('onKickedOffline', { reason: 'LoginElsewhere' });
    expect(await disconnected).toMatchObject({ code: ErrorCode.ERROR_INIT_FAIL });
    await sleep(100);
    expect(server.conns).toHaveLength(1);
    expect(engine.loggedIn).toBe(false);
  });

  it('stops reconnecting when the server refuses the credential during a reconnect', async () => {
    // Prepare
    const { server, engine } = await setup();
    await engine.login({ userId: 'alice', userSig: 'sig' });
    const disconnected = nextEvent(engine, 'disconnected');
    // Act
    server.refuse = true;
    server.last.ws.terminate();
    // Assess
    expect(await disconnected).toMatchObject({ code: ErrorCode.ERROR_CREDENTIAL_REFUSED });
    await sleep(100);
    expect(server.refusedUpgrades).toBe(1);
    expect(engine.loggedIn).toBe(false);
  });

  it('fails pending requests and stops everything on destroy', async () => {
    const { server, engine } = await setup();
    await engine.login({ userId: 'alice', userSig: 'sig' });
    server.scripts.set('getUserStatus', () => 'ignore');
    const pending = engine.getUserStatus(['bob']);
    await waitFor(() => server.frames('getUserStatus').length === 1, 'the request frame');
    engine.destroy();
    await expect(pending).rejects.toMatchObject({ code: ErrorCode.ERROR_INIT_FAIL });
    await waitFor(() => server.last.ws.readyState === WebSocket.CLOSED, 'the server side to see the close');
    await sleep(60);
    expect(server.conns).toHaveLength(1);
  });
});

describe('client enums and backoff', () => {
  it('maps wire names and numbers both ways, unknown names to the Unknown value', () => {
    expect(mediaTypeFromName('Video')).toBe(2);
    expect(mediaTypeFromName('Hologram')).toBe(MediaType.Unknown);
    expect(callEndReasonToName(7)).toBe('OtherDeviceAccepted');
    expect(sceneFromName('MULTI_CALL')).toBe(2);
    expect(toWireMediaType(1)).toBe('Audio');
    expect(toWireMediaType(MediaType.Unknown)).toBeUndefined();
  });

  it('grows the reconnect delay exponentially up to the ceiling, with the upper half random', () => {
    const options = { minDelayMs: 100, maxDelayMs: 1_000, maxAttempts: Infinity };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, options, () => 1))).toEqual([100, 200, 400, 800, 1_000]);
    expect(backoffDelay(3, options, () => 0)).toBe(200);
  });
});
