import type { Call, CallEventName, DeviceRef, Effect, Member } from './types.ts';

/** Collects the effects of one transition and numbers the call's events (`seq`). */
export class Effects {
  readonly list: Effect[] = [];

  constructor(
    private readonly call: Call,
    private readonly now: number,
  ) {}

  /** Sends one event to some devices; every event of a call takes the next `seq`. */
  send(to: readonly (DeviceRef | undefined)[], event: CallEventName, data: Record<string, unknown>): void {
    const targets = to.filter((d): d is DeviceRef => d !== undefined);
    if (targets.length === 0) return;
    this.call.seq += 1;
    this.list.push({ kind: 'send', to: targets, event, seq: this.call.seq, time: this.now, data: { callId: this.call.callId, ...data } });
  }

  /** Remembers which invitee's part ended last: a call nobody answered takes her outcome as its result. */
  noteOutcome(userId: string): void {
    this.call.lastOutcomeUserId = userId;
  }

  /** Asks the app server to push an invitation to a member with no online device, or to withdraw that push. */
  offlinePush(member: Member, kind: 'Invite' | 'Cancel'): void {
    if (kind === 'Cancel' && !member.pushed) return;
    member.pushed = kind === 'Invite';
    this.call.callbackSeq += 1;
    this.list.push({ kind: 'callback', command: 'Call.CallbackOfflinePush', seq: this.call.callbackSeq, time: this.now, push: { userId: member.userId, kind } });
  }

  /** Adds any other effect. */
  push(effect: Effect): void {
    this.list.push(effect);
  }
}

/** The devices through which a member takes part: her call device, or the ones ringing. */
export function devicesOf(member: Member): DeviceRef[] {
  if (member.state === 'joined') return member.device ? [member.device] : [];
  if (member.state === 'ringing') return member.ringing;
  return [];
}

/** Members currently in the call (joined), excluding one user if given. */
export function joinedMembers(call: Call, exceptUserId?: string): Member[] {
  return call.members.filter((m) => m.state === 'joined' && m.userId !== exceptUserId);
}

/** Members whose invitation is still ringing. */
export function ringingMembers(call: Call): Member[] {
  return call.members.filter((m) => m.state === 'ringing');
}

/** Finds a member by user id. */
export function findMember(call: Call, userId: string): Member | undefined {
  return call.members.find((m) => m.userId === userId);
}
