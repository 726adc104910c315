import type { DeviceAction } from './commands.ts';
import { type Effects, joinedMembers } from './emit.ts';
import { InvitationHandledError, RefusedInStateError } from './errors.ts';
import { finishMember, memberChanged, settle } from './settle.ts';
import type { Call, DeviceRef, Member } from './types.ts';

/** The member of this user whose invitation is ringing; otherwise the documented refusal. */
export function ringingMember(call: Call, cmd: DeviceAction, action: string): Member {
  const member = call.members.find((m) => m.userId === cmd.userId);
  if (!member) throw new InvitationHandledError(`${action}: you are not invited to call ${call.callId}`);
  if (member.role === 'Caller' && member.state === 'joined') throw new RefusedInStateError(`${action}: the caller cannot ${action} her own call`);
  if (call.status === 'ended') throw new InvitationHandledError(`${action}: call ${call.callId} has already ended`);
  if (member.state === 'joined') throw new InvitationHandledError(`${action}: the invitation was already accepted on another device`);
  if (member.state !== 'ringing') throw new InvitationHandledError(`${action}: the invitation was already handled (${member.state})`);
  // Past the deadline the invitation counts as not answered, even if its timer has not fired yet.
  if (member.ringDeadline !== undefined && cmd.now >= member.ringDeadline) throw new InvitationHandledError(`${action}: the invitation timed out`);
  return member;
}

const others = (member: Member, device: DeviceRef): DeviceRef[] => member.ringing.filter((d) => d.connectionId !== device.connectionId);

/**
 * The first device to accept wins: the member joins on it, her other ringing devices are told
 * `OtherDeviceAccepted`. The first acceptance connects the call (caller and callee get `onCallBegin`).
 */
export function accept(call: Call, cmd: DeviceAction, fx: Effects): void {
  const member = ringingMember(call, cmd, 'accept');
  fx.send(others(member, cmd.device), 'onCallNotConnected', { mediaType: call.mediaType, reason: 'OtherDeviceAccepted', userId: member.userId });
  connectMember(call, member, cmd.device, cmd.now, fx);
  fx.push(memberChanged(call, cmd.now, cmd.device, [{ userId: member.userId, action: 'Accept' }]));
}

/**
 * A member enters the call on one device (accepting, or joining on her own): she gets `onCallBegin`,
 * the members already in it `onUserJoin` — or `onCallBegin` for those waiting for their first peer.
 */
export function connectMember(call: Call, member: Member, device: DeviceRef, now: number, fx: Effects): void {
  const alreadyIn = joinedMembers(call);
  fx.offlinePush(member, 'Cancel');
  Object.assign(member, { state: 'joined', ringing: [], device, joinedAt: now, begun: true });
  member.segments.push({ from: now, platform: device.platform });
  if (call.status === 'calling') {
    call.status = 'connected';
    call.acceptedAt = now;
  }
  for (const m of alreadyIn) {
    if (m.begun) {
      fx.send([m.device], 'onUserJoin', { userId: member.userId });
    } else {
      m.begun = true;
      fx.send([m.device], 'onCallBegin', { mediaType: call.mediaType, roomId: call.roomId, roomIdType: call.roomIdType, role: m.role });
    }
  }
  fx.send([device], 'onCallBegin', { mediaType: call.mediaType, roomId: call.roomId, roomIdType: call.roomIdType, role: member.role });
}

/**
 * A reject on any device rejects for the user: her other ringing devices get `OtherDeviceReject`,
 * the members in the call get `onUserReject`, and the call ends if nobody else is left.
 */
export function reject(call: Call, cmd: DeviceAction, fx: Effects): void {
  const member = ringingMember(call, cmd, 'reject');
  fx.send(others(member, cmd.device), 'onCallNotConnected', { mediaType: call.mediaType, reason: 'OtherDeviceReject', userId: member.userId });
  fx.send([cmd.device], 'onCallNotConnected', { mediaType: call.mediaType, reason: 'Reject', userId: member.userId });
  finishMember(member, 'rejected', cmd.now, 'Reject', fx);
  fx.send(joinedMembers(call).map((m) => m.device), 'onUserReject', { userId: member.userId });
  fx.push(memberChanged(call, cmd.now, cmd.device, [{ userId: member.userId, action: 'Reject' }]));
  settle(call, fx, cmd.now, { userId: member.userId, reason: 'Reject', by: cmd.device });
}

/** `ignore` silences only the device that sent it; the invitation keeps ringing elsewhere until its deadline. */
export function ignore(call: Call, cmd: DeviceAction): void {
  const member = ringingMember(call, cmd, 'ignore');
  member.ringing = others(member, cmd.device);
}
