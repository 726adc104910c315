/**
 * The Web `TUICallEvent` names and payloads (client-api.md §4.2). The engine emits them beside the
 * TUICallObserver names through the same `on()`. Each value equals its name, so none can collide
 * with an observer name (`ON_CALL_RECEIVED` vs `onCallReceived`): apps that write
 * `TUICallEvent.X` work unchanged.
 */

import type { KickedOfflineReason, MediaType, RoleName } from './enums.ts';

/** Web event names (TUICallEvent). */
export const TUICallEvent = {
  ERROR: 'ERROR',
  SDK_READY: 'SDK_READY',
  KICKED_OUT: 'KICKED_OUT',
  USER_ACCEPT: 'USER_ACCEPT',
  USER_ENTER: 'USER_ENTER',
  USER_LEAVE: 'USER_LEAVE',
  REJECT: 'REJECT',
  NO_RESP: 'NO_RESP',
  LINE_BUSY: 'LINE_BUSY',
  ON_CALL_RECEIVED: 'ON_CALL_RECEIVED',
  ON_CALL_CANCELED: 'ON_CALL_CANCELED',
  ON_CALL_BEGIN: 'ON_CALL_BEGIN',
  CALLING_END: 'CALLING_END',
  CALL_TYPE_CHANGED: 'CALL_TYPE_CHANGED',
  GROUP_CALL_INVITEE_LIST_UPDATE: 'GROUP_CALL_INVITEE_LIST_UPDATE',
} as const;
/** A Web event name. */
export type TUICallEventName = (typeof TUICallEvent)[keyof typeof TUICallEvent];

/** Web `callRole`: 'inviter' (caller), 'invitee' (callee), '' (unknown). */
export type WebCallRole = 'inviter' | 'invitee' | '';

/** USER_ACCEPT, USER_ENTER, USER_LEAVE, REJECT, LINE_BUSY. */
export interface WebUserEvent {
  userID: string;
}

/** NO_RESP: `sponsor` is the caller, `userIDList` who did not answer. */
export interface WebNoRespEvent {
  sponsor: string;
  userIDList: string[];
}

/** ON_CALL_RECEIVED. */
export interface WebCallReceivedEvent {
  callerId: string;
  calleeIdList: string[];
  isFromGroup: boolean;
  callId: string;
  roomID: number | string;
  callMediaType: MediaType;
  callRole: WebCallRole;
  userData: string;
  chatGroupID: string;
}

/** ON_CALL_CANCELED: the call never connected for this device. */
export interface WebCallCanceledEvent {
  userID: string;
  callId: string;
  roomID: number | string;
  callMediaType: MediaType;
  callRole: WebCallRole;
}

/** ON_CALL_BEGIN. */
export interface WebCallBeginEvent {
  callId: string;
  roomID: number | string;
  callMediaType: MediaType;
  callRole: WebCallRole;
  chatGroupID: string;
}

/** CALLING_END: `totalTime` (and the deprecated `callEnd`) in seconds. */
export interface WebCallingEndEvent {
  roomID: number | string;
  callMediaType: MediaType;
  callRole: WebCallRole;
  totalTime: number;
  userID: string;
  callId: string;
  callEnd: number;
  chatGroupID: string;
}

/** CALL_TYPE_CHANGED, MediaType numbers. */
export interface WebCallTypeChangedEvent {
  oldCallType: MediaType;
  newCallType: MediaType;
}

/** GROUP_CALL_INVITEE_LIST_UPDATE: invitees whose invitation still rings (this user excluded). */
export interface WebInviteeListEvent {
  userIDList: string[];
}

/** ERROR. */
export interface WebErrorEvent {
  code: number;
  msg: string;
}

/** KICKED_OUT, with the server's reason. */
export interface WebKickedOutEvent {
  reason: KickedOfflineReason;
}

/** Every Web event and its payload. */
export interface WebEventMap {
  ERROR: WebErrorEvent;
  SDK_READY: Record<string, never>;
  KICKED_OUT: WebKickedOutEvent;
  USER_ACCEPT: WebUserEvent;
  USER_ENTER: WebUserEvent;
  USER_LEAVE: WebUserEvent;
  REJECT: WebUserEvent;
  NO_RESP: WebNoRespEvent;
  LINE_BUSY: WebUserEvent;
  ON_CALL_RECEIVED: WebCallReceivedEvent;
  ON_CALL_CANCELED: WebCallCanceledEvent;
  ON_CALL_BEGIN: WebCallBeginEvent;
  CALLING_END: WebCallingEndEvent;
  CALL_TYPE_CHANGED: WebCallTypeChangedEvent;
  GROUP_CALL_INVITEE_LIST_UPDATE: WebInviteeListEvent;
}

/** One Web event ready to emit. */
export type WebEmit = { [K in keyof WebEventMap]: [K, WebEventMap[K]] }[keyof WebEventMap];

/** Role name → Web callRole. */
export function webRole(role: RoleName | string | undefined): WebCallRole {
  return role === 'Caller' ? 'inviter' : role === 'Called' ? 'invitee' : '';
}
