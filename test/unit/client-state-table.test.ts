/**
 * The client-side state table (client-api.md §3, extended as DESIGN.md says) and error codes, on a
 * small scripted `ws` server: a refused method rejects with -1203 and sends nothing.
 */

import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { CallEngine, CallEngineError, ErrorCode, STATE_TABLE } from '../../client/index.ts';
import type { CallControlMethod, RequestFrame } from '../../client/index.ts';

type Answer = { code?: number; message?: string; data?: unknown };

/** Answers every action per ws-protocol.md; `scripts` override single actions. */
class FakeServer {
  readonly received: RequestFrame[] = [];
  readonly scripts = new Map<string, (frame: RequestFrame) => Answer>();
  /** Actions whose frames are held unanswered until `release`. */
  readonly held = new Map<string, RequestFrame[]>();
  private socket: WebSocket | undefined;

  private constructor(readonly wss: WebSocketServer) {
    wss.on('connection', (ws) => {
      this.socket = ws;
      ws.on('message', (raw) => this.answer(ws, JSON.parse(String(raw)) as RequestFrame));
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

  push(event: string, callId: string, seq: number, data: Record<string, unknown>): void {
    this.socket?.send(JSON.stringify({ type: 'event', event, callId, seq, time: Date.now(), data: { callId, ...data } }));
  }

  close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }

  release(action: string): void {
    const frames = this.held.get(action) ?? [];
    this.held.delete(action);
    for (const frame of frames) this.reply(frame);
  }

  private answer(ws: WebSocket, frame: RequestFrame): void {
    this.received.push(frame);
    const held = this.held.get(frame.action);
    if (held) held.push(frame);
    else this.reply(frame, ws);
  }

  private reply(frame: RequestFrame, ws = this.socket): void {
    const { code = 0, message = '', data = {} } = this.scripts.get(frame.action)?.(frame) ?? defaultAnswer(frame);
    ws?.send(JSON.stringify({ type: 'response', requestId: frame.requestId, action: frame.action, code, message, data }));
  }
}

function defaultAnswer(frame: RequestFrame): Answer {
  const callId = frame.data.callId;
  switch (frame.action) {
    case 'login':
      return { data: { userId: 'alice', loginId: 'l-1', serverTime: Date.now(), heartbeatIntervalSec: 30, multiDeviceAbility: false } };
    case 'calls':
      return { data: { callId: 'call-1', roomId: 1, roomIdType: 1 } };
    case 'join':
      return { data: { callId, roomId: 5, roomIdType: 1, mediaType: 'Video' } };
    case 'inviteUser':
      return { data: { callId } };
    case 'syncCall':
      return { data: { call: null } };
    default:
      return { data: {} };
  }
}

let server: FakeServer | undefined;
let engine: CallEngine | undefined;

async function loggedIn(): Promise<{ server: FakeServer; engine: CallEngine }> {
  server = await FakeServer.start();
  engine = new CallEngine({ url: server.url, sdkAppId: 1400000001, WebSocket, heartbeat: false, requestTimeoutMs: 2_000 });
  await engine.login({ userId: 'alice', userSig: 'sig' });
  return { server, engine };
}

afterEach(async () => {
  engine?.destroy();
  await server?.close();
  engine = undefined;
  server = undefined;
});

type Situation = 'idle' | 'calling as caller' | 'calling as callee' | 'connected';

/** Brings a fresh logged-in engine into a situation the way the server would. */
async function bring(situation: Situation): Promise<{ server: FakeServer; engine: CallEngine }> {
  const setup = await loggedIn();
  const { server: s, engine: e } = setup;
  if (situation === 'calling as caller' || situation === 'connected') await e.calls(['bob'], 'Video');
  if (situation === 'calling as callee') {
    s.push('onCallReceived', 'call-in', 1, { callerId: 'bob', calleeIdList: ['alice'], mediaType: 'Audio', scene: 'SINGLE_CALL' });
    await expect.poll(() => e.status).toBe('calling');
  }
  if (situation === 'connected') {
    s.push('onCallBegin', 'call-1', 2, { mediaType: 'Video', roomId: 1, roomIdType: 1, role: 'Caller' });
    await expect.poll(() => e.status).toBe('connected');
  }
  s.received.length = 0;
  return setup;
}

const INVOKE: Record<CallControlMethod, (e: CallEngine) => Promise<unknown>> = {
  calls: (e) => e.calls(['carol'], 'Audio'),
  join: (e) => e.join('call-9'),
  accept: (e) => e.accept(),
  reject: (e) => e.reject(),
  ignore: (e) => e.ignore(),
  hangup: (e) => e.hangup(),
  inviteUser: (e) => e.inviteUser(['carol']),
  switchCallMediaType: (e) => e.switchCallMediaType('Audio'),
};

/** The expected table, written out (✓ = allowed). */
const EXPECTED: Record<CallControlMethod, Record<Situation, boolean>> = {
  calls: { idle: true, 'calling as caller': false, 'calling as callee': false, connected: false },
  join: { idle: true, 'calling as caller': false, 'calling as callee': false, connected: false },
  accept: { idle: false, 'calling as caller': false, 'calling as callee': true, connected: false },
  reject: { idle: false, 'calling as caller': false, 'calling as callee': true, connected: false },
  ignore: { idle: false, 'calling as caller': false, 'calling as callee': true, connected: false },
  hangup: { idle: false, 'calling as caller': true, 'calling as callee': true, connected: true },
  inviteUser: { idle: false, 'calling as caller': true, 'calling as callee': true, connected: true },
  switchCallMediaType: { idle: false, 'calling as caller': false, 'calling as callee': false, connected: true },
};

const CASES = (Object.keys(EXPECTED) as CallControlMethod[]).flatMap((method) =>
  (Object.keys(EXPECTED[method]) as Situation[]).map((situation) => ({ method, situation, allowed: EXPECTED[method][situation] })),
);

describe('the client-side state table', () => {
  it('exports the same table the tests expect', () => {
    expect(Object.keys(STATE_TABLE).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(CASES)('$method while $situation: allowed = $allowed', async ({ method, situation, allowed }) => {
    // Prepare
    const { server: s, engine: e } = await bring(situation);
    // Act
    const outcome = await INVOKE[method](e).then(
      () => 'sent',
      (error: unknown) => error,
    );
    // Assess
    if (allowed) {
      expect(outcome).toBe('sent');
      expect(s.frames(method)).toHaveLength(1);
    } else {
      expect(outcome).toBeInstanceOf(CallEngineError);
      expect(outcome).toMatchObject({ code: ErrorCode.ERROR_REQUEST_REFUSED, action: method });
      expect(s.frames(method)).toHaveLength(0);
    }
  });

  it('refuses call-control methods before login with -1201, before looking at the state', async () => {
    server = await FakeServer.start();
    engine = new CallEngine({ url: server.url, sdkAppId: 1400000001, WebSocket, heartbeat: false });
    for (const method of Object.keys(INVOKE) as CallControlMethod[]) {
      await expect(INVOKE[method](engine)).rejects.toMatchObject({ code: ErrorCode.ERROR_INIT_FAIL });
    }
  });

  it('refuses join while a calls waits for its answer (-1203), and a second calls (-1204)', async () => {
    // Prepare
    const { server: s, engine: e } = await loggedIn();
    s.held.set('calls', []);
    const first = e.calls(['bob'], 'Audio');
    await expect.poll(() => s.frames('calls')).toHaveLength(1);
    // Act
    const join = e.join('call-9').catch((error: unknown) => error);
    const second = e.calls(['carol'], 'Audio').catch((error: unknown) => error);
    // Assess
    expect(await join).toMatchObject({ code: ErrorCode.ERROR_REQUEST_REFUSED });
    expect(await second).toMatchObject({ code: ErrorCode.ERROR_REQUEST_REPEATED });
    s.release('calls');
    expect(await first).toMatchObject({ callId: 'call-1' });
    expect(e.status).toBe('calling');
    expect(s.frames('join')).toHaveLength(0);
    expect(s.frames('calls')).toHaveLength(1);
  });

  it('checks arguments after the state: a bad mediaType for switchCallMediaType is -1202 and sends nothing', async () => {
    const { server: s, engine: e } = await bring('connected');
    await expect(e.switchCallMediaType(0 as never)).rejects.toMatchObject({ code: ErrorCode.ERROR_PARAM_INVALID });
    await expect(e.inviteUser([])).rejects.toMatchObject({ code: ErrorCode.ERROR_PARAM_INVALID });
    await expect(e.join('')).rejects.toMatchObject({ code: ErrorCode.ERROR_REQUEST_REFUSED });
    expect(s.received).toHaveLength(0);
  });
});

describe('call state across re-invitations', () => {
  it('rings again when invited back into a call that ended for this device, but not for a late copy', async () => {
    // Prepare
    const { server: s, engine: e } = await loggedIn();
    const ring = { callerId: 'bob', calleeIdList: ['alice', 'carol'], mediaType: 'Audio', scene: 'MULTI_CALL' };
    s.push('onCallReceived', 'g-1', 1, ring);
    await expect.poll(() => e.status).toBe('calling');
    s.push('onCallNotConnected', 'g-1', 3, { mediaType: 'Audio', reason: 'NoResponse', userId: 'alice' });
    await expect.poll(() => e.status).toBe('idle');
    // Act
    s.push('onCallReceived', 'g-1', 2, ring); // late: older than the end
    await new Promise((resolve) => setTimeout(resolve, 50));
    const afterLate = e.status;
    s.push('onCallReceived', 'g-1', 6, { ...ring, calleeIdList: ['alice', 'carol', 'dave'] }); // inviteUser
    // Assess
    expect(afterLate).toBe('idle');
    await expect.poll(() => [e.status, e.currentCallId]).toEqual(['calling', 'g-1']);
    await e.accept();
    expect(e.status).toBe('connected');
  });
});

describe('server error codes', () => {
  const DOCUMENTED = [
    ErrorCode.ERROR_INIT_FAIL,
    ErrorCode.ERROR_PARAM_INVALID,
    ErrorCode.ERROR_REQUEST_REFUSED,
    ErrorCode.ERROR_REQUEST_REPEATED,
    ErrorCode.ERROR_SCENE_NOT_SUPPORTED,
    ErrorCode.ERROR_SIGNALING_SEND_FAIL,
    ErrorCode.ERROR_IM_NOT_LOGGED_IN,
    ErrorCode.ERROR_IM_PARAM_INVALID,
    ErrorCode.ERROR_USERSIG_EXPIRED,
    ErrorCode.ERROR_INTERFACE_NOT_SUPPORTED,
    ErrorCode.ERROR_INVITATION_HANDLED,
    ErrorCode.ERROR_CALLEE_NEVER_LOGGED_IN,
    ErrorCode.ERROR_SERVER_INTERNAL,
    ErrorCode.ERROR_SERVER_PARAM_INVALID,
    ErrorCode.ERROR_CALL_NOT_FOUND,
    ErrorCode.ERROR_RECORD_NOT_FOUND,
  ];

  it.each(DOCUMENTED)('surfaces server code %i as a CallEngineError with that number and the message', async (code) => {
    // Prepare
    const { server: s, engine: e } = await loggedIn();
    s.scripts.set('join', () => ({ code, message: `refused with ${code}` }));
    // Act
    const error = await e.join('call-9').catch((err: unknown) => err);
    // Assess
    expect(error).toBeInstanceOf(CallEngineError);
    expect(error).toMatchObject({ code, message: `refused with ${code}`, action: 'join', requestId: s.frames('join')[0]?.requestId });
    expect(e.status).toBe('idle');
  });

  it('keeps an undocumented server code as it is', async () => {
    const { server: s, engine: e } = await loggedIn();
    s.scripts.set('switchCallMediaType', () => ({ code: 123456, message: 'new code' }));
    s.push('onCallReceived', 'c-1', 1, { callerId: 'bob', calleeIdList: ['alice'], mediaType: 'Video', scene: 'SINGLE_CALL' });
    await expect.poll(() => e.status).toBe('calling');
    await e.accept();
    await expect(e.switchCallMediaType('Audio')).rejects.toMatchObject({ code: 123456 });
  });
});
