/**
 * Pending requests: unique ids, answer matching, one retry with the same requestId after a missed
 * answer (the server answers a repeated requestId with its first answer), and re-sending after a
 * reconnect.
 */

import { CallEngineError, ErrorCode } from './errors.ts';
import type { RequestFrame, ResponseFrame } from './types.ts';

/** How a request travels. */
export interface RequestOptions {
  /**
   * Bound to the current socket: sent only on it, even before login completes (login, syncCall,
   * heartbeat, logout), and failed when it closes. Unbound requests wait for a logged-in socket
   * and survive reconnects.
   */
  bound?: boolean;
  /** Retry once after a missed answer (default true). */
  retry?: boolean;
}

interface Pending {
  frame: RequestFrame;
  bound: boolean;
  retry: boolean;
  /** Socket generation the frame was last written to; -1 when not written yet. */
  sentGen: number;
  sends: number;
  retried: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  resolve(data: unknown): void;
  reject(error: CallEngineError): void;
}

/** Writes a frame on the current socket; false when no socket is open. */
export type FrameWriter = (frame: RequestFrame) => boolean;

function randomPrefix(): string {
  const uuid = globalThis.crypto?.randomUUID?.();
  return (uuid ?? Math.random().toString(36).slice(2)).replace(/-/g, '').slice(0, 12);
}

/** Tracks the engine's requests across sockets; ids are `<random>-<n>`, unique for this engine. */
export class RequestTracker {
  private readonly pending = new Map<string, Pending>();
  private readonly prefix = randomPrefix();
  private counter = 0;
  private gen = 0;
  private ready = false;

  constructor(
    private readonly timeoutMs: number,
    private readonly write: FrameWriter,
  ) {}

  /** Sends `action` and resolves with the answer's `data`, or rejects with a CallEngineError. */
  request(action: string, data: Record<string, unknown>, options: RequestOptions = {}): Promise<unknown> {
    const requestId = `${this.prefix}-${++this.counter}`;
    return new Promise((resolve, reject) => {
      const entry: Pending = {
        frame: { action, requestId, data },
        bound: options.bound ?? false,
        retry: options.retry ?? true,
        sentGen: -1,
        sends: 0,
        retried: false,
        timer: undefined,
        resolve,
        reject,
      };
      this.pending.set(requestId, entry);
      if (entry.bound && !this.transmit(entry)) {
        this.fail(entry, ErrorCode.ERROR_SIGNALING_SEND_FAIL, `${action}: the connection is not open`);
        return;
      }
      if (!entry.bound && this.ready) this.transmit(entry);
      this.arm(entry);
    });
  }

  /** Settles the request a response frame answers; false when no request has that id. */
  answer(frame: ResponseFrame): boolean {
    const entry = this.pending.get(frame.requestId);
    if (!entry) return false;
    this.settle(entry);
    if (frame.code === 0) entry.resolve(frame.data ?? {});
    else entry.reject(new CallEngineError(frame.code, frame.message || `${entry.frame.action} failed with code ${frame.code}`, { requestId: entry.frame.requestId, action: entry.frame.action }));
    return true;
  }

  /** A new socket is open (not logged in yet): later bound requests go to it. */
  socketOpened(): void {
    this.gen += 1;
    this.ready = false;
  }

  /** The socket is logged in: unbound requests not yet written to it are written now. */
  socketReady(): void {
    this.ready = true;
    for (const entry of [...this.pending.values()]) {
      if (!entry.bound && entry.sentGen !== this.gen && entry.sends < 2) this.transmit(entry);
    }
  }

  /** The socket closed: bound requests fail, unbound ones wait for the next ready socket. */
  socketLost(): void {
    this.ready = false;
    for (const entry of [...this.pending.values()]) {
      if (entry.bound) this.fail(entry, ErrorCode.ERROR_SIGNALING_SEND_FAIL, `${entry.frame.action}: the connection closed before the answer`);
    }
  }

  /** Fails every pending request (logout, destroy, giving up on reconnecting). */
  rejectAll(code: number, message: string): void {
    for (const entry of [...this.pending.values()]) this.fail(entry, code, message);
  }

  private transmit(entry: Pending): boolean {
    if (!this.write(entry.frame)) return false;
    entry.sentGen = this.gen;
    entry.sends += 1;
    return true;
  }

  private arm(entry: Pending): void {
    entry.timer = setTimeout(() => this.timedOut(entry), this.timeoutMs);
  }

  private timedOut(entry: Pending): void {
    if (!entry.retry || entry.retried) {
      this.fail(entry, ErrorCode.ERROR_SIGNALING_SEND_FAIL, `${entry.frame.action}: no answer within ${this.timeoutMs} ms`);
      return;
    }
    entry.retried = true;
    // Same requestId: if the first frame did arrive, the server answers it again without acting twice.
    const canSend = entry.bound ? entry.sentGen === this.gen : this.ready;
    if (canSend && entry.sends < 2) this.transmit(entry);
    this.arm(entry);
  }

  private fail(entry: Pending, code: number, message: string): void {
    this.settle(entry);
    entry.reject(new CallEngineError(code, message, { requestId: entry.frame.requestId, action: entry.frame.action }));
  }

  private settle(entry: Pending): void {
    clearTimeout(entry.timer);
    this.pending.delete(entry.frame.requestId);
  }
}
