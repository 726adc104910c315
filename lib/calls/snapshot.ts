import { callInfo, type CallInfo } from './invitation.ts';
import type { Call, MemberState, Role } from './types.ts';

/** What `syncCall` tells a reconnecting client about her live call. */
export interface CallSnapshot extends CallInfo {
  callId: string;
  role: Role;
  /** The user's own state in the call: `calling` (ringing or waiting for an answer) or `connected`. */
  status: 'calling' | 'connected';
  ringDeadline?: number;
  remainingMs?: number;
  members: { userId: string; role: Role; state: MemberState }[];
  seq: number;
}

/** The snapshot of a live call for one of its members, or null when she has no live part in it. */
export function snapshotFor(call: Call, userId: string, now: number): CallSnapshot | null {
  const me = call.members.find((m) => m.userId === userId);
  if (!me || call.status === 'ended' || (me.state !== 'ringing' && me.state !== 'joined')) return null;
  const connected = me.state === 'joined' && me.begun;
  return {
    callId: call.callId,
    ...callInfo(call),
    role: me.role,
    status: connected ? 'connected' : 'calling',
    ...(me.state === 'ringing' && me.ringDeadline !== undefined
      ? { ringDeadline: me.ringDeadline, remainingMs: Math.max(0, me.ringDeadline - now) }
      : {}),
    members: call.members.map((m) => ({ userId: m.userId, role: m.role, state: m.state })),
    seq: call.seq,
  };
}
