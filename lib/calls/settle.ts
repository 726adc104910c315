import { type Effects, joinedMembers, ringingMembers } from './emit.ts';
import { notConnectedReason, resultOf, toRecord } from './record.ts';
import { recordDetails } from './record-details.ts';
import type { Call, CallbackEffect, CallResult, DeviceRef, EndReason, Member, MemberAction, MemberState } from './types.ts';

/** Seconds a member spent connected, for `onCallEnd.totalTime`. */
export function totalTimeOf(call: Call, member: Member, now: number): number {
  const since = Math.max(call.acceptedAt ?? now, member.joinedAt ?? now);
  return Math.max(0, Math.round((now - since) / 1000));
}

/**
 * Moves a member to a final state and frees her line. Busy invitees never took the line, so
 * nothing is released for them (a conditional delete that is bound to fail still costs a write).
 */
export function finishMember(member: Member, state: Exclude<MemberState, 'ringing' | 'joined'>, now: number, reason: EndReason, fx: Effects): void {
  if (member.role === 'Called') fx.noteOutcome(member.userId);
  fx.offlinePush(member, 'Cancel');
  const open = member.state === 'joined' ? member.segments.at(-1) : undefined;
  if (open && open.to === undefined) open.to = now;
  member.state = state;
  member.leftAt = now;
  member.endReason = reason;
  member.ringing = [];
  if (state !== 'busy') fx.push({ kind: 'releaseLine', userId: member.userId, ...(member.lineSince === undefined ? {} : { since: member.lineSince }) });
}

/** What caused the end of a call, as the members who were connected are told. */
export interface EndCause {
  /** The user who ended it (`onCallEnd.userId`). */
  userId: string;
  reason: EndReason;
  /** Forces the result (Interrupt, Offline); otherwise it is derived from the members' outcomes. */
  result?: CallResult;
  by?: DeviceRef;
}

/**
 * Ends the call when it has nothing left to do: at most one member connected and nobody ringing
 * (DESIGN.md "A call ends when…"), or nobody connected at all — invitations still ringing into an
 * empty room are then cancelled, as when the caller cancels. Returns whether it ended.
 */
export function settle(call: Call, fx: Effects, now: number, cause: EndCause): boolean {
  if (call.status === 'ended') return false;
  const joined = joinedMembers(call).length;
  if (joined > 1 || (joined === 1 && ringingMembers(call).length > 0)) return false;
  endCall(call, fx, now, cause);
  return true;
}

/**
 * Ends the call now: invitations still ringing are cancelled, connected members get `onCallEnd`
 * (or `onCallNotConnected` if they never connected), the record is written and the end callback queued.
 */
export function endCall(call: Call, fx: Effects, now: number, cause: EndCause): void {
  // Invitations still ringing are cancelled; they learn why when the server ended the call or the caller went offline.
  const cancelReason: EndReason = cause.reason === 'EndByServer' || cause.reason === 'Offline' ? cause.reason : 'Canceled';
  const canceled = ringingMembers(call);
  for (const m of canceled) {
    fx.send(m.ringing, 'onCallNotConnected', { mediaType: call.mediaType, reason: cancelReason, userId: cause.userId });
    finishMember(m, 'canceled', now, cancelReason, fx);
  }
  if (canceled.length > 0) {
    fx.push(memberChanged(call, now, cause.by, canceled.map((m) => ({ userId: m.userId, action: 'Cancel_Invite' as const }))));
  }
  call.status = 'ended';
  call.endedAt = now;
  call.result = cause.result ?? resultOf(call);
  for (const m of joinedMembers(call)) {
    if (m.begun) {
      fx.send([m.device], 'onCallEnd', {
        mediaType: call.mediaType,
        reason: cause.reason,
        userId: cause.userId,
        totalTime: totalTimeOf(call, m, now),
        role: m.role,
      });
    } else {
      const reason = cause.reason === 'Canceled' || cause.reason === 'EndByServer' || cause.reason === 'Offline' ? cause.reason : notConnectedReason(call.result);
      fx.send([m.device], 'onCallNotConnected', { mediaType: call.mediaType, reason, userId: m.userId });
    }
    finishMember(m, 'left', now, cause.reason, fx);
  }
  fx.push({ kind: 'record', record: toRecord(call), details: recordDetails(call) });
  fx.push(callbackOf(call, 'Call.CallbackAfterEndCall', now, cause.by));
}

/** A `Call.CallbackAfterStartCall` / `AfterEndCall` effect, numbered by the call's callback counter so receivers can order. */
export function callbackOf(call: Call, command: 'Call.CallbackAfterStartCall' | 'Call.CallbackAfterEndCall', now: number, by?: DeviceRef): CallbackEffect {
  call.callbackSeq += 1;
  return { kind: 'callback', command, seq: call.callbackSeq, time: now, ...(by ? { by } : {}) };
}

/** A `Call.CallbackAfterMemberChanged` effect for the given changes. */
export function memberChanged(call: Call, now: number, by: DeviceRef | undefined, changes: { userId: string; action: MemberAction }[]): CallbackEffect {
  call.callbackSeq += 1;
  return { kind: 'callback', command: 'Call.CallbackAfterMemberChanged', seq: call.callbackSeq, time: now, changes, ...(by ? { by } : {}) };
}
