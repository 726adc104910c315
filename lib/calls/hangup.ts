import type { DeviceAction } from './commands.ts';
import { type Effects, joinedMembers } from './emit.ts';
import { InvitationHandledError } from './errors.ts';
import { reject } from './answer.ts';
import { endCall, finishMember, memberChanged, settle, totalTimeOf } from './settle.ts';
import type { Call, CallResult, DeviceRef, Member } from './types.ts';

/**
 * `hangup` by the caller before anyone answered cancels every invitation (`Cancel`). Otherwise
 * the member leaves: she gets `onCallEnd`, the others `onUserLeave`, or `onCallEnd` if the call ends with her.
 * A callee still ringing who hangs up rejects.
 */
export function hangup(call: Call, cmd: DeviceAction & { reason?: 'Interrupt' }, fx: Effects): void {
  const member = call.members.find((m) => m.userId === cmd.userId);
  if (!member) throw new InvitationHandledError(`hangup: you are not a member of call ${call.callId}`);
  if (call.status === 'ended') throw new InvitationHandledError(`hangup: call ${call.callId} has already ended`);
  if (member.state === 'ringing') return reject(call, cmd, fx);
  if (member.state !== 'joined') throw new InvitationHandledError(`hangup: you already left call ${call.callId} (${member.state})`);
  const interrupt = cmd.reason === 'Interrupt' ? { result: 'Interrupt' as const } : {};
  if (call.status === 'calling' && member.role === 'Caller') {
    // Cancel: invitees hear it from the caller; the caller's own device is told it was cancelled.
    endCall(call, fx, cmd.now, { userId: member.userId, reason: 'Canceled', by: cmd.device, ...interrupt });
    return;
  }
  leave(call, member, fx, cmd.now, { reason: 'Hangup', by: cmd.device, ...interrupt });
}

/**
 * A connected member leaves: her device is told (`onCallEnd`, unless it is gone), the others get
 * `onUserLeave`, or `onCallEnd` if the call ends with her leaving.
 */
export function leave(call: Call, member: Member, fx: Effects, now: number, cause: { reason: 'Hangup' | 'Offline'; by?: DeviceRef; result?: CallResult }): void {
  if (cause.reason === 'Hangup') {
    fx.send([member.device], 'onCallEnd', {
      mediaType: call.mediaType,
      reason: 'Hangup',
      userId: member.userId,
      totalTime: totalTimeOf(call, member, now),
      role: member.role,
    });
  }
  finishMember(member, 'left', now, cause.reason, fx);
  fx.push(memberChanged(call, now, cause.by, [{ userId: member.userId, action: cause.reason }]));
  if (!settle(call, fx, now, { userId: member.userId, ...cause })) {
    fx.send(joinedMembers(call).map((m) => m.device), 'onUserLeave', { userId: member.userId });
  }
}
