/**
 * The engine's link to the server: one logged-in WebSocket at a time, heartbeats, and automatic
 * reconnect (exponential backoff with jitter, then `login` and `syncCall` again) when the socket
 * closes without the app or the server meaning it to.
 */

import { CallEngineError, ErrorCode } from './errors.ts';
import type { ReconnectingEvent } from './events.ts';
import { RequestTracker } from './requests.ts';
import { backoffDelay, isFinalFailure } from './reconnect-policy.ts';
import { closeNow, handshakeUrl, openSocket, SOCKET_OPEN } from './socket.ts';
import { SDK_VERSION } from './types.ts';
import type {
  CallSnapshot,
  EventFrame,
  LoginCredentials,
  LoginResult,
  ReconnectOptions,
  RequestFrame,
  ResponseFrame,
  SocketLike,
  SyncCallResult,
  WebSocketCtor,
} from './types.ts';

/** Connection settings with every default filled in. */
export interface ConnectionConfig {
  url: string;
  sdkAppId: number;
  WebSocket: WebSocketCtor;
  platform: string;
  deviceId?: string;
  heartbeat: boolean;
  reconnect: Required<ReconnectOptions>;
  requestTimeoutMs: number;
}

/** What the connection tells its engine. */
export interface ConnectionHooks {
  event(frame: EventFrame): void;
  reconnecting(info: ReconnectingEvent): void;
  /** Logged in again; `call` is undefined when syncCall was answered with an error. */
  reconnected(login: LoginResult, call: CallSnapshot | null | undefined): void;
  /** The connection ended without the app asking (kicked, credential refused, gave up). */
  stopped(reason: CallEngineError): void;
}

type Phase = 'idle' | 'connecting' | 'ready' | 'reconnecting' | 'leaving';

/** One logged-in socket at a time, re-established after unexpected closes. */
export class Connection {
  private readonly tracker: RequestTracker;
  private phase: Phase = 'idle';
  private socket: SocketLike | undefined;
  /** Bumped per socket and on stop: events of older sockets are ignored. */
  private gen = 0;
  private credentials: LoginCredentials | undefined;
  private stopReason: CallEngineError | undefined;
  private attempt = 0;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly config: ConnectionConfig,
    private readonly hooks: ConnectionHooks,
  ) {
    this.tracker = new RequestTracker(config.requestTimeoutMs, (frame) => this.write(frame));
  }

  /** True once logged in, until logout, destroy or a final stop (also while reconnecting). */
  get loggedIn(): boolean {
    return this.phase === 'ready' || this.phase === 'reconnecting';
  }

  /** True while a first login is running. */
  get connecting(): boolean {
    return this.phase === 'connecting';
  }

  /** Opens the socket and logs in; no automatic retry for this first login. */
  async login(credentials: LoginCredentials): Promise<LoginResult> {
    this.credentials = credentials;
    this.phase = 'connecting';
    this.stopReason = undefined;
    try {
      const login = await this.connectOnce();
      this.becomeReady(login);
      return login;
    } catch (error) {
      if (this.phase === 'connecting') this.stop(ErrorCode.ERROR_INIT_FAIL, 'login failed');
      throw error;
    }
  }

  /** Sends an app request once logged in (waiting through reconnects), else ERROR_INIT_FAIL. */
  request(action: string, data: Record<string, unknown>): Promise<unknown> {
    if (!this.loggedIn) {
      return Promise.reject(new CallEngineError(ErrorCode.ERROR_INIT_FAIL, `${action}: not logged in (call login first and wait for it)`, { action }));
    }
    return this.tracker.request(action, data);
  }

  /** Sends `logout` when a socket is up (its failure is ignored: we leave anyway), then stops. */
  async logout(): Promise<void> {
    if (this.phase === 'idle') return;
    const wasReady = this.phase === 'ready';
    this.phase = 'leaving';
    if (wasReady) await this.tracker.request('logout', {}, { bound: true, retry: false }).catch(() => undefined);
    this.stop(ErrorCode.ERROR_INIT_FAIL, 'logged out');
  }

  /** Closes everything now: socket, timers, pending requests (rejected with `code`). */
  stop(code: number = ErrorCode.ERROR_INIT_FAIL, message = 'the engine was stopped'): void {
    this.phase = 'idle';
    this.gen += 1;
    this.clearTimers();
    if (this.socket) closeNow(this.socket);
    this.socket = undefined;
    this.tracker.rejectAll(code, message);
  }

  private async connectOnce(): Promise<LoginResult> {
    const gen = ++this.gen;
    const url = handshakeUrl(this.config.url, this.config.sdkAppId, this.credentials!);
    const socket = await openSocket(this.config.WebSocket, url, {
      message: (text) => this.onMessage(gen, text),
      close: () => this.onClose(gen),
    });
    if (gen !== this.gen) {
      closeNow(socket);
      throw new CallEngineError(ErrorCode.ERROR_INIT_FAIL, 'the engine was stopped while connecting');
    }
    this.socket = socket;
    this.tracker.socketOpened();
    const data: Record<string, unknown> = { platform: this.config.platform, sdkVersion: SDK_VERSION };
    if (this.config.deviceId !== undefined) data.deviceId = this.config.deviceId;
    return (await this.tracker.request('login', data, { bound: true })) as LoginResult;
  }

  private becomeReady(login: LoginResult): void {
    this.phase = 'ready';
    this.attempt = 0;
    this.startHeartbeat(login.heartbeatIntervalSec);
    this.tracker.socketReady();
  }

  private write(frame: RequestFrame): boolean {
    if (!this.socket || this.socket.readyState !== SOCKET_OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  private onMessage(gen: number, text: string): void {
    if (gen !== this.gen) return;
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      return; // not JSON: nothing in the protocol to answer it with
    }
    if (typeof frame !== 'object' || frame === null) return;
    const typed = frame as Partial<ResponseFrame> & Partial<EventFrame>;
    if (typed.type === 'response' && typeof typed.requestId === 'string') this.tracker.answer(typed as ResponseFrame);
    else if (typed.type === 'event' && typeof typed.event === 'string') this.onEvent(typed as EventFrame);
  }

  private onEvent(frame: EventFrame): void {
    this.hooks.event(frame);
    if (frame.event === 'onKickedOffline') {
      const reason = String(frame.data?.reason ?? 'Unknown');
      this.stopReason = new CallEngineError(ErrorCode.ERROR_INIT_FAIL, `kicked offline (${reason})`);
    } else if (frame.event === 'onUserSigExpired') {
      this.stopReason = new CallEngineError(ErrorCode.ERROR_USERSIG_EXPIRED, 'the credential expired');
    } else return;
    // The server closes the socket next; closing it ourselves makes sure no reconnect follows.
    if (this.socket) closeNow(this.socket);
  }

  private onClose(gen: number): void {
    if (gen !== this.gen) return;
    this.socket = undefined;
    this.clearHeartbeat();
    this.tracker.socketLost();
    if (this.phase !== 'ready') return; // first login or reconnect attempt: its own await handles it
    if (this.stopReason) this.end(this.stopReason);
    else this.scheduleReconnect(undefined);
  }

  private scheduleReconnect(error: CallEngineError | undefined): void {
    this.attempt += 1;
    const { maxAttempts } = this.config.reconnect;
    if (this.attempt > maxAttempts) {
      this.end(new CallEngineError(ErrorCode.ERROR_SIGNALING_SEND_FAIL, `gave up reconnecting after ${maxAttempts} attempts`, { cause: error }));
      return;
    }
    this.phase = 'reconnecting';
    const delayMs = backoffDelay(this.attempt, this.config.reconnect);
    this.hooks.reconnecting(error ? { attempt: this.attempt, delayMs, error } : { attempt: this.attempt, delayMs });
    this.reconnectTimer = setTimeout(() => void this.reconnectOnce(), delayMs);
  }

  private async reconnectOnce(): Promise<void> {
    this.reconnectTimer = undefined;
    try {
      const login = await this.connectOnce();
      const call = await this.syncCall();
      if (this.phase !== 'reconnecting') return;
      this.becomeReady(login);
      this.hooks.reconnected(login, call);
    } catch (error) {
      if (this.phase !== 'reconnecting') return;
      const engineError = error instanceof CallEngineError ? error : new CallEngineError(ErrorCode.ERROR_UNKNOWN, String(error), { cause: error });
      if (this.socket) closeNow(this.socket);
      this.socket = undefined;
      this.gen += 1;
      if (this.stopReason) this.end(this.stopReason);
      else if (isFinalFailure(engineError)) this.end(engineError);
      else this.scheduleReconnect(engineError);
    }
  }

  /** The live call after a reconnect; undefined when the server answered syncCall with an error. */
  private async syncCall(): Promise<CallSnapshot | null | undefined> {
    try {
      const answer = (await this.tracker.request('syncCall', {}, { bound: true })) as Partial<SyncCallResult>;
      return answer.call ?? null;
    } catch (error) {
      if (error instanceof CallEngineError && error.code === ErrorCode.ERROR_SIGNALING_SEND_FAIL) throw error;
      return undefined;
    }
  }

  private end(reason: CallEngineError): void {
    this.stop(reason.code, reason.message);
    this.hooks.stopped(reason);
  }

  private startHeartbeat(intervalSec: number): void {
    this.clearHeartbeat();
    if (!this.config.heartbeat || !(intervalSec > 0)) return;
    const gen = this.gen;
    this.heartbeatTimer = setInterval(() => {
      this.tracker.request('heartbeat', {}, { bound: true, retry: false }).catch(() => {
        // No answer in time on a socket that still looks open: treat it as dead and reconnect.
        if (gen === this.gen && this.socket) closeNow(this.socket, 4000, 'heartbeat timeout');
      });
    }, intervalSec * 1000);
  }

  private clearHeartbeat(): void {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  private clearTimers(): void {
    this.clearHeartbeat();
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
  }
}
