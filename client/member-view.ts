/**
 * A small per-call view of who is in the call and whose invitation still rings, kept by each
 * engine from the call's events, answers and (in group calls) `syncCall` snapshots. The Web
 * events that the server does not send as such (USER_ACCEPT, NO_RESP's sponsor,
 * GROUP_CALL_INVITEE_LIST_UPDATE, the roomID of CALLING_END…) are derived from it.
 */

import type { MediaType, RoleName } from './enums.ts';
import { mediaTypeFromName } from './enums.ts';
import type { CallSnapshot } from './types.ts';

/** A member as this device knows her: in the call, still ringing, or out (left, rejected, busy…). */
export type MemberState = 'ringing' | 'in' | 'out';

interface Entry {
  state: MemberState;
  /** seq of the last event that told us about her: an older snapshot never overrides it. */
  seq: number;
}

/** The current call's members as the engine knows them (engine.callMembers). */
export interface CallMembers {
  callId: string;
  callerId: string | undefined;
  /** True for a group (multi-party) call, false for 1v1, undefined while unknown. */
  group: boolean | undefined;
  /** Users in the call, this user included when she is. */
  inCall: string[];
  /** Invitees whose invitation still rings, this user excluded. */
  ringing: string[];
}

/** What adopting a snapshot changed. */
export interface Adopted {
  /** Invitees that went from ringing to in the call. */
  accepted: string[];
  /** Users in the call we did not know as ringing (they joined on their own). */
  entered: string[];
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** One call's member view; `selfId` is this engine's user. */
export class CallView {
  callerId: string | undefined;
  group: boolean | undefined;
  role: RoleName | undefined;
  roomId: number | string = 0;
  mediaType: MediaType = 0;
  chatGroupId = '';
  /**
   * The caller of a group call before anyone answered: the server tells her `onCallBegin` (not
   * `onUserJoin`) when the first member connects, so who entered comes from a snapshot.
   */
  awaitingFirstPeer = false;
  private readonly members = new Map<string, Entry>();
  private published: string[] = [];

  constructor(
    readonly callId: string,
    readonly selfId: string,
  ) {}

  /** What the view knows about `userId`. */
  stateOf(userId: string): MemberState | undefined {
    return this.members.get(userId)?.state;
  }

  /** Records what an event numbered `seq` says about a member (0 for answers, which carry no seq). */
  mark(userId: string, state: MemberState, seq = 0): void {
    this.members.set(userId, { state, seq: Math.max(seq, this.members.get(userId)?.seq ?? 0) });
  }

  /** Records a member only when nothing is known yet (lists whose freshness is unknown, like calleeIdList). */
  markIfUnknown(userId: string, state: MemberState, seq = 0): void {
    if (!this.members.has(userId)) this.mark(userId, state, seq);
  }

  /** Invitees still ringing, this user excluded, in invitation order. */
  ringing(): string[] {
    return [...this.members].filter(([id, e]) => e.state === 'ringing' && id !== this.selfId).map(([id]) => id);
  }

  /** Users in the call. */
  inCall(): string[] {
    return [...this.members].filter(([, e]) => e.state === 'in').map(([id]) => id);
  }

  /**
   * Adopts a `syncCall` snapshot of this call: call facts, and each member whose last event is not
   * newer than the snapshot. Returns who went from ringing (or unknown) to in the call.
   */
  adopt(snapshot: CallSnapshot): Adopted {
    if (typeof snapshot.callerId === 'string') this.callerId = snapshot.callerId;
    if (typeof snapshot.scene === 'string') this.group = snapshot.scene !== 'SINGLE_CALL';
    if (typeof snapshot.roomId === 'number' || typeof snapshot.roomId === 'string') this.roomId = snapshot.roomId;
    if (typeof snapshot.chatGroupId === 'string') this.chatGroupId = snapshot.chatGroupId;
    if (typeof snapshot.mediaType === 'string') this.mediaType = mediaTypeFromName(snapshot.mediaType);
    const seq = typeof snapshot.seq === 'number' ? snapshot.seq : 0;
    const adopted: Adopted = { accepted: [], entered: [] };
    for (const member of Array.isArray(snapshot.members) ? snapshot.members : []) {
      const entry = this.members.get(member.userId);
      if (entry && entry.seq > seq) continue; // an event newer than the snapshot already told us
      const state: MemberState = member.state === 'joined' ? 'in' : member.state === 'ringing' ? 'ringing' : 'out';
      if (state === 'in' && entry?.state !== 'in' && member.userId !== this.selfId) {
        (entry?.state === 'ringing' ? adopted.accepted : adopted.entered).push(member.userId);
      }
      this.members.set(member.userId, { state, seq });
    }
    return adopted;
  }

  /** The ringing list when it changed since last published (group calls only), else undefined. */
  listChange(): string[] | undefined {
    if (this.group !== true) return undefined;
    const current = this.ringing();
    if (sameList(current, this.published)) return undefined;
    this.published = current;
    return current;
  }

  /** At the end of the call for this device: the empty list, if a non-empty one was published. */
  endList(): string[] | undefined {
    if (this.published.length === 0) return undefined;
    this.published = [];
    return [];
  }

  /** A copy for apps. */
  toMembers(): CallMembers {
    return { callId: this.callId, callerId: this.callerId, group: this.group, inCall: this.inCall(), ringing: this.ringing() };
  }
}

/** The views of recent calls, bounded (the oldest are forgotten first). */
export class CallViews {
  private readonly views = new Map<string, CallView>();

  constructor(private readonly capacity = 64) {}

  /** The view of `callId`, if any. */
  get(callId: string | undefined): CallView | undefined {
    return callId === undefined ? undefined : this.views.get(callId);
  }

  /** The view of `callId`, created when missing. */
  ensure(callId: string, selfId: string): CallView {
    let view = this.views.get(callId);
    if (!view) {
      view = new CallView(callId, selfId);
      this.views.set(callId, view);
      if (this.views.size > this.capacity) {
        const oldest = this.views.keys().next().value;
        if (oldest !== undefined) this.views.delete(oldest);
      }
    }
    return view;
  }

  /** Forgets a call (it ended for this device). */
  drop(callId: string): void {
    this.views.delete(callId);
  }

  /** Forgets every call (logout, destroy). */
  clear(): void {
    this.views.clear();
  }
}
