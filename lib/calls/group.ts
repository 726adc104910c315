import { connectMember } from './answer.ts';
import type { DeviceAction, InviteeInfo } from './commands.ts';
import { type Effects, findMember, joinedMembers, ringingMembers } from './emit.ts';
import { CallEndedError, InvalidParameterError, RefusedInStateError, SceneNotSupportedError } from './errors.ts';
import { callInfo } from './invitation.ts';
import { MAX_CALL_MEMBERS } from './limits.ts';
import { finishMember, memberChanged } from './settle.ts';
import type { Call, MediaType, Member } from './types.ts';

const active = (call: Call) => joinedMembers(call).length + ringingMembers(call).length;

function liveGroupCall(call: Call, action: string): void {
  if (call.status === 'ended') throw new CallEndedError(action, call.callId);
  if (call.callType !== 'MultiCall') throw new SceneNotSupportedError(`${action}: call ${call.callId} is a 1v1 call; only group calls take ${action}`);
}


/**
 * `inviteUser`: a member in the call invites more users. They ring with their own deadline;
 * the members in the call get `onUserInviting`, or `onUserLineBusy` for a busy invitee.
 */
export function invite(call: Call, cmd: DeviceAction & { invitees: InviteeInfo[]; timeoutSec: number; lineSince?: number }, fx: Effects): void {
  liveGroupCall(call, 'inviteUser');
  const inviter = findMember(call, cmd.userId);
  if (inviter?.state !== 'joined') throw new RefusedInStateError('inviteUser: only a member in the call can invite');
  if (new Set(cmd.invitees.map((i) => i.userId)).size !== cmd.invitees.length) throw new InvalidParameterError('inviteUser: userIdList has duplicates');
  for (const i of cmd.invitees) {
    const m = findMember(call, i.userId);
    if (m?.state === 'ringing' || m?.state === 'joined') throw new InvalidParameterError(`inviteUser: ${i.userId} is already in the call`);
  }
  if (active(call) + cmd.invitees.length > MAX_CALL_MEMBERS) {
    throw new InvalidParameterError(`inviteUser: a call has at most ${MAX_CALL_MEMBERS} members; it has ${active(call)}, so at most ${MAX_CALL_MEMBERS - active(call)} more can be invited`);
  }
  const ringDeadline = cmd.now + cmd.timeoutSec * 1000;
  const invited: Member[] = cmd.invitees.map((i) => reinvite(call, i, cmd.now, ringDeadline, cmd.timeoutSec, cmd.lineSince ?? cmd.now));
  const inCall = () => joinedMembers(call).map((m) => m.device);
  const info = callInfo(call);
  cmd.invitees.forEach((i, n) => {
    const member = invited[n] as Member;
    if (i.busy) {
      finishMember(member, 'busy', cmd.now, 'LineBusy', fx);
      fx.send(inCall(), 'onUserLineBusy', { userId: i.userId });
      return;
    }
    fx.send(inCall(), 'onUserInviting', { userId: i.userId });
    fx.send(member.ringing, 'onCallReceived', { ...info, timeout: cmd.timeoutSec, ringDeadline, remainingMs: ringDeadline - cmd.now });
    if (member.ringing.length === 0) fx.offlinePush(member, 'Invite');
  });
  fx.push(memberChanged(call, cmd.now, cmd.device, cmd.invitees.map((i) => ({ userId: i.userId, action: 'Invite' as const }))));
  if (invited.some((m) => m.state === 'ringing')) fx.push({ kind: 'timer', at: ringDeadline });
}

/** A new member, or a former one (who left, rejected…) invited again. */
function reinvite(call: Call, i: InviteeInfo, now: number, ringDeadline: number, timeoutSec: number, lineSince: number): Member {
  const fresh = { state: 'ringing' as const, invitedAt: now, lineSince, ringDeadline, timeoutSec, ringing: i.ringTargets, begun: false };
  const existing = findMember(call, i.userId);
  if (existing) {
    delete existing.device;
    delete existing.endReason;
    return Object.assign(existing, fresh);
  }
  const member: Member = { userId: i.userId, role: 'Called', segments: [], ...fresh };
  call.members.push(member);
  return member;
}

/**
 * `join`: a user enters a live group call on her own (the use case applied the app's join policy).
 * She gets `onCallBegin`, the members in the call `onUserJoin`. A member still ringing joins as if she accepted.
 */
export function join(call: Call, cmd: DeviceAction & { invitedOnly: boolean; lineSince?: number }, fx: Effects): void {
  liveGroupCall(call, 'join');
  const existing = findMember(call, cmd.userId);
  if (existing?.state === 'joined') throw new RefusedInStateError('join: you are already in this call');
  if (cmd.invitedOnly && !existing) throw new RefusedInStateError('join: this app lets only invited users join a call');
  if (existing?.state !== 'ringing' && active(call) + 1 > MAX_CALL_MEMBERS) throw new InvalidParameterError(`join: the call is full (at most ${MAX_CALL_MEMBERS} members)`);
  // Coming from outside the call (new, or a part that ended), her line was just taken for this part.
  const fromOutside = existing?.state !== 'ringing';
  let member = existing;
  if (!member) {
    member = { userId: cmd.userId, role: 'Called', state: 'ringing', invitedAt: cmd.now, ringing: [], begun: false, segments: [] };
    call.members.push(member);
  }
  if (fromOutside) member.lineSince = cmd.lineSince ?? cmd.now;
  if (member.state === 'ringing') {
    const others = member.ringing.filter((d) => d.connectionId !== cmd.device.connectionId);
    fx.send(others, 'onCallNotConnected', { mediaType: call.mediaType, reason: 'OtherDeviceAccepted', userId: member.userId });
  }
  delete member.endReason;
  connectMember(call, member, cmd.device, cmd.now, fx);
  fx.push(memberChanged(call, cmd.now, cmd.device, [{ userId: member.userId, action: 'Join' }]));
}

/** `switchCallMediaType`: a connected member changes the call's media type; every member in the call is told. */
export function switchMedia(call: Call, cmd: DeviceAction & { mediaType: MediaType }, fx: Effects): void {
  if (call.status === 'ended') throw new CallEndedError('switchCallMediaType', call.callId);
  const member = findMember(call, cmd.userId);
  if (call.status !== 'connected' || member?.state !== 'joined') throw new RefusedInStateError('switchCallMediaType: only a member of a connected call can switch its media type');
  if (call.mediaType === cmd.mediaType) throw new InvalidParameterError(`switchCallMediaType: the call is already ${cmd.mediaType}`);
  const oldMediaType = call.mediaType;
  call.mediaType = cmd.mediaType;
  fx.send(joinedMembers(call).map((m) => m.device), 'onCallMediaTypeChanged', { oldMediaType, newMediaType: cmd.mediaType });
}
