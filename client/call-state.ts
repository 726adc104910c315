/**
 * The device's view of its current call (client-api.md §3: idle / calling / connected), moved by
 * answers and events. Answers and events travel on different paths on API Gateway (the route's
 * return vs @connections posts), so either may arrive first: calls that already ended are
 * remembered so a late answer or snapshot never revives them.
 */

import type { EngineStatus } from './enums.ts';
import type { CallSnapshot } from './types.ts';

const ENDED_CAPACITY = 256;

/** Current call id and status of this device. */
export class CallState {
  private currentStatus: EngineStatus = 'idle';
  private currentId: string | undefined;
  private readonly ended = new Set<string>();

  /** idle, calling (dialling or ringing) or connected. */
  get status(): EngineStatus {
    return this.currentStatus;
  }

  /** The call the engine's accept/reject/hangup act on. */
  get callId(): string | undefined {
    return this.currentId;
  }

  /** `calls` answered: this device is dialling `callId` (or, after glare, already in it). */
  dialled(callId: string): void {
    if (this.ended.has(callId)) return;
    if (this.currentId === callId && this.currentStatus === 'connected') return;
    this.set('calling', callId);
  }

  /** onCallReceived: ring only when not already in a call. */
  received(callId: string): void {
    if (this.currentStatus === 'idle' && !this.ended.has(callId)) this.set('calling', callId);
  }

  /** onCallBegin or an accepted `accept`: connected, unless busy with another call. */
  connected(callId: string): void {
    if (this.ended.has(callId)) return;
    if (this.currentStatus === 'idle' || this.currentId === callId) this.set('connected', callId);
  }

  /** onCallEnd / onCallNotConnected / answered reject or hangup: the call is over for this device. */
  finished(callId: string): void {
    this.ended.add(callId);
    if (this.ended.size > ENDED_CAPACITY) {
      const oldest = this.ended.values().next().value;
      if (oldest !== undefined) this.ended.delete(oldest);
    }
    if (this.currentId === callId) this.set('idle', undefined);
  }

  /** After a reconnect: adopt the server's live call, or go idle when it reports none. */
  restore(snapshot: CallSnapshot | null): void {
    if (!snapshot || typeof snapshot.callId !== 'string' || this.ended.has(snapshot.callId)) {
      this.set('idle', undefined);
      return;
    }
    const same = snapshot.callId === this.currentId;
    let status: EngineStatus = same && this.currentStatus !== 'idle' ? this.currentStatus : 'calling';
    if (snapshot.status === 'connected') status = 'connected';
    else if (snapshot.status === 'calling') status = 'calling';
    this.set(status, snapshot.callId);
  }

  /** Logged out, kicked or destroyed: no call any more (ended calls are still remembered). */
  reset(): void {
    this.set('idle', undefined);
  }

  private set(status: EngineStatus, callId: string | undefined): void {
    this.currentStatus = status;
    this.currentId = status === 'idle' ? undefined : callId;
  }
}
