/**
 * Derives the Web TUICallEvent events from one observer event and the call's member view, after
 * moving the view. Pure apart from the view it is given: the router emits what it returns.
 */

import { Scene } from './enums.ts';
import type { MediaType, RoleName } from './enums.ts';
import type { Adopted, CallView } from './member-view.ts';
import type { ServerEventName } from './events.ts';
import { webRole } from './web-events.ts';
import type { WebEmit } from './web-events.ts';

/** What one event did to its call, beyond the Web events to emit. */
export interface Derived {
  events: WebEmit[];
  /** Refresh the view from a syncCall snapshot (group calls: the server does not tell all). */
  refresh: boolean;
  /** The call is over for this device: forget its view. */
  ended: boolean;
}

type Payload = Record<string, unknown>;

const str = (value: unknown): string => (typeof value === 'string' ? value : '');
const num = (value: unknown): number => (typeof value === 'number' ? value : 0);
const roomOf = (value: unknown, fallback: number | string): number | string => (typeof value === 'number' || typeof value === 'string' ? value : fallback);

/** Web events of an event without a call (onKickedOffline, onError). */
export function deriveGlobal(event: ServerEventName, p: Payload): WebEmit[] {
  if (event === 'onKickedOffline') return [['KICKED_OUT', { reason: p.reason as never }]];
  if (event === 'onError') return [['ERROR', { code: num(p.code), msg: str(p.message) }]];
  return [];
}

/** USER_ACCEPT + USER_ENTER for invitees that answered, USER_ENTER for users who joined on their own. */
export function announce(adopted: Adopted): WebEmit[] {
  const out: WebEmit[] = [];
  for (const userID of adopted.accepted) out.push(['USER_ACCEPT', { userID }], ['USER_ENTER', { userID }]);
  for (const userID of adopted.entered) out.push(['USER_ENTER', { userID }]);
  return out;
}

/** Moves `view` for a call event numbered `seq` and returns the Web events it implies. */
export function deriveCallEvent(event: ServerEventName, p: Payload, view: CallView, seq: number): Derived {
  const out: Derived = { events: [], refresh: false, ended: false };
  const user = str(p.userId);
  const push = (...emits: WebEmit[]) => out.events.push(...emits);
  switch (event) {
    case 'onCallReceived': {
      received(view, p, seq);
      push([
        'ON_CALL_RECEIVED',
        {
          callerId: view.callerId ?? '',
          calleeIdList: Array.isArray(p.calleeIdList) ? [...(p.calleeIdList as string[])] : [],
          isFromGroup: view.group === true,
          callId: view.callId,
          roomID: view.roomId,
          callMediaType: view.mediaType,
          callRole: 'invitee',
          userData: str(p.userData),
          chatGroupID: view.chatGroupId,
        },
      ]);
      out.refresh = view.group === true;
      break;
    }
    case 'onCallBegin': {
      view.role = (str(p.roleName) || view.role) as RoleName;
      view.roomId = roomOf(p.roomId, view.roomId);
      view.mediaType = num(p.mediaType) as MediaType;
      view.mark(view.selfId, 'in', seq);
      push(['ON_CALL_BEGIN', { callId: view.callId, roomID: view.roomId, callMediaType: view.mediaType, callRole: webRole(view.role), chatGroupID: view.chatGroupId }]);
      if (view.role === 'Caller' && view.group === false) {
        // 1v1: the only invitee answered.
        const accepted = view.ringing();
        for (const u of accepted) view.mark(u, 'in', seq);
        push(...announce({ accepted, entered: [] }));
      } else if (view.group !== false) {
        view.awaitingFirstPeer = view.role === 'Caller';
        out.refresh = true;
      }
      break;
    }
    case 'onCallEnd':
      view.mark(view.selfId, 'out', seq);
      push([
        'CALLING_END',
        {
          roomID: view.roomId,
          callMediaType: num(p.mediaType) as MediaType,
          callRole: webRole(str(p.roleName) || view.role),
          totalTime: num(p.totalTime),
          userID: user,
          callId: view.callId,
          callEnd: num(p.totalTime),
          chatGroupID: view.chatGroupId,
        },
      ]);
      out.ended = true;
      break;
    case 'onCallNotConnected':
      view.mark(view.selfId, 'out', seq);
      push(['ON_CALL_CANCELED', { userID: user, callId: view.callId, roomID: view.roomId, callMediaType: num(p.mediaType) as MediaType, callRole: webRole(view.role) }]);
      out.ended = true;
      break;
    case 'onUserReject':
      view.mark(user, 'out', seq);
      push(['REJECT', { userID: user }]);
      break;
    case 'onUserNoResponse':
      view.mark(user, 'out', seq);
      push(['NO_RESP', { sponsor: view.callerId ?? '', userIDList: [user] }]);
      break;
    case 'onUserLineBusy':
      view.mark(user, 'out', seq);
      push(['LINE_BUSY', { userID: user }]);
      break;
    case 'onUserInviting':
      view.mark(user, 'ringing', seq);
      break;
    case 'onUserJoin': {
      const wasRinging = view.stateOf(user) === 'ringing';
      view.mark(user, 'in', seq);
      push(...announce(wasRinging ? { accepted: [user], entered: [] } : { accepted: [], entered: [user] }));
      break;
    }
    case 'onUserLeave':
      view.mark(user, 'out', seq);
      push(['USER_LEAVE', { userID: user }]);
      break;
    case 'onCallMediaTypeChanged':
      view.mediaType = num(p.newMediaType) as MediaType;
      push(['CALL_TYPE_CHANGED', { oldCallType: num(p.oldMediaType) as MediaType, newCallType: view.mediaType }]);
      break;
    default:
      break;
  }
  // A group invitee's list waits for the snapshot: calleeIdList names every invitee ever, answered or not.
  const list = out.ended ? view.endList() : event === 'onCallReceived' && out.refresh ? undefined : view.listChange();
  if (list) push(['GROUP_CALL_INVITEE_LIST_UPDATE', { userIDList: list }]);
  return out;
}

/** onCallReceived: the call's facts, the caller in, every invitee ringing unless known otherwise. */
function received(view: CallView, p: Payload, seq: number): void {
  view.role = 'Called';
  view.callerId = str(p.callerId) || view.callerId;
  view.group = (p.scene ?? Scene.SINGLE_CALL) !== Scene.SINGLE_CALL;
  view.roomId = roomOf(p.roomId, view.roomId);
  view.mediaType = num(p.mediaType) as MediaType;
  view.chatGroupId = str(p.chatGroupId);
  if (view.callerId) view.markIfUnknown(view.callerId, 'in', seq);
  for (const callee of Array.isArray(p.calleeIdList) ? (p.calleeIdList as unknown[]) : []) {
    if (typeof callee === 'string' && callee !== view.selfId) view.markIfUnknown(callee, 'ringing', seq);
  }
  view.mark(view.selfId, 'ringing', seq);
}
