/**
 * CallEngine: the TUICallEngine surface (client-api.md) over the CallSignal WebSocket protocol
 * (ws-protocol.md). Runs in browsers (native WebSocket) and in Node (pass `ws`'s class).
 */

import { CallState } from './call-state.ts';
import { Connection } from './connection.ts';
import { Emitter } from './emitter.ts';
import type { Handler } from './emitter.ts';
import type { EngineStatus, MediaType, MediaTypeName } from './enums.ts';
import { CallEngineError, ErrorCode } from './errors.ts';
import { isServerEventName, SeqFilter, toPayload } from './events.ts';
import type { EngineEventMap, EngineEventName } from './events.ts';
import { checkCredentials, checkMediaType, checkUserIdList, wireCallParams } from './params.ts';
import { DEFAULT_RECONNECT } from './reconnect-policy.ts';
import type {
  CallParams,
  CallSnapshot,
  CallsResult,
  EngineOptions,
  EventFrame,
  LoginCredentials,
  LoginResult,
  SyncCallResult,
  UserStatusResult,
  WebSocketCtor,
} from './types.ts';

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

function resolveWebSocket(given: WebSocketCtor | undefined): WebSocketCtor {
  const ctor = given ?? (globalThis as { WebSocket?: WebSocketCtor }).WebSocket;
  if (typeof ctor !== 'function') {
    throw new CallEngineError(ErrorCode.ERROR_INIT_FAIL, 'no WebSocket class: pass options.WebSocket (in Node, the ws package)');
  }
  return ctor;
}

/** A call client: login, call control, events, call-state tracking and automatic reconnect. */
export class CallEngine {
  private readonly emitter = new Emitter<EngineEventMap>();
  private readonly state = new CallState();
  private readonly seqs = new SeqFilter();
  private readonly connection: Connection;
  /** Actions running now: a second call of the same method fails with ERROR_REQUEST_REPEATED. */
  private readonly running = new Set<string>();
  private lastLogin: LoginResult | undefined;
  private destroyed = false;

  constructor(options: EngineOptions) {
    if (typeof options?.url !== 'string' || options.url === '') {
      throw new CallEngineError(ErrorCode.ERROR_PARAM_INVALID, 'url must be a non-empty string');
    }
    if (!Number.isInteger(options.sdkAppId) || options.sdkAppId <= 0) {
      throw new CallEngineError(ErrorCode.ERROR_PARAM_INVALID, 'sdkAppId must be a positive integer');
    }
    this.connection = new Connection(
      {
        url: options.url,
        sdkAppId: options.sdkAppId,
        WebSocket: resolveWebSocket(options.WebSocket),
        platform: options.platform ?? 'Web',
        // One id for the engine's life: the server keys retried requests and reconnects by it.
        deviceId: options.deviceId ?? `dev-${globalThis.crypto.randomUUID()}`,
        heartbeat: options.heartbeat ?? true,
        reconnect: { ...DEFAULT_RECONNECT, ...withoutUndefined(options.reconnect) },
        requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      },
      {
        event: (frame) => this.onServerEvent(frame),
        reconnecting: (info) => this.emitter.emit('reconnecting', info),
        reconnected: (login, call) => this.onReconnected(login, call),
        stopped: (reason) => this.onStopped(reason),
      },
    );
  }

  /** idle, calling (dialling or ringing) or connected. */
  get status(): EngineStatus {
    return this.state.status;
  }

  /** The call accept/reject/hangup act on, if any. */
  get currentCallId(): string | undefined {
    return this.state.callId;
  }

  /** True after login resolved, until logout/destroy/a final disconnect (also while reconnecting). */
  get loggedIn(): boolean {
    return this.connection.loggedIn;
  }

  /** The latest login answer (refreshed by each reconnect). */
  get loginInfo(): LoginResult | undefined {
    return this.lastLogin;
  }

  /** Adds an event handler (TUICallObserver names, plus reconnecting/reconnected/disconnected). */
  on<K extends EngineEventName>(event: K, handler: Handler<EngineEventMap[K]>): this {
    this.emitter.on(event, handler);
    return this;
  }

  /** Removes an event handler; without one, removes every handler of the event. */
  off<K extends EngineEventName>(event: K, handler?: Handler<EngineEventMap[K]>): this {
    this.emitter.off(event, handler);
    return this;
  }

  /** Connects with a UserSig or a JWT and logs in; resolves with the login answer. */
  async login(credentials: LoginCredentials): Promise<LoginResult> {
    this.assertAlive('login');
    const checked = checkCredentials(credentials);
    if (this.connection.loggedIn || this.connection.connecting) {
      throw new CallEngineError(ErrorCode.ERROR_REQUEST_REPEATED, 'login: already logged in or logging in (logout first)');
    }
    this.lastLogin = await this.connection.login(checked);
    return this.lastLogin;
  }

  /** Logs out (the server then closes the socket); no reconnect follows. */
  async logout(): Promise<void> {
    if (this.destroyed) return;
    await this.connection.logout();
    this.state.reset();
  }

  /** Starts a 1v1 (one user) or multi-party call; mediaType as a number (1, 2) or a name. */
  async calls(userIdList: string[], mediaType: MediaType | MediaTypeName, params?: CallParams): Promise<CallsResult> {
    const data: Record<string, unknown> = { userIdList: checkUserIdList('calls', userIdList), mediaType: checkMediaType(mediaType) };
    const wireParams = wireCallParams(params);
    if (wireParams) data.params = wireParams;
    return this.exclusive('calls', async () => {
      const answer = (await this.send('calls', data)) as CallsResult;
      this.state.dialled(answer.callId);
      return answer;
    });
  }

  /** Answers the current (ringing) call. */
  async accept(): Promise<void> {
    await this.onCurrentCall('accept', (callId) => this.state.connected(callId));
  }

  /** Rejects the current (ringing) call, for this user on all her devices. */
  async reject(): Promise<void> {
    await this.onCurrentCall('reject', (callId) => this.state.finished(callId));
  }

  /** Ends the current call (cancels it when the caller hangs up before an answer). */
  async hangup(): Promise<void> {
    await this.onCurrentCall('hangup', (callId) => this.state.finished(callId));
  }

  /** Asks the server for this user's live call and adopts it as the current call (no events). */
  async syncCall(): Promise<SyncCallResult> {
    const answer = (await this.send('syncCall', {})) as Partial<SyncCallResult>;
    const call = answer.call ?? null;
    this.state.restore(call);
    return { call };
  }

  /** Online status of up to 100 users. */
  async getUserStatus(userIdList: string[]): Promise<UserStatusResult> {
    return (await this.send('getUserStatus', { userIdList: checkUserIdList('getUserStatus', userIdList) })) as UserStatusResult;
  }

  /** Sets the own nickname (≤ 500 bytes) and avatar URL; an undefined field is left unchanged. */
  async setSelfInfo(nickname?: string, avatar?: string): Promise<void> {
    const data: Record<string, unknown> = {};
    if (nickname !== undefined) data.nickname = nickname;
    if (avatar !== undefined) data.avatar = avatar;
    await this.send('setSelfInfo', data);
  }

  /** Turns multi-device ringing on or off for this user; resolves with the new setting. */
  async enableMultiDeviceAbility(enable: boolean): Promise<{ multiDeviceAbility: boolean }> {
    if (typeof enable !== 'boolean') throw new CallEngineError(ErrorCode.ERROR_PARAM_INVALID, 'enableMultiDeviceAbility: enable must be a boolean');
    return (await this.send('enableMultiDeviceAbility', { enable })) as { multiDeviceAbility: boolean };
  }

  /** Closes the socket, stops every timer, fails pending requests and drops all handlers. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.connection.stop(ErrorCode.ERROR_INIT_FAIL, 'the engine was destroyed');
    this.state.reset();
    this.seqs.clear();
    this.emitter.clear();
  }

  private async onCurrentCall(action: 'accept' | 'reject' | 'hangup', after: (callId: string) => void): Promise<void> {
    this.assertAlive(action);
    const callId = this.state.callId;
    if (callId === undefined) {
      throw new CallEngineError(ErrorCode.ERROR_REQUEST_REFUSED, `${action}: there is no current call`, { action });
    }
    await this.exclusive(action, async () => {
      await this.send(action, { callId });
      after(callId);
    });
  }

  private async exclusive<T>(action: string, run: () => Promise<T>): Promise<T> {
    if (this.running.has(action)) {
      throw new CallEngineError(ErrorCode.ERROR_REQUEST_REPEATED, `${action} is already running`, { action });
    }
    this.running.add(action);
    try {
      return await run();
    } finally {
      this.running.delete(action);
    }
  }

  private send(action: string, data: Record<string, unknown>): Promise<unknown> {
    this.assertAlive(action);
    return this.connection.request(action, data);
  }

  private assertAlive(action: string): void {
    if (this.destroyed) throw new CallEngineError(ErrorCode.ERROR_INIT_FAIL, `${action}: the engine was destroyed`, { action });
  }

  private onServerEvent(frame: EventFrame): void {
    if (!isServerEventName(frame.event) || !this.seqs.accept(frame.callId, frame.seq)) return;
    this.track(frame);
    this.emitter.emit(frame.event, toPayload(frame) as never);
  }

  /** Moves the call state before handlers run, so a handler sees (and can act on) the new state. */
  private track(frame: EventFrame): void {
    const callId = frame.callId;
    if (frame.event === 'onKickedOffline' || frame.event === 'onUserSigExpired') this.state.reset();
    if (callId === undefined) return;
    if (frame.event === 'onCallReceived') this.state.received(callId);
    else if (frame.event === 'onCallBegin') this.state.connected(callId);
    else if (frame.event === 'onCallEnd' || frame.event === 'onCallNotConnected') this.state.finished(callId);
  }

  private onReconnected(login: LoginResult, call: CallSnapshot | null | undefined): void {
    this.lastLogin = login;
    if (call !== undefined) this.state.restore(call);
    this.emitter.emit('reconnected', { login, call: call ?? null });
  }

  private onStopped(reason: CallEngineError): void {
    this.state.reset();
    this.emitter.emit('disconnected', { code: reason.code, message: reason.message });
  }
}

function withoutUndefined<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}
