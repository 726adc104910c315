/**
 * The legacy (v1) status and event callbacks (spec/callbacks.md B.2–B.5) that one callback effect
 * of a transition stands for. Every callback is built; the caller keeps those in the app's `actions`,
 * so `EventId` indexes stay the same whatever the app configured.
 */
import type { Call, CallbackEffect, CallResult, DeviceRef, Member, MemberAction } from '../calls/types.ts';
import type { CallbackRequest } from './v4-bodies.ts';

type LegacyRole = 'caller' | 'callee';

/** One legacy callback to build: its command, whose point of view it has, and whether it is the status callback. */
interface Planned {
  command: string;
  userId: string;
  role: LegacyRole;
  status: boolean;
}

/** v1 status commands by v4 result (DESIGN.md: lower-case names, `Offline` → `interrupt`). */
export const LEGACY_RESULT: Record<CallResult, string> = {
  Cancel: 'cancel',
  Reject: 'reject',
  NotAnswer: 'not_answer',
  NormalEnd: 'normal_end',
  CallBusy: 'call_busy',
  Offline: 'interrupt',
  Interrupt: 'interrupt',
};

/** The v1 result of an ended call; group calls only ever report `normal_end` (B.4). */
export function legacyResultOf(call: Call): string {
  if (call.callType === 'MultiCall') return 'normal_end';
  return LEGACY_RESULT[call.result ?? 'NormalEnd'];
}

/** B.3 `optplatform` is one of iOS/Android/Web/miniProgram: our desktop and other platforms report `Web`. */
export function legacyPlatformOf(by: DeviceRef | undefined): string {
  if (!by) return 'Server';
  return by.platform === 'iOS' || by.platform === 'Android' || by.platform === 'miniProgram' ? by.platform : 'Web';
}

const roleOf = (m: Member | undefined): LegacyRole => (m?.role === 'Caller' ? 'caller' : 'callee');
const caller = (call: Call, command: string): Planned => ({ command, userId: call.callerId, role: 'caller', status: false });
const endedAt = (call: Call, time: number): boolean => call.status === 'ended' && call.endedAt === time;

/** `call_end`, or `call_interrupted` for a member who went offline or whose call ended as Offline/Interrupt. */
function endCommand(call: Call, m: Member | undefined, offline: boolean): string {
  const abnormal = offline || call.result === 'Offline' || call.result === 'Interrupt';
  return `${roleOf(m)}_${abnormal ? 'call_interrupted' : 'call_end'}`;
}

/** A busy invitee is reported from the caller's side; a ringing one receives the call. */
function invitation(call: Call, m: Member): Planned {
  if (m.state === 'busy') return caller(call, 'caller_call_busy');
  return { command: 'callee_receive_call', userId: m.userId, role: 'callee', status: false };
}

function planStart(call: Call, time: number): Planned[] {
  const invitees = call.members.filter((m) => m.role === 'Called' && m.invitedAt === time);
  return [caller(call, 'caller_start_call'), ...invitees.map((m) => invitation(call, m))];
}

/**
 * Members the end of the call swept out in the same instant as this change: connected until then,
 * so each gets her own `call_end` (or `call_interrupted`), as each legacy client reported its own end.
 */
function sweptOut(call: Call, effect: Extract<CallbackEffect, { command: 'Call.CallbackAfterMemberChanged' }>): Member[] {
  if (!endedAt(call, effect.time)) return [];
  const changed = new Set(effect.changes.map((c) => c.userId));
  return call.members.filter((m) => m.state === 'left' && m.begun && m.leftAt === effect.time && !changed.has(m.userId));
}

/** The commands one member change stands for (B.2); an invitee's answer is reported from both sides. */
function planChange(call: Call, change: { userId: string; action: MemberAction }): Planned[] {
  const m = call.members.find((x) => x.userId === change.userId);
  const own = (command: string): Planned => ({ command, userId: change.userId, role: roleOf(m), status: false });
  switch (change.action) {
    case 'Accept':
      return [own('callee_accept_call'), caller(call, 'caller_call_accepted')];
    case 'Reject':
      return [own('callee_reject_call'), caller(call, 'caller_call_rejected')];
    case 'NotAnswer':
      return [own('callee_not_answer_call'), caller(call, 'caller_call_missed')];
    case 'Hangup':
    case 'Offline':
      return [own(endCommand(call, m, change.action === 'Offline'))];
    case 'Invite':
      return m ? [own('invite_user'), invitation(call, m)] : [own('invite_user')];
    case 'Join':
      return [own('join_in_group_call')];
    case 'Cancel_Invite':
      return [own('callee_call_canceled')];
  }
}

function planChanges(call: Call, effect: Extract<CallbackEffect, { command: 'Call.CallbackAfterMemberChanged' }>): Planned[] {
  const planned = effect.changes.flatMap((c) => planChange(call, c));
  const canceling = effect.changes.some((c) => c.action === 'Cancel_Invite');
  const callerMember = call.members.find((m) => m.role === 'Caller');
  // The caller cancelled: she hung up before anyone answered (the machine ends her part with `Canceled`).
  if (canceling && callerMember?.endReason === 'Canceled' && callerMember.leftAt === effect.time) planned.push(caller(call, 'caller_cancel_call'));
  // Only these can end a call; Cancel_Invite comes from an end whose cause was reported already.
  const ending = effect.changes.some((c) => c.action === 'Reject' || c.action === 'NotAnswer' || c.action === 'Hangup' || c.action === 'Offline');
  if (ending) for (const m of sweptOut(call, effect)) planned.push({ command: endCommand(call, m, false), userId: m.userId, role: roleOf(m), status: false });
  return planned;
}

function planEnd(call: Call, time: number): Planned[] {
  // An admin end has no member change behind it: the members it ended report their own end.
  const ended = call.members.filter((m) => m.state === 'left' && m.begun && m.leftAt === time && m.endReason === 'EndByServer');
  const events = ended.map((m): Planned => ({ command: endCommand(call, m, false), userId: m.userId, role: roleOf(m), status: false }));
  return [...events, { command: legacyResultOf(call), userId: call.callerId, role: 'caller', status: true }];
}

function plan(call: Call, effect: CallbackEffect): Planned[] {
  switch (effect.command) {
    case 'Call.CallbackAfterStartCall':
      return planStart(call, effect.time);
    case 'Call.CallbackAfterMemberChanged':
      return planChanges(call, effect);
    case 'Call.CallbackAfterEndCall':
      return planEnd(call, effect.time);
    case 'Call.CallbackOfflinePush':
      // Offline push hand-off is an extension of the current API only.
      return [];
  }
}

/** The legacy commands one callback effect stands for, in the order `legacyCallbacks` builds them. */
export function legacyCommandsOf(call: Call, effect: CallbackEffect): string[] {
  return plan(call, effect).map((p) => p.command);
}

const seconds = (ms: number | undefined): number => (ms === undefined ? 0 : Math.floor(ms / 1000));
/** B.4 "number of call participants": the caller and every invitee who was rung (busy ones never took part). */
const totalNumOf = (call: Call): number => call.members.filter((m) => m.state !== 'busy').length;

function legacyBody(call: Call, effect: CallbackEffect, p: Planned, eventId: string): Record<string, unknown> {
  return {
    UserId: p.userId,
    RoomId: String(call.roomId),
    TotalNum: totalNumOf(call),
    MediaType: call.mediaType.toLowerCase(),
    CallType: call.callType === 'SingleCall' ? 'single' : 'group',
    CallId: call.callId,
    Role: p.role,
    ...(p.status ? {} : { Event: p.command.replace(/^(caller|callee)_/, '') }),
    CallResult: p.status || endedAt(call, effect.time) ? legacyResultOf(call) : '',
    EventTime: seconds(effect.time),
    StartCallTs: seconds(call.createdAt),
    AcceptTs: seconds(call.acceptedAt),
    EndTs: seconds(call.endedAt),
    EventId: eventId,
    Seq: effect.seq,
  };
}

/**
 * Every legacy callback (status and event) for one callback effect; `call` is the call the transition
 * returned. `EventId` is `eventIdBase.index`, stable because the list does not depend on the app's `actions`.
 */
export function legacyCallbacks(call: Call, effect: CallbackEffect, eventIdBase: string): CallbackRequest[] {
  return plan(call, effect).map((p, i) => ({
    command: p.command,
    query: { sdkappid: String(call.sdkAppId), command: p.command, contenttype: 'json', clientip: effect.by?.ip ?? '', optplatform: legacyPlatformOf(effect.by) },
    body: legacyBody(call, effect, p, `${eventIdBase}.${i}`),
  }));
}
