import WebSocket from 'ws';
import { genUserSig } from '../../lib/auth/usersig.ts';

/** A frame the server sent, stamped with the instant (performance.now) it arrived. */
export interface SoakFrame {
  at: number;
  type: 'response' | 'event';
  requestId?: string;
  action?: string;
  code?: number;
  message?: string;
  event?: string;
  callId?: string;
  data: Record<string, any>;
}

/** One app of the soak's stack as a device sees it: where to connect and how to sign. */
export interface AppTarget {
  name: string;
  sdkAppId: number;
  secretKey: string;
  wsUrl: string;
  httpUrl: string;
}

/** How a device logs in: which platform and which stable device id (reconnects reuse it). */
export interface DeviceSpec {
  platform: string;
  deviceId: string;
}

/** How long a step waits for the server before the scenario counts as failed. */
export const STEP_TIMEOUT_MS = 20_000;
/** Unconsumed events kept per device (older ones are dropped: nobody waits for them). */
const MAX_BUFFERED = 100;
/** requestIds are unique in the whole run, so no reconnect of a device ever replays an old answer. */
let requestCounter = 0;

/** A fresh UserSig for every connect: a REST `kick` refuses credentials issued before it. */
export function wsUrlFor(app: AppTarget, userId: string): string {
  const usersig = genUserSig({ sdkAppId: app.sdkAppId, userId, key: app.secretKey, expireSec: 86_400 });
  return `${app.wsUrl}/?${new URLSearchParams({ sdkappid: String(app.sdkAppId), userid: userId, usersig })}`;
}

/** A failed expectation of a scenario step (timeout, unexpected code); carries the call for the report. */
export class StepError extends Error {
  override readonly name = 'StepError';
  constructor(
    readonly step: string,
    message: string,
    readonly callId?: string,
  ) {
    super(`${step}: ${message}`);
  }
}

type Waiter = { match: (f: SoakFrame) => boolean; resolve: (f: SoakFrame) => void; reject: (e: Error) => void };

/**
 * One virtual device over the raw protocol, as the soak needs it: logged in, heartbeating, able to
 * drop like a lost network (no close frame) or close politely, and to wait for a call's events.
 */
export class SoakClient {
  private events: SoakFrame[] = [];
  private waiters: Waiter[] = [];
  private beat: ReturnType<typeof setInterval> | undefined;
  closed = false;

  private constructor(
    readonly ws: WebSocket,
    readonly userId: string,
    readonly device: DeviceSpec,
  ) {
    ws.on('message', (raw) => this.receive({ ...(JSON.parse(raw.toString()) as Omit<SoakFrame, 'at'>), at: performance.now() }));
    ws.on('error', () => undefined);
    ws.once('close', () => {
      this.closed = true;
      clearInterval(this.beat);
      for (const w of this.waiters.splice(0)) w.reject(new Error(`${this.userId}/${this.device.platform}: connection closed`));
    });
  }

  /** Opens a connection with a fresh UserSig and logs in; heartbeats at the interval the server asks. */
  static async connect(app: AppTarget, userId: string, device: DeviceSpec): Promise<SoakClient> {
    const ws = await new Promise<WebSocket>((resolve, reject) => {
      const socket = new WebSocket(wsUrlFor(app, userId));
      const timer = setTimeout(() => (socket.terminate(), reject(new StepError('connect', `${userId}: no handshake in ${STEP_TIMEOUT_MS} ms`))), STEP_TIMEOUT_MS);
      socket.once('open', () => (clearTimeout(timer), resolve(socket)));
      socket.once('unexpected-response', (_req, res) => (clearTimeout(timer), socket.terminate(), reject(new StepError('connect', `${userId}: handshake refused ${res.statusCode}`))));
      socket.once('error', (err) => (clearTimeout(timer), reject(err)));
    });
    const client = new SoakClient(ws, userId, device);
    const answer = await client.request('login', { platform: device.platform, deviceId: device.deviceId });
    if (answer.code !== 0) {
      client.drop();
      throw new StepError('login', `${userId}: ${answer.code} ${answer.message ?? ''}`);
    }
    const everyMs = Number(answer.data.heartbeatIntervalSec ?? 30) * 1000;
    client.beat = setInterval(() => client.sendFrame('heartbeat', {}), everyMs);
    return client;
  }

  private receive(frame: SoakFrame): void {
    const i = this.waiters.findIndex((w) => w.match(frame));
    if (i >= 0) return this.waiters.splice(i, 1)[0]!.resolve(frame);
    // Answers nobody waits for (heartbeats) are dropped; events are kept for a later `event()`.
    if (frame.type !== 'event') return;
    this.events.push(frame);
    if (this.events.length > MAX_BUFFERED) this.events.shift();
  }

  private sendFrame(action: string, data: Record<string, unknown>, requestId = `r${++requestCounter}`): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ action, requestId, data }));
  }

  /** Sends a request; returns the send instant and the answer to come. */
  send(action: string, data: Record<string, unknown> = {}): { sentAt: number; response: Promise<SoakFrame> } {
    const requestId = `r${++requestCounter}`;
    const response = this.wait((f) => f.type === 'response' && f.requestId === requestId, `answer to ${action}`, undefined, STEP_TIMEOUT_MS);
    const sentAt = performance.now();
    this.sendFrame(action, data, requestId);
    return { sentAt, response };
  }

  request(action: string, data: Record<string, unknown> = {}): Promise<SoakFrame> {
    return this.send(action, data).response;
  }

  /** The first buffered event of that name (of that call, if given), or the next one to come. */
  event(name: string, callId?: string, timeoutMs = STEP_TIMEOUT_MS): Promise<SoakFrame> {
    const match = (f: SoakFrame) => f.type === 'event' && f.event === name && (callId === undefined || f.callId === callId);
    const i = this.events.findIndex(match);
    if (i >= 0) return Promise.resolve(this.events.splice(i, 1)[0]!);
    return this.wait(match, `event ${name}`, callId, timeoutMs);
  }

  private wait(match: (f: SoakFrame) => boolean, what: string, callId: string | undefined, timeoutMs: number): Promise<SoakFrame> {
    if (this.closed) return Promise.reject(new StepError(what, `${this.userId}/${this.device.platform}: connection closed`, callId));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve: (f) => (clearTimeout(timer), resolve(f)),
        reject: (e) => (clearTimeout(timer), reject(new StepError(what, e.message, callId))),
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new StepError(what, `${this.userId}/${this.device.platform}: nothing in ${timeoutMs} ms`, callId));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Forgets buffered events (a scenario starts from a clean slate). */
  reset(): void {
    this.events = [];
  }

  /** Resolves once the connection is closed (by either side). */
  whenClosed(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.ws.once('close', () => resolve()));
  }

  /** Cuts the connection as a lost network would: no close frame, the server notices the TCP close. */
  drop(): void {
    clearInterval(this.beat);
    this.ws.terminate();
  }

  /** Closes politely (close frame); gives up and cuts after 5 s. */
  async close(): Promise<void> {
    clearInterval(this.beat);
    if (this.closed) return;
    const done = this.whenClosed();
    this.ws.close();
    const timer = setTimeout(() => this.ws.terminate(), 5_000);
    await done;
    clearTimeout(timer);
  }
}
