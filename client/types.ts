/**
 * Wire frames of ws-protocol.md and the plain data the engine's methods take and return.
 */

import type { MediaTypeName, Platform } from './enums.ts';

/** A request frame (client → server). */
export interface RequestFrame {
  action: string;
  requestId: string;
  data: Record<string, unknown>;
}

/** A response frame (server → the requesting connection). */
export interface ResponseFrame {
  type: 'response';
  requestId: string;
  action?: string;
  code: number;
  message?: string;
  data?: unknown;
}

/** An event frame (server → devices); events without a call have no callId/seq. */
export interface EventFrame {
  type: 'event';
  event: string;
  callId?: string;
  seq?: number;
  time?: number;
  data?: Record<string, unknown>;
}

/** Credentials for `login`: a TLS-sig v2 UserSig or a JWT. */
export type LoginCredentials = { userId: string; userSig: string } | { userId: string; token: string };

/** Answer data of `login`. */
export interface LoginResult {
  userId: string;
  loginId: string;
  serverTime: number;
  heartbeatIntervalSec: number;
  multiDeviceAbility: boolean;
}

/** TUICallEngine RoomId: `intRoomId` wins when both are set (client-api.md §2.3). */
export interface RoomIdObject {
  intRoomId?: number;
  strRoomId?: string;
}

/** Offline push content for mobile invitees (client-api.md §2.2). */
export interface OfflinePushInfo {
  title?: string;
  desc?: string;
  [field: string]: unknown;
}

/** CallParams of `calls` (client-api.md §2.1); roomId may be a number, a string or a RoomId object. */
export interface CallParams {
  roomId?: number | string | RoomIdObject;
  /** Seconds; 0 or absent means 30; the server refuses values outside 10..600. */
  timeout?: number;
  userData?: string;
  chatGroupId?: string;
  offlinePushInfo?: OfflinePushInfo;
}

/** Answer data of `calls`; `merged` is true when glare turned the call into accepting the peer's call. */
export interface CallsResult {
  callId: string;
  roomId: number | string;
  roomIdType: number;
  merged?: boolean;
}

/** Online status of one user. */
export interface UserStatus {
  userId: string;
  status: 'ONLINE' | 'OFFLINE' | 'UNLOGINED';
}

/** Answer data of `getUserStatus`. */
export interface UserStatusResult {
  statusList: UserStatus[];
}

/**
 * The live call as `syncCall` returns it. ws-protocol.md does not spell the snapshot out; the
 * engine needs only `callId`, and reads the other fields when present: `status` ('calling' |
 * 'connected') and `role` for the call state, `members` and `seq` for the member view.
 */
export interface CallSnapshot {
  callId: string;
  status?: string;
  role?: string;
  callerId?: string;
  calleeIdList?: string[];
  mediaType?: MediaTypeName;
  scene?: string;
  roomId?: number | string;
  roomIdType?: number;
  userData?: string;
  chatGroupId?: string;
  /** Every member and her state: ringing, joined, rejected, noResponse, busy, canceled, left. */
  members?: SnapshotMember[];
  /** The call's last event seq when the snapshot was taken. */
  seq?: number;
  [field: string]: unknown;
}

/** One member in a CallSnapshot. */
export interface SnapshotMember {
  userId: string;
  role: string;
  state: string;
}

/** `inviteUser` params (client-api.md §2.1 without roomId: invitees join the inviter's room). */
export interface InviteParams {
  /** Ring time in seconds; 0 or absent means 30; the server refuses values outside 10..600. */
  timeout?: number;
  userData?: string;
  offlinePushInfo?: Record<string, unknown>;
}

/** Answer data of `join`, with the media type as a MediaType number. */
export interface JoinResult {
  callId: string;
  roomId: number | string;
  roomIdType: number;
  mediaType: number;
}

/** Answer data of `syncCall`. */
export interface SyncCallResult {
  call: CallSnapshot | null;
}

/** Reconnect tuning: delays grow exponentially from min to max, with jitter. */
export interface ReconnectOptions {
  /** First delay (default 500 ms). */
  minDelayMs?: number;
  /** Ceiling of the delay (default 30 s). */
  maxDelayMs?: number;
  /** Attempts before giving up (default Infinity). */
  maxAttempts?: number;
}

/** What the engine needs to know about its runtime and server. */
export interface EngineOptions {
  /** WebSocket endpoint, e.g. wss://host/stage or ws://localhost:3001. */
  url: string;
  sdkAppId: number;
  /** The WebSocket class; defaults to globalThis.WebSocket (browsers). In Node pass `ws`'s class. */
  WebSocket?: WebSocketCtor;
  /** Platform sent in `login` (default 'Web'). */
  platform?: Platform | string;
  deviceId?: string;
  /** Send heartbeats (default true). */
  heartbeat?: boolean;
  reconnect?: ReconnectOptions;
  /** Time to wait for an answer before the single retry, then again before failing (default 10 s). */
  requestTimeoutMs?: number;
}

/** The subset of the WebSocket interface the engine uses: both the DOM class and `ws` satisfy it. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  // `any`: the DOM and `ws` type their event objects differently; the engine reads only plain fields.
  addEventListener(type: string, listener: (event: any) => void): void;
}

/** A WebSocket constructor (the DOM `WebSocket`, or `ws`'s default export). */
export type WebSocketCtor = new (url: string) => SocketLike;

/** Version reported to the server in `login`. */
export const SDK_VERSION = '0.1.0';
