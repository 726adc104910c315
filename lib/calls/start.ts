import type { StartCommand } from './commands.ts';
import { callInfo } from './invitation.ts';
import { Effects } from './emit.ts';
import { callbackOf, finishMember, settle } from './settle.ts';
import type { Call, Member } from './types.ts';
import type { Transition } from './transition.ts';

/**
 * Creates a call: busy invitees are marked `LineBusy` at once, the others ring on their ring
 * targets until their deadline. A call whose every invitee is busy ends immediately (`CallBusy`).
 */
export function startCall(cmd: StartCommand): Transition {
  const { now } = cmd;
  const lineSince = cmd.lineSince ?? now;
  const ringDeadline = now + cmd.timeoutSec * 1000;
  const caller: Member = {
    userId: cmd.caller.userId,
    role: 'Caller',
    state: 'joined',
    invitedAt: now,
    lineSince,
    ringing: [],
    device: cmd.caller.device,
    begun: false,
    joinedAt: now,
    segments: [{ from: now, platform: cmd.caller.device.platform }],
  };
  const call: Call = {
    sdkAppId: cmd.sdkAppId,
    callId: cmd.callId,
    callerId: cmd.caller.userId,
    mediaType: cmd.mediaType,
    callType: cmd.callType,
    roomId: cmd.roomId,
    roomIdType: cmd.roomIdType,
    userData: cmd.userData,
    chatGroupId: cmd.chatGroupId,
    ...(cmd.offlinePushInfo ? { offlinePushInfo: cmd.offlinePushInfo } : {}),
    status: 'calling',
    createdAt: now,
    seq: 0,
    callbackSeq: 0,
    members: [caller],
  };
  const fx = new Effects(call, now);
  fx.push(callbackOf(call, 'Call.CallbackAfterStartCall', now, cmd.caller.device));
  const invitees: Member[] = cmd.invitees.map((invitee) => ({
    userId: invitee.userId,
    role: 'Called',
    state: 'ringing',
    invitedAt: now,
    lineSince,
    ringDeadline,
    timeoutSec: cmd.timeoutSec,
    ringing: invitee.ringTargets,
    begun: false,
    segments: [],
  }));
  call.members.push(...invitees);
  const info = callInfo(call);
  cmd.invitees.forEach((invitee, i) => {
    const member = invitees[i] as Member;
    if (invitee.busy) {
      finishMember(member, 'busy', now, 'LineBusy', fx);
      fx.send([caller.device], 'onUserLineBusy', { userId: invitee.userId });
      return;
    }
    fx.send(member.ringing, 'onCallReceived', { ...info, timeout: cmd.timeoutSec, ringDeadline, remainingMs: ringDeadline - now });
    if (member.ringing.length === 0) fx.offlinePush(member, 'Invite');
  });
  if (call.members.some((m) => m.state === 'ringing')) fx.push({ kind: 'timer', at: ringDeadline });
  settle(call, fx, now, { userId: call.callerId, reason: 'LineBusy', by: cmd.caller.device });
  return { call, effects: fx.list };
}
