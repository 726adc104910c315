/**
 * Turns server event frames into engine events: drops repeats and late arrivals by `seq`, moves
 * the call state and the member view before any handler runs, then emits the observer event and
 * the Web events derived from it. Answers that change a call (calls, join, ignore, syncCall) update
 * the member view through it too.
 */

import type { CallState } from './call-state.ts';
import type { Emitter } from './emitter.ts';
import type { MediaType, RoleName } from './enums.ts';
import { isServerEventName, SeqFilter, toPayload } from './events.ts';
import type { EngineEventMap } from './events.ts';
import { CallViews } from './member-view.ts';
import type { CallMembers, CallView } from './member-view.ts';
import type { CallSnapshot, CallsResult, EventFrame, JoinResult } from './types.ts';
import { announce, deriveCallEvent, deriveGlobal } from './web-derive.ts';
import type { Derived } from './web-derive.ts';
import type { WebEmit } from './web-events.ts';

/** What the router needs from its engine. */
export interface RouterHooks {
  /** This engine's user id (known from the moment login starts). */
  selfId(): string;
  /** The server's snapshot of this user's live call (`syncCall`), not adopted as the current call. */
  fetchSnapshot(): Promise<CallSnapshot | null>;
}

/** Facts of a placed call the `calls` answer does not repeat. */
export interface DialledInfo {
  userIdList: string[];
  mediaType: MediaType;
  chatGroupId: string;
}

/** Routes events to handlers, keeping the call state and the per-call member views in step. */
export class EventRouter {
  private readonly seqs = new SeqFilter();
  private readonly views = new CallViews();

  constructor(
    private readonly emitter: Emitter<EngineEventMap>,
    private readonly state: CallState,
    private readonly hooks: RouterHooks,
  ) {}

  /** The member view of a call, as a copy. */
  members(callId: string | undefined): CallMembers | undefined {
    return this.views.get(callId)?.toMembers();
  }

  /** One event frame from the server. */
  onFrame(frame: EventFrame): void {
    if (!isServerEventName(frame.event) || !this.seqs.accept(frame.callId, frame.seq)) return;
    this.track(frame);
    const payload = toPayload(frame);
    let derived: Derived = { events: deriveGlobal(frame.event, payload), refresh: false, ended: false };
    if (frame.callId !== undefined) {
      derived = deriveCallEvent(frame.event, payload, this.views.ensure(frame.callId, this.hooks.selfId()), frame.seq ?? 0);
      if (derived.ended) this.views.drop(frame.callId);
    }
    this.emitter.emit(frame.event, payload as never);
    this.emitAll(derived.events);
    if (derived.refresh && frame.callId !== undefined) this.refresh(frame.callId);
  }

  /** `calls` answered: this user dialled the call (or, after glare, answered the peer's). */
  dialled(answer: CallsResult, info: DialledInfo): void {
    if (this.state.hasEnded(answer.callId)) return; // already over (every invitee was busy)
    const self = this.hooks.selfId();
    const view = this.views.ensure(answer.callId, self);
    const [peer = ''] = info.userIdList;
    if (answer.merged) {
      Object.assign(view, { role: 'Called', callerId: peer, group: false });
      view.markIfUnknown(peer, 'in');
    } else {
      Object.assign(view, { role: 'Caller', callerId: self, group: info.userIdList.length > 1 || info.chatGroupId !== '' });
      for (const u of info.userIdList) view.markIfUnknown(u, 'ringing');
    }
    Object.assign(view, { roomId: answer.roomId, mediaType: info.mediaType, chatGroupId: info.chatGroupId });
    view.mark(self, 'in');
    this.emitList(view);
  }

  /** `join` answered: this user is in the group call. */
  joined(answer: JoinResult): void {
    if (this.state.hasEnded(answer.callId)) return;
    const view = this.views.ensure(answer.callId, this.hooks.selfId());
    Object.assign(view, { role: 'Called' satisfies RoleName, group: true, roomId: answer.roomId, mediaType: answer.mediaType });
    view.mark(view.selfId, 'in');
  }

  /** `ignore` answered: the call is over for this device, no event will say so. */
  ignored(callId: string): void {
    const view = this.views.get(callId);
    if (!view) return;
    this.views.drop(callId);
    const list = view.endList();
    if (list) this.emitAll([['GROUP_CALL_INVITEE_LIST_UPDATE', { userIDList: list }]]);
  }

  /** A snapshot from syncCall (explicit or after a reconnect): the view adopts it silently. */
  restored(snapshot: CallSnapshot | null | undefined): void {
    if (!snapshot || typeof snapshot.callId !== 'string' || this.state.hasEnded(snapshot.callId)) return;
    const view = this.views.ensure(snapshot.callId, this.hooks.selfId());
    if (snapshot.role === 'Caller' || snapshot.role === 'Called') view.role = snapshot.role;
    view.adopt(snapshot);
    this.emitList(view);
  }

  /** Forgets the member views (logout). */
  forgetCalls(): void {
    this.views.clear();
  }

  /** Forgets everything (destroy). */
  clear(): void {
    this.views.clear();
    this.seqs.clear();
  }

  /** Moves the call state before handlers run, so a handler sees (and can act on) the new state. */
  private track(frame: EventFrame): void {
    const callId = frame.callId;
    if (frame.event === 'onKickedOffline' || frame.event === 'onUserSigExpired') this.state.reset();
    if (callId === undefined) return;
    if (frame.event === 'onCallReceived') this.state.received(callId);
    else if (frame.event === 'onCallBegin') {
      const role = frame.data?.role;
      this.state.connected(callId, role === 'Caller' || role === 'Called' ? role : undefined);
    } else if (frame.event === 'onCallEnd' || frame.event === 'onCallNotConnected') this.state.finished(callId);
  }

  /** Group calls: the server does not tell a ringing or newly connected member everything, a snapshot does. */
  private refresh(callId: string): void {
    const settle = (snapshot: CallSnapshot | null): void => {
      const view = this.views.get(callId);
      if (!view) return;
      if (snapshot?.callId === callId) {
        const adopted = view.adopt(snapshot);
        // Only the waiting caller was told onCallBegin instead of onUserJoin: announce who came in.
        if (view.awaitingFirstPeer) this.emitAll(announce(adopted));
        view.awaitingFirstPeer = false;
      }
      this.emitList(view); // without a snapshot, the list the events gave
    };
    this.hooks.fetchSnapshot().then(settle, () => settle(null));
  }

  private emitList(view: CallView): void {
    const list = view.listChange();
    if (list) this.emitAll([['GROUP_CALL_INVITEE_LIST_UPDATE', { userIDList: list }]]);
  }

  private emitAll(events: WebEmit[]): void {
    for (const [name, payload] of events) this.emitter.emit(name, payload as never);
  }
}
