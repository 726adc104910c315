/**
 * CallEngine: the TUICallEngine surface (client-api.md) over the CallSignal WebSocket protocol
 * (ws-protocol.md). Runs in browsers (native WebSocket) and in Node (pass `ws`'s class).
 */

import { CallState } from './call-state.ts';
import { Connection } from './connection.ts';
import { Emitter } from './emitter.ts';
import type { Handler } from './emitter.ts';
import { connectionConfig } from './engine-options.ts';
import { mediaTypeFromName } from './enums.ts';
import type { EngineStatus, MediaType, MediaTypeName } from './enums.ts';
import { CallEngineError, ErrorCode } from './errors.ts';
import { EventRouter } from './event-router.ts';
import type { EngineEventMap, EngineEventName } from './events.ts';
import type { CallMembers } from './member-view.ts';
import { checkCallId, checkCredentials, checkMediaType, checkUserIdList, wireCallParams, wireInviteParams } from './params.ts';
import { MethodGate } from './state-rules.ts';
import type { CallControlMethod } from './state-rules.ts';
import type { CallParams, CallSnapshot, CallsResult, EngineOptions, InviteParams, JoinResult } from './types.ts';
import type { LoginCredentials, LoginResult, SyncCallResult, UserStatusResult } from './types.ts';

/** A call client: login, call control, events, call-state tracking and automatic reconnect. */
export class CallEngine {
  private readonly emitter = new Emitter<EngineEventMap>();
  private readonly state = new CallState();
  private readonly router: EventRouter;
  private readonly connection: Connection;
  private readonly gate = new MethodGate();
  private lastLogin: LoginResult | undefined;
  private userId = '';
  private destroyed = false;

  constructor(options: EngineOptions) {
    this.router = new EventRouter(this.emitter, this.state, {
      selfId: () => this.userId,
      fetchSnapshot: async () => ((await this.connection.request('syncCall', {})) as Partial<SyncCallResult>).call ?? null,
    });
    this.connection = new Connection(connectionConfig(options), {
      event: (frame) => this.router.onFrame(frame),
      reconnecting: (info) => this.emitter.emit('reconnecting', info),
      reconnected: (login, call) => this.onReconnected(login, call),
      stopped: (reason) => this.onStopped(reason),
    });
  }

  /** idle, calling (dialling or ringing) or connected. */
  get status(): EngineStatus {
    return this.state.status;
  }

  /** The call accept/reject/ignore/hangup/inviteUser/switchCallMediaType act on, if any. */
  get currentCallId(): string | undefined {
    return this.state.callId;
  }

  /** Who is in the current call and whose invitation still rings, as this device knows it. */
  get callMembers(): CallMembers | undefined {
    return this.router.members(this.state.callId);
  }

  /** True after login resolved, until logout/destroy/a final disconnect (also while reconnecting). */
  get loggedIn(): boolean {
    return this.connection.loggedIn;
  }

  /** The latest login answer (refreshed by each reconnect). */
  get loginInfo(): LoginResult | undefined {
    return this.lastLogin;
  }

  /** Adds an event handler (TUICallObserver and Web TUICallEvent names, plus reconnecting/reconnected/disconnected). */
  on<K extends EngineEventName>(event: K, handler: Handler<EngineEventMap[K]>): this {
    this.emitter.on(event, handler);
    return this;
  }

  /** Removes an event handler; without one, removes every handler of the event. */
  off<K extends EngineEventName>(event: K, handler?: Handler<EngineEventMap[K]>): this {
    this.emitter.off(event, handler);
    return this;
  }

  /** Connects with a UserSig or a JWT and logs in; resolves with the login answer, then SDK_READY fires. */
  async login(credentials: LoginCredentials): Promise<LoginResult> {
    this.assertAlive('login');
    const checked = checkCredentials(credentials);
    if (this.connection.loggedIn || this.connection.connecting) {
      throw new CallEngineError(ErrorCode.ERROR_REQUEST_REPEATED, 'login: already logged in or logging in (logout first)');
    }
    this.userId = checked.userId;
    this.lastLogin = await this.connection.login(checked);
    this.emitter.emit('SDK_READY', {});
    return this.lastLogin;
  }

  /** Logs out (the server then closes the socket); no reconnect follows. */
  async logout(): Promise<void> {
    if (this.destroyed) return;
    await this.connection.logout();
    this.state.reset();
    this.router.forgetCalls();
  }

  /** Starts a 1v1 (one user) or multi-party call; mediaType as a number (1, 2) or a name. Idle only. */
  async calls(userIdList: string[], mediaType: MediaType | MediaTypeName, params?: CallParams): Promise<CallsResult> {
    this.guard('calls');
    const list = checkUserIdList('calls', userIdList);
    const wireMedia = checkMediaType(mediaType);
    const wireParams = wireCallParams(params);
    const data: Record<string, unknown> = { userIdList: list, mediaType: wireMedia, ...(wireParams ? { params: wireParams } : {}) };
    return this.gate.exclusive('calls', async () => {
      const answer = (await this.send('calls', data)) as CallsResult;
      this.state.dialled(answer.callId, answer.merged ? 'Called' : 'Caller');
      this.router.dialled(answer, { userIdList: list, mediaType: mediaTypeFromName(wireMedia), chatGroupId: params?.chatGroupId ?? '' });
      return answer;
    });
  }

  /** Joins a live group call by its id; it becomes the current call, connected. Idle only. */
  async join(callId: string): Promise<JoinResult> {
    this.guard('join');
    const id = checkCallId('join', callId);
    return this.gate.exclusive('join', async () => {
      const answer = (await this.send('join', { callId: id })) as Omit<JoinResult, 'mediaType'> & { mediaType: unknown };
      const mediaType = typeof answer.mediaType === 'number' ? answer.mediaType : mediaTypeFromName(answer.mediaType);
      const result: JoinResult = { callId: answer.callId, roomId: answer.roomId, roomIdType: answer.roomIdType, mediaType };
      this.state.joined(result.callId);
      this.router.joined(result);
      return result;
    });
  }

  /** Answers the current (ringing) call. */
  async accept(): Promise<void> {
    await this.onCurrentCall('accept', () => ({}), (callId) => this.state.connected(callId));
  }

  /** Rejects the current (ringing) call, for this user on all her devices. */
  async reject(): Promise<void> {
    await this.onCurrentCall('reject', () => ({}), (callId) => this.state.finished(callId));
  }

  /** Silences the current ringing call on this device only (no event follows); her other devices keep ringing. */
  async ignore(): Promise<void> {
    await this.onCurrentCall('ignore', () => ({}), (callId) => {
      this.state.finished(callId);
      this.router.ignored(callId);
    });
  }

  /** Ends the current call (cancels it when the caller hangs up before an answer). */
  async hangup(): Promise<void> {
    await this.onCurrentCall('hangup', () => ({}), (callId) => this.state.finished(callId));
  }

  /** Invites more users into the current group call (they join the inviter's room); resolves with its callId. */
  async inviteUser(userIdList: string[], params?: InviteParams): Promise<{ callId: string }> {
    const answer = await this.onCurrentCall('inviteUser', () => {
      const wireParams = wireInviteParams(params);
      return { userIdList: checkUserIdList('inviteUser', userIdList), ...(wireParams ? { params: wireParams } : {}) };
    });
    return { callId: (answer as { callId?: string }).callId ?? '' };
  }

  /** Switches the connected call between audio and video; every member gets onCallMediaTypeChanged. */
  async switchCallMediaType(mediaType: MediaType | MediaTypeName): Promise<void> {
    await this.onCurrentCall('switchCallMediaType', () => ({ mediaType: checkMediaType(mediaType, 'switchCallMediaType') }));
  }

  /** Asks the server for this user's live call and adopts it as the current call (no call events). */
  async syncCall(): Promise<SyncCallResult> {
    const answer = (await this.send('syncCall', {})) as Partial<SyncCallResult>;
    const call = answer.call ?? null;
    this.state.restore(call);
    this.router.restored(call);
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
    this.router.clear();
    this.emitter.clear();
  }

  /**
   * Runs a call-control method on the current call: state table first (nothing is sent when it
   * refuses), then the arguments, then one request at a time per method.
   */
  private async onCurrentCall(action: CallControlMethod, build: () => Record<string, unknown>, after?: (callId: string) => void): Promise<unknown> {
    this.guard(action);
    const callId = this.state.callId as string; // every state these methods are allowed in has a call
    const data = { ...build(), callId };
    return this.gate.exclusive(action, async () => {
      const answer = await this.send(action, data);
      after?.(callId);
      return answer;
    });
  }

  private guard(method: CallControlMethod): void {
    this.assertAlive(method);
    this.gate.check(method, this.connection.loggedIn, this.state.status, this.state.role);
  }

  private send(action: string, data: Record<string, unknown>): Promise<unknown> {
    this.assertAlive(action);
    return this.connection.request(action, data);
  }

  private assertAlive(action: string): void {
    if (this.destroyed) throw new CallEngineError(ErrorCode.ERROR_INIT_FAIL, `${action}: the engine was destroyed`, { action });
  }

  private onReconnected(login: LoginResult, call: CallSnapshot | null | undefined): void {
    this.lastLogin = login;
    if (call !== undefined) {
      this.state.restore(call);
      this.router.restored(call);
    }
    this.emitter.emit('reconnected', { login, call: call ?? null });
  }

  private onStopped(reason: CallEngineError): void {
    this.state.reset();
    this.emitter.emit('disconnected', { code: reason.code, message: reason.message });
  }
}
