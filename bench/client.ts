import WebSocket from 'ws';
import { genUserSig } from '../lib/auth/usersig.ts';

/** A frame the server sent, with the instant (performance.now) it arrived. */
export interface TimedFrame {
  at: number;
  type: 'response' | 'event';
  requestId?: string;
  action?: string;
  code?: number;
  event?: string;
  callId?: string;
  data: Record<string, any>;
}

const WAIT_MS = 30_000;

/** Where a virtual user connects: the stack's WebSocket URL and the app it signs UserSigs for. */
export interface Target {
  wsUrl: string;
  sdkAppId: number;
  secretKey: string;
}

export function urlFor(target: Target, userId: string): string {
  const usersig = genUserSig({ sdkAppId: target.sdkAppId, userId, key: target.secretKey, expireSec: 86_400 });
  return `${target.wsUrl}/?${new URLSearchParams({ sdkappid: String(target.sdkAppId), userid: userId, usersig })}`;
}

/**
 * A virtual user's device over the raw protocol. Each frame is stamped when it arrives, so a latency
 * is "arrival at the receiving device − the instant the sender handed its frame to the socket".
 */
export class BenchClient {
  /** Frames not consumed yet (cleared by `reset`). */
  private frames: TimedFrame[] = [];
  private waiters: { match: (f: TimedFrame) => boolean; resolve: (f: TimedFrame) => void }[] = [];
  private counter = 0;

  private constructor(
    readonly ws: WebSocket,
    readonly userId: string,
  ) {
    ws.on('message', (raw) => {
      const at = performance.now();
      const frame = { ...(JSON.parse(raw.toString()) as Omit<TimedFrame, 'at'>), at };
      const waiter = this.waiters.find((w) => w.match(frame));
      if (waiter) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(frame);
      } else this.frames.push(frame);
    });
  }

  static open(target: Target, userId: string): Promise<BenchClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(urlFor(target, userId));
      ws.once('open', () => resolve(new BenchClient(ws, userId)));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake refused for ${userId}: ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  /** Opens and logs in one device. */
  static async login(target: Target, userId: string, platform = 'Web'): Promise<BenchClient> {
    const c = await BenchClient.open(target, userId);
    const answer = await c.request('login', { platform });
    if (answer.code !== 0) throw new Error(`login of ${userId} failed: ${answer.code}`);
    return c;
  }

  /** Sends a request; returns the send instant and a promise of its response. */
  send(action: string, data: Record<string, unknown> = {}): { sentAt: number; response: Promise<TimedFrame> } {
    const requestId = `${this.userId}-${++this.counter}`;
    const response = this.next((f) => f.type === 'response' && f.requestId === requestId, `response to ${action}`);
    const sentAt = performance.now();
    this.ws.send(JSON.stringify({ action, requestId, data }));
    return { sentAt, response };
  }

  async request(action: string, data: Record<string, unknown> = {}): Promise<TimedFrame> {
    return this.send(action, data).response;
  }

  /** The first event of that name (for that call, if given) already received and not consumed, or the next one. */
  event(name: string, callId?: string): Promise<TimedFrame> {
    return this.next((f) => f.type === 'event' && f.event === name && (callId === undefined || f.callId === callId), `event ${name}`);
  }

  /** Consumes the first matching frame received so far, or waits for one. */
  next(match: (f: TimedFrame) => boolean, what: string): Promise<TimedFrame> {
    const i = this.frames.findIndex(match);
    if (i >= 0) return Promise.resolve(this.frames.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`${this.userId}: timed out waiting for ${what}`));
      }, WAIT_MS);
      const done = (f: TimedFrame) => {
        clearTimeout(timer);
        resolve(f);
      };
      this.waiters.push({ match, resolve: done });
    });
  }

  /** Forgets frames received and not consumed. */
  reset(): void {
    this.frames = [];
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}
