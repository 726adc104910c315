import { type Effects, joinedMembers, ringingMembers } from './emit.ts';
import { finishMember, memberChanged, settle } from './settle.ts';
import type { Call } from './types.ts';

/**
 * Every invitation whose deadline has passed stops ringing (`NoResponse`): the invitee's devices
 * get `onCallNotConnected`, the members in the call `onUserNoResponse`. Early or repeated firings change nothing.
 */
export function expireInvitations(call: Call, now: number, fx: Effects): void {
  if (call.status === 'ended') return;
  const expired = ringingMembers(call).filter((m) => (m.ringDeadline ?? Infinity) <= now);
  if (expired.length === 0) return;
  for (const m of expired) {
    fx.send(m.ringing, 'onCallNotConnected', { mediaType: call.mediaType, reason: 'NoResponse', userId: m.userId });
    finishMember(m, 'noResponse', now, 'NoResponse', fx);
  }
  for (const m of expired) fx.send(joinedMembers(call).map((j) => j.device), 'onUserNoResponse', { userId: m.userId });
  fx.push(memberChanged(call, now, undefined, expired.map((m) => ({ userId: m.userId, action: 'NotAnswer' as const }))));
  const last = expired[expired.length - 1];
  settle(call, fx, now, { userId: last?.userId ?? call.callerId, reason: 'NoResponse' });
}

/** The earliest deadline among invitations still ringing, if any: when the next timer must fire. */
export function nextDeadline(call: Call): number | undefined {
  const deadlines = ringingMembers(call).map((m) => m.ringDeadline ?? Infinity);
  const min = Math.min(...deadlines);
  return Number.isFinite(min) ? min : undefined;
}
