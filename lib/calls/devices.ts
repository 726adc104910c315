import type { DeviceAction } from './commands.ts';
import { type Effects, findMember } from './emit.ts';
import { leave } from './hangup.ts';
import { callInfo } from './invitation.ts';
import { endCall, finishMember, memberChanged } from './settle.ts';
import type { Call, DeviceRef, EndReason } from './types.ts';

/**
 * A device of a member logged in (a late joiner, or the same device reconnecting). While her
 * invitation rings, the device rings too (`onCallReceived` with the time left); if she is in the
 * call on an older connection of the same device, the call follows the device to its new connection.
 */
export function deviceOnline(call: Call, cmd: DeviceAction, fx: Effects): void {
  const member = findMember(call, cmd.userId);
  if (!member || call.status === 'ended') return;
  const sameDevice = (d: DeviceRef) => d.deviceId === cmd.device.deviceId || d.connectionId === cmd.device.connectionId;
  if (member.state === 'joined' && member.device && sameDevice(member.device)) {
    member.device = cmd.device;
    return;
  }
  if (member.state !== 'ringing' || member.ringDeadline === undefined || cmd.now >= member.ringDeadline) return;
  member.ringing = [...member.ringing.filter((d) => !sameDevice(d)), cmd.device];
  fx.send([cmd.device], 'onCallReceived', {
    ...callInfo(call),
    timeout: member.timeoutSec,
    ringDeadline: member.ringDeadline,
    remainingMs: member.ringDeadline - cmd.now,
  });
}

/** A connection stops being a ring target (gone: silently; kicked: told why with `onCallNotConnected`). */
export function deviceGone(call: Call, connectionId: string, fx: Effects, notifyReason?: EndReason): void {
  for (const m of call.members) {
    const gone = m.ringing.filter((d) => d.connectionId === connectionId);
    if (gone.length === 0) continue;
    m.ringing = m.ringing.filter((d) => d.connectionId !== connectionId);
    if (notifyReason) fx.send(gone, 'onCallNotConnected', { mediaType: call.mediaType, reason: notifyReason, userId: m.userId });
  }
}

/**
 * A member's call device went offline for good (disconnected past the grace period, or stopped
 * heartbeating): she leaves with `Offline`; a 1v1 call ends as `Offline`. Nothing happens if the
 * call has meanwhile moved to another connection of hers (she reconnected in time).
 */
export function memberOffline(call: Call, userId: string, connectionId: string, now: number, fx: Effects): void {
  const member = findMember(call, userId);
  if (call.status === 'ended' || member?.state !== 'joined' || member.device?.connectionId !== connectionId) return;
  const result = call.callType === 'SingleCall' ? { result: 'Offline' as const } : {};
  if (call.status === 'calling' && member.role === 'Caller') {
    // She leaves first, so her gone device is not told; then the invitations are cancelled.
    finishMember(member, 'left', now, 'Offline', fx);
    fx.push(memberChanged(call, now, undefined, [{ userId, action: 'Offline' }]));
    endCall(call, fx, now, { userId, reason: 'Offline', ...result });
    return;
  }
  leave(call, member, fx, now, { reason: 'Offline', ...result });
}
