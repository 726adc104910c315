/**
 * The device's view of its current call (client-api.md §3: idle / calling / connected), moved by
 * answers and events. Answers and events travel on different paths on API Gateway (the route's
 * return vs @connections posts), so either may arrive first: calls that already ended are
 * remembered so a late answer or snapshot never revives them.
 */

import type { EngineStatus, RoleName } from './enums.ts';
import type { CallSnapshot } from './types.ts';

const ENDED_CAPACITY = 256;

/** Current call id, status and own role of this device. */
export class CallState {
  private currentStatus: EngineStatus = 'idle';
  private currentId: string | undefined;
  private currentRole: RoleName | undefined;
  private readonly ended = new Set<string>();

  /** idle, calling (dialling or ringing) or connected. */
  get status(): EngineStatus {
    return this.currentStatus;
  }

  /** The call the engine's accept/reject/hangup act on. */
  get callId(): string | undefined {
    return this.currentId;
  }

  /** This user's role in the current call: 'Caller' (dialled it) or 'Called' (invited or joined). */
  get role(): RoleName | undefined {
    return this.currentRole;
  }

  /** True once `callId` ended for this device (it is never revived). */
  hasEnded(callId: string): boolean {
    return this.ended.has(callId);
  }

  /** `calls` answered: this device is dialling `callId` (or, after glare, already in it as callee). */
  dialled(callId: string, role: RoleName = 'Caller'): void {
    if (this.ended.has(callId)) return;
    if (this.currentId === callId && this.currentStatus === 'connected') return;
    this.set('calling', callId, role);
  }

  /**
   * onCallReceived: ring only when not already in a call. The event passed the seq filter, so it is
   * newer than anything seen of this call: a call that ended for this device rings again when a
   * member invites her back (inviteUser).
   */
  received(callId: string): void {
    if (this.currentStatus !== 'idle') return;
    this.ended.delete(callId);
    this.set('calling', callId, 'Called');
  }

  /** An accepted `join`: the server let her (back) into the call, so an earlier end of it no longer holds. */
  joined(callId: string): void {
    if (this.currentStatus !== 'idle' && this.currentId !== callId) return;
    this.ended.delete(callId);
    this.set('connected', callId, 'Called');
  }

  /** onCallBegin, an accepted `accept` or `join`: connected, unless busy with another call. */
  connected(callId: string, role?: RoleName): void {
    if (this.ended.has(callId)) return;
    if (this.currentStatus === 'idle' || this.currentId === callId) {
      this.set('connected', callId, role ?? (this.currentId === callId ? this.currentRole : 'Called'));
    }
  }

  /** onCallEnd / onCallNotConnected / answered reject, ignore or hangup: the call is over for this device. */
  finished(callId: string): void {
    this.ended.add(callId);
    if (this.ended.size > ENDED_CAPACITY) {
      const oldest = this.ended.values().next().value;
      if (oldest !== undefined) this.ended.delete(oldest);
    }
    if (this.currentId === callId) this.set('idle', undefined, undefined);
  }

  /** After a reconnect: adopt the server's live call, or go idle when it reports none. */
  restore(snapshot: CallSnapshot | null): void {
    if (!snapshot || typeof snapshot.callId !== 'string' || this.ended.has(snapshot.callId)) {
      this.set('idle', undefined, undefined);
      return;
    }
    const same = snapshot.callId === this.currentId;
    let status: EngineStatus = same && this.currentStatus !== 'idle' ? this.currentStatus : 'calling';
    if (snapshot.status === 'connected') status = 'connected';
    else if (snapshot.status === 'calling') status = 'calling';
    const role = snapshot.role === 'Caller' || snapshot.role === 'Called' ? snapshot.role : same ? this.currentRole : 'Called';
    this.set(status, snapshot.callId, role);
  }

  /** Logged out, kicked or destroyed: no call any more (ended calls are still remembered). */
  reset(): void {
    this.set('idle', undefined, undefined);
  }

  private set(status: EngineStatus, callId: string | undefined, role: RoleName | undefined): void {
    this.currentStatus = status;
    this.currentId = status === 'idle' ? undefined : callId;
    this.currentRole = status === 'idle' ? undefined : role;
  }
}
