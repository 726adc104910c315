/**
 * Engine events: the TUICallObserver names with their payloads as handlers receive them (wire
 * names turned into the numeric enums, the name kept beside), the Web TUICallEvent names
 * (web-events.ts), plus the connection events for UIs.
 */

import {
  callEndReasonFromName,
  mediaTypeFromName,
  roleFromName,
  sceneFromName,
} from './enums.ts';
import type {
  CallEndReason,
  CallEndReasonName,
  KickedOfflineReason,
  MediaType,
  MediaTypeName,
  Role,
  RoleName,
  Scene,
  SceneName,
} from './enums.ts';
import type { CallEngineError } from './errors.ts';
import type { CallSnapshot, EventFrame, LoginResult } from './types.ts';
import type { WebEventMap } from './web-events.ts';

/** Fields every call event carries. */
export interface CallEventBase {
  callId: string;
  /** Per-call event sequence number (ordering and de-duplication). */
  seq: number;
  /** Server time of the state change, epoch ms. */
  time: number;
}

/** onCallReceived: an incoming call. */
export interface CallReceivedEvent extends CallEventBase {
  callerId: string;
  calleeIdList: string[];
  mediaType: MediaType;
  mediaTypeName: MediaTypeName;
  scene: Scene;
  sceneName: SceneName;
  roomId: number | string;
  roomIdType: number;
  userData: string;
  chatGroupId: string;
  timeout: number;
  ringDeadline: number;
  remainingMs: number;
}

/** onCallBegin: the call connected for this device. */
export interface CallBeginEvent extends CallEventBase {
  mediaType: MediaType;
  mediaTypeName: MediaTypeName;
  roomId: number | string;
  roomIdType: number;
  role: Role;
  roleName: RoleName;
}

/** onCallEnd: a connected call ended for this device; totalTime in seconds. */
export interface CallEndEvent extends CallEventBase {
  mediaType: MediaType;
  mediaTypeName: MediaTypeName;
  reason: CallEndReason;
  reasonName: CallEndReasonName;
  userId: string;
  totalTime: number;
  role: Role;
  roleName: RoleName;
}

/** onCallNotConnected: this device's part ended before connecting. */
export interface CallNotConnectedEvent extends CallEventBase {
  mediaType: MediaType;
  mediaTypeName: MediaTypeName;
  reason: CallEndReason;
  reasonName: CallEndReasonName;
  userId: string;
}

/** onUserReject / onUserNoResponse / onUserLineBusy / onUserInviting / onUserJoin / onUserLeave. */
export interface UserEvent extends CallEventBase {
  userId: string;
}

/** onCallMediaTypeChanged. */
export interface CallMediaTypeChangedEvent extends CallEventBase {
  oldMediaType: MediaType;
  oldMediaTypeName: MediaTypeName;
  newMediaType: MediaType;
  newMediaTypeName: MediaTypeName;
}

/** onKickedOffline: `reason` stays a string (it is not a CallEndReason). */
export interface KickedOfflineEvent {
  reason: KickedOfflineReason;
}

/** onError: a frame of this device could not be handled. */
export interface ServerErrorEvent {
  code: number;
  message: string;
}

/** reconnecting: the socket closed unexpectedly; attempt `attempt` starts after `delayMs`. */
export interface ReconnectingEvent {
  attempt: number;
  delayMs: number;
  /** Why the previous attempt failed (absent for the first). */
  error?: CallEngineError;
}

/** reconnected: logged in again; `call` is the live call the server reported, if any. */
export interface ReconnectedEvent {
  login: LoginResult;
  call: CallSnapshot | null;
}

/** disconnected: the engine stopped without being asked (kicked, credential refused, gave up). */
export interface DisconnectedEvent {
  code: number;
  message: string;
}

/** Every event name and the payload its handlers receive: observer names, Web names, connection events. */
export interface EngineEventMap extends WebEventMap {
  onCallReceived: CallReceivedEvent;
  onCallBegin: CallBeginEvent;
  onCallEnd: CallEndEvent;
  onCallNotConnected: CallNotConnectedEvent;
  onUserReject: UserEvent;
  onUserNoResponse: UserEvent;
  onUserLineBusy: UserEvent;
  onUserInviting: UserEvent;
  onUserJoin: UserEvent;
  onUserLeave: UserEvent;
  onCallMediaTypeChanged: CallMediaTypeChangedEvent;
  onKickedOffline: KickedOfflineEvent;
  onUserSigExpired: Record<string, never>;
  onError: ServerErrorEvent;
  reconnecting: ReconnectingEvent;
  reconnected: ReconnectedEvent;
  disconnected: DisconnectedEvent;
}

/** An event name the engine can emit. */
export type EngineEventName = keyof EngineEventMap;

/** The events that come from the server (TUICallObserver names). */
export const SERVER_EVENT_NAMES = [
  'onCallReceived',
  'onCallBegin',
  'onCallEnd',
  'onCallNotConnected',
  'onUserReject',
  'onUserNoResponse',
  'onUserLineBusy',
  'onUserInviting',
  'onUserJoin',
  'onUserLeave',
  'onCallMediaTypeChanged',
  'onKickedOffline',
  'onUserSigExpired',
  'onError',
] as const satisfies readonly EngineEventName[];
/** A server event name. */
export type ServerEventName = (typeof SERVER_EVENT_NAMES)[number];

/** Fields holding a wire enum name, and how to read each as a number. */
const CONVERSIONS: Record<string, (name: unknown) => number> = {
  mediaType: mediaTypeFromName,
  oldMediaType: mediaTypeFromName,
  newMediaType: mediaTypeFromName,
  role: roleFromName,
  scene: sceneFromName,
  reason: callEndReasonFromName,
};

/** True for a known server event name. */
export function isServerEventName(name: string): name is ServerEventName {
  return (SERVER_EVENT_NAMES as readonly string[]).includes(name);
}

/**
 * Turns a wire event into its handler payload: data fields plus callId/seq/time, each enum field
 * as a number with the wire name kept as `<field>Name`. onKickedOffline's reason stays a string.
 */
export function toPayload(frame: EventFrame): Record<string, unknown> {
  const payload: Record<string, unknown> = { ...frame.data };
  if (frame.callId !== undefined) payload.callId = frame.callId;
  if (frame.seq !== undefined) payload.seq = frame.seq;
  if (frame.time !== undefined) payload.time = frame.time;
  if (frame.event === 'onKickedOffline') return payload;
  for (const [field, convert] of Object.entries(CONVERSIONS)) {
    if (!(field in payload)) continue;
    const wire = payload[field];
    payload[`${field}Name`] = wire;
    payload[field] = typeof wire === 'number' ? wire : convert(wire);
  }
  return payload;
}

/**
 * Remembers the highest seq delivered per call and refuses repeats and late arrivals. Bounded:
 * the oldest calls are forgotten first.
 */
export class SeqFilter {
  private readonly highest = new Map<string, number>();

  constructor(private readonly capacity = 512) {}

  /** True when the event is new for its call (and records it); events without a call always pass. */
  accept(callId: string | undefined, seq: number | undefined): boolean {
    if (callId === undefined || typeof seq !== 'number') return true;
    const seen = this.highest.get(callId);
    if (seen !== undefined && seq <= seen) return false;
    this.highest.delete(callId);
    this.highest.set(callId, seq);
    if (this.highest.size > this.capacity) {
      const oldest = this.highest.keys().next().value;
      if (oldest !== undefined) this.highest.delete(oldest);
    }
    return true;
  }

  /** Forgets everything (destroy). */
  clear(): void {
    this.highest.clear();
  }
}
