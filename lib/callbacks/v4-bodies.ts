/**
 * The current (v4) callbacks an app server receives (spec/callbacks.md A.3, A.6–A.8), built from
 * the call as a transition left it and one of its callback effects. Pure: ids and times come in.
 */
import { toRecord } from '../calls/record.ts';
import type { Call, CallbackEffect, DeviceRef } from '../calls/types.ts';

/** One HTTP POST to an app server: the command, the query string parameters and the JSON body. */
export interface CallbackRequest {
  command: string;
  query: Record<string, string>;
  body: Record<string, unknown>;
}

/** Our extension command (DESIGN.md "Offline callees"): an invitation for a user with no online ring target. */
export const OFFLINE_PUSH_COMMAND = 'Call.CallbackOfflinePush';

type UserStatus = { User_Account: string; Status: 'Calling' | 'Waiting' };

/**
 * The A.3 query string. `OptPlatform`/`ClientIP` name the device whose action caused the event,
 * `Server` and '' for server-caused events (DESIGN.md); our platform names are passed through as they are.
 */
export function v4Query(sdkAppId: number, command: string, by: DeviceRef | undefined): Record<string, string> {
  return { SdkAppid: String(sdkAppId), CallbackCommand: command, contenttype: 'json', ClientIP: by?.ip ?? '', OptPlatform: by?.platform ?? 'Server' };
}

/** Members in the call (`Calling`) or still ringing (`Waiting`) in the given call state, in invitation order. */
export function userListOf(call: Call): UserStatus[] {
  const list: UserStatus[] = [];
  for (const m of call.members) {
    if (m.state === 'joined') list.push({ User_Account: m.userId, Status: 'Calling' });
    else if (m.state === 'ringing') list.push({ User_Account: m.userId, Status: 'Waiting' });
  }
  return list;
}

/**
 * The call as it started: the caller in the room, every invitee who was not busy ringing. Derived
 * from the start instant rather than from the current states, so a call whose invitees were all busy
 * (it ended at once) still reports its caller, and a later snapshot still describes the start.
 */
function startUserList(call: Call): UserStatus[] {
  const list: UserStatus[] = [];
  for (const m of call.members) {
    if (m.role === 'Caller') list.push({ User_Account: m.userId, Status: 'Calling' });
    else if (m.invitedAt === call.createdAt && m.state !== 'busy') list.push({ User_Account: m.userId, Status: 'Waiting' });
  }
  return list;
}

/** The A.6 `CallInfo`: both media keys (`CallMediaType` as in the example, `MediaType` as in the table; DESIGN.md). */
function callInfoOf(call: Call): Record<string, unknown> {
  return {
    CallId: call.callId,
    CallMediaType: call.mediaType,
    MediaType: call.mediaType,
    ChatGroupId: call.chatGroupId,
    RoomId: String(call.roomId),
    RoomIdType: call.roomIdType,
  };
}

/** The fields of each command's body besides `CallbackCommand`, `EventTime`, `EventId` and `Seq`. */
function bodyFieldsOf(call: Call, effect: Exclude<CallbackEffect, { command: 'Call.CallbackOfflinePush' }>): Record<string, unknown> {
  switch (effect.command) {
    case 'Call.CallbackAfterStartCall':
      return { CallInfo: callInfoOf(call), UserList: startUserList(call) };
    case 'Call.CallbackAfterEndCall':
      return { CallRecord: toRecord(call) };
    case 'Call.CallbackAfterMemberChanged':
      return {
        CallId: call.callId,
        UserList: userListOf(call),
        ChangedUserList: effect.changes.map((c) => ({ User_Account: c.userId, ActionType: c.action })),
      };
  }
}

/**
 * The v4 callback for one callback effect of a transition; `call` is the call that transition
 * returned. Bodies follow the documented examples, plus `EventId` (de-duplication) and `Seq` (per-call order).
 */
export function v4Callback(call: Call, effect: CallbackEffect, eventId: string): CallbackRequest {
  if (effect.command === OFFLINE_PUSH_COMMAND) {
    const { userId, kind } = effect.push;
    return { command: effect.command, query: v4Query(call.sdkAppId, effect.command, effect.by), body: offlinePushBody(call, userId, kind, eventId, effect.seq, effect.time) };
  }
  return {
    command: effect.command,
    query: v4Query(call.sdkAppId, effect.command, effect.by),
    body: { CallbackCommand: effect.command, ...bodyFieldsOf(call, effect), EventTime: effect.time, EventId: eventId, Seq: effect.seq },
  };
}

/**
 * The body of `Call.CallbackOfflinePush` for one invitee: what an app server needs to send its own
 * APNs/FCM/VoIP push (`Kind: 'Cancel'` withdraws an earlier `Invite`). Its query is `v4Query(…, OFFLINE_PUSH_COMMAND, by)`.
 */
export function offlinePushBody(call: Call, userId: string, kind: 'Invite' | 'Cancel', eventId: string, seq: number, time: number): Record<string, unknown> {
  return {
    CallbackCommand: OFFLINE_PUSH_COMMAND,
    CallId: call.callId,
    Caller_Account: call.callerId,
    To_Account: userId,
    MediaType: call.mediaType,
    CallType: call.callType,
    RoomId: String(call.roomId),
    OfflinePushInfo: call.offlinePushInfo ?? {},
    Kind: kind,
    EventId: eventId,
    Seq: seq,
    EventTime: time,
  };
}
