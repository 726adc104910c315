/**
 * Test support for the pure call machine (`lib/calls`): builders for commands and devices, and
 * `RunChecker`, a reference model that replays one call's transitions and checks DESIGN.md's
 * invariants after every step. Used by the example tests and the fast-check model-based tests.
 */
import { isDeepStrictEqual } from 'node:util';
import { applyCommand, CallRuleError, startCall } from '../../lib/calls/index.ts';
import type { Call, CallCommand, CallRecord, DeviceRef, Effect, InviteeInfo, Member, StartCommand, Transition } from '../../lib/calls/index.ts';

/** A start time that is not on a second boundary, so seconds-vs-milliseconds mistakes show. */
export const T0 = 1_740_464_128_807;

/** A device (connection) named by its connection id. */
export const device = (connectionId: string): DeviceRef => ({ connectionId, loginId: `login-${connectionId}`, deviceId: `device-${connectionId}`, platform: 'Android' });

/** A start command with sensible defaults: alice calls on `alice-1` at T0, 30 s ring timeout. */
export function startCommand(invitees: InviteeInfo[], overrides: Partial<StartCommand> = {}): StartCommand {
  return {
    type: 'start',
    now: T0,
    callId: 'call-1',
    sdkAppId: 1400000001,
    caller: { userId: 'alice', device: device('alice-1') },
    invitees,
    mediaType: 'Video',
    callType: invitees.length > 1 ? 'MultiCall' : 'SingleCall',
    roomId: 123456,
    roomIdType: 1,
    timeoutSec: 30,
    userData: '',
    chatGroupId: '',
    ...overrides,
  };
}

/** Freezes a value and everything it holds, so any mutation of a machine input throws (ESM is strict mode). */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export type SendEffect = Extract<Effect, { kind: 'send' }>;
export const sendsOf = (effects: readonly Effect[]): SendEffect[] => effects.filter((e): e is SendEffect => e.kind === 'send');

/** The events one device receives, in order; `callId` is left out (every payload carries it, checked elsewhere). */
export function eventsTo(effects: readonly Effect[], connectionId: string): { event: string; data: Record<string, unknown> }[] {
  return sendsOf(effects)
    .filter((e) => e.to.some((d) => d.connectionId === connectionId))
    .map(({ event, data: { callId: _callId, ...data } }) => ({ event, data }));
}

/** One line per command, times relative to `t0`, for readable counterexamples. */
export function describeCommand(cmd: CallCommand | StartCommand, t0: number): string {
  const at = `+${cmd.now - t0}ms`;
  switch (cmd.type) {
    case 'start': {
      const who = cmd.invitees.map((i) => `${i.userId}${i.busy ? '(busy)' : ''}[${i.ringTargets.map((d) => d.connectionId).join(',')}]`);
      return `${at} start: ${cmd.caller.userId} on ${cmd.caller.device.connectionId} calls ${who.join(' ')}, timeout ${cmd.timeoutSec}s`;
    }
    case 'timeout':
      return `${at} timeout`;
    case 'deviceGone':
      return `${at} deviceGone ${cmd.connectionId}`;
    default:
      return `${at} ${cmd.type}${'reason' in cmd && cmd.reason ? `(${cmd.reason})` : ''} by ${cmd.userId} on ${cmd.device.connectionId}`;
  }
}

const joined = (call: Call): Member[] => call.members.filter((m) => m.state === 'joined');
const ringing = (call: Call): Member[] => call.members.filter((m) => m.state === 'ringing');
const memberOf = (call: Call, userId: string): Member | undefined => call.members.find((m) => m.userId === userId);

/** The refusal code the rules (client-api.md §3, errors.ts) call for, or null when the command must be accepted. */
export function expectedRefusal(call: Call, cmd: CallCommand): number | null {
  if (cmd.type === 'timeout' || cmd.type === 'deviceGone') return null;
  const m = memberOf(call, cmd.userId);
  if (!m) return 8010;
  const live = call.status !== 'ended';
  // Past its deadline an invitation counts as not answered even before its timer fires.
  const expired = m.state === 'ringing' && m.ringDeadline !== undefined && cmd.now >= m.ringDeadline;
  if (cmd.type === 'hangup') return live && ((m.state === 'ringing' && !expired) || m.state === 'joined') ? null : 8010;
  if (m.role === 'Caller' && m.state === 'joined') return -1203;
  return live && m.state === 'ringing' && !expired ? null : 8010;
}

const isCancel = (call: Call, cmd: CallCommand): boolean =>
  cmd.type === 'hangup' && call.status === 'calling' && memberOf(call, cmd.userId)?.role === 'Caller';

/**
 * DESIGN.md "A call ends when at most one member is connected and nobody is still ringing, or when
 * the caller cancels": whether a live call must be over once the command's own change is made.
 */
export function mustEnd(before: Call, cmd: CallCommand): boolean {
  if (isCancel(before, cmd)) return true;
  const actor = 'userId' in cmd ? memberOf(before, cmd.userId) : undefined;
  const stillJoined = joined(before).filter((m) => !(cmd.type === 'hangup' && m === actor));
  if (cmd.type === 'accept' && actor) stillJoined.push(actor);
  const stillRinging = ringing(before).filter((m) => {
    if (cmd.type === 'timeout') return (m.ringDeadline ?? Infinity) > cmd.now;
    return !(m === actor && cmd.type !== 'ignore');
  });
  // Nobody connected: invitations still ringing into an empty room are cancelled.
  return stillJoined.length === 0 || (stillJoined.length <= 1 && stillRinging.length === 0);
}

/** A failed check, with the step that broke it. */
export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
}

/**
 * Replays one call: applies each command to the previous state (kept as-is on refusal), checks the
 * state and effect invariants after every step, and the end-of-run ones in `finish`.
 */
export class RunChecker {
  call: Call;
  readonly trace: string[] = [];
  private now: number;
  private seq = 0;
  private callbackSeq = 0;
  private records = 0;
  private endCallbacks = 0;
  private accepted = false;
  private interrupt = false;
  private readonly released = new Map<string, number>();
  private readonly heard = new Map<string, string[]>();
  private readonly silenced = new Set<string>();

  /** `owner` maps every connection id the run may use to the user it belongs to. */
  constructor(
    private readonly start: StartCommand,
    private readonly owner: ReadonlyMap<string, string>,
  ) {
    this.now = start.now;
    this.trace.push(describeCommand(start, start.now));
    const t = this.attempt(() => startCall(deepFreeze(structuredClone(start))));
    if (!t.ok) throw t.error;
    this.call = t.transition.call;
    this.absorb(t.transition, start.now, undefined, start.invitees.every((i) => i.busy));
  }

  /** Applies one command and checks every invariant; refusals must be the documented ones and change nothing. */
  apply(cmd: CallCommand): void {
    this.trace.push(describeCommand(cmd, this.start.now));
    this.check(cmd.now >= this.now, 'time never goes back', `${cmd.now} < ${this.now}`);
    this.now = cmd.now;
    const before = deepFreeze(this.call);
    const expected = expectedRefusal(before, cmd);
    const t = this.attempt(() => applyCommand(before, cmd));
    if (!t.ok) {
      if (!(t.error instanceof CallRuleError)) throw t.error; // e.g. a TypeError: the machine mutated its frozen input
      this.check(t.error.code === expected, 'refusals follow the state rules', `expected ${expected ?? 'success'}, got ${t.error.code} (${t.error.message})`);
      return;
    }
    this.check(expected === null, 'refusals follow the state rules', `expected refusal ${expected}, but the command was applied`);
    const { call, effects } = t.transition;
    if (before.status === 'ended') {
      this.check(effects.length === 0 && isDeepStrictEqual(call, before), 'an ended call stays ended and silent', JSON.stringify(effects));
      return;
    }
    if (cmd.type === 'accept' && memberOf(before, cmd.userId)?.role === 'Called') this.accepted = true;
    // DESIGN.md: `Interrupt` is the result when a connected member's hangup with that reason ends the call.
    this.interrupt = cmd.type === 'hangup' && cmd.reason === 'Interrupt' && memberOf(before, cmd.userId)?.state === 'joined';
    this.checkCommand(before, cmd, t.transition);
    this.absorb(t.transition, cmd.now, cmd, mustEnd(before, cmd));
    this.call = call;
  }

  /** Drives the call to its end (a timeout long after every deadline, then everyone hangs up) and checks the end-of-run invariants. */
  finish(): void {
    const lastDeadline = Math.max(this.now, ...this.call.members.map((m) => m.ringDeadline ?? 0));
    const end = lastDeadline + 3_600_000;
    this.apply({ type: 'timeout', now: end });
    for (const { userId } of this.call.members) {
      const d = memberOf(this.call, userId)?.device ?? device(`${userId}-end`);
      this.apply({ type: 'hangup', now: end, userId, device: d });
    }
    this.check(this.call.status === 'ended', 'every call ends', `status ${this.call.status}`);
    this.check(this.records === 1 && this.endCallbacks === 1, 'an ended call has one record and one end callback', `${this.records}/${this.endCallbacks}`);
    for (const m of this.call.members) {
      const n = this.released.get(m.userId) ?? 0;
      const want = m.state === 'busy' ? 0 : 1;
      this.check(n === want, 'each non-busy member’s line is released once, busy lines never', `${m.userId} (${m.state}) released ${n}×`);
    }
    const callerDevice = this.start.caller.device.connectionId;
    for (const [connectionId, events] of this.heard) {
      const count = (e: string) => events.filter((x) => x === e).length;
      if (events.includes('onCallBegin')) {
        this.check(count('onCallEnd') === 1, 'a device that began gets exactly one onCallEnd', `${connectionId}: ${events.join(', ')}`);
      } else if ((events.includes('onCallReceived') && !this.silenced.has(connectionId)) || connectionId === callerDevice) {
        this.check(count('onCallNotConnected') === 1, 'a device that never connected is told once', `${connectionId}: ${events.join(', ')}`);
      }
    }
  }

  private attempt(fn: () => Transition): { ok: true; transition: Transition } | { ok: false; error: unknown } {
    try {
      return { ok: true, transition: fn() };
    } catch (error) {
      return { ok: false, error };
    }
  }

  private check(ok: boolean, invariant: string, detail: string): void {
    if (ok) return;
    const steps = this.trace.map((line, i) => `  ${i === 0 ? '   ' : `${String(i).padStart(2)}.`} ${line}`).join('\n');
    throw new InvariantViolation(`${invariant} — ${detail}\n  after step ${this.trace.length - 1} of:\n${steps}`);
  }

  /** What the command itself must have done to the acting member (model of answer.ts / hangup.ts / timeout.ts). */
  private checkCommand(before: Call, cmd: CallCommand, { call, effects }: Transition): void {
    const heardNow = (connectionId: string) => eventsTo(effects, connectionId).map((e) => `${e.event}:${String(e.data.reason ?? '')}`);
    if (cmd.type === 'timeout' || cmd.type === 'deviceGone') {
      if (cmd.type === 'deviceGone') {
        this.silenced.add(cmd.connectionId);
        this.check(effects.length === 0, 'deviceGone only forgets a ring target', JSON.stringify(effects));
      }
      if (cmd.type === 'timeout' && !ringing(before).some((m) => (m.ringDeadline ?? Infinity) <= cmd.now)) {
        this.check(effects.length === 0 && isDeepStrictEqual(call, before), 'an early or repeated timeout changes nothing', JSON.stringify(effects));
      }
      for (const m of call.members) {
        this.check(!m.ringing.some((d) => cmd.type === 'deviceGone' && d.connectionId === cmd.connectionId), 'a gone device rings no more', m.userId);
        this.check(!(cmd.type === 'timeout' && m.state === 'ringing' && (m.ringDeadline ?? Infinity) <= cmd.now), 'no invitation rings past its deadline after a timeout', m.userId);
      }
      return;
    }
    const was = memberOf(before, cmd.userId) as Member;
    const is = memberOf(call, cmd.userId) as Member;
    const otherRinging = was.ringing.filter((d) => d.connectionId !== cmd.device.connectionId);
    if (cmd.type === 'ignore') {
      this.silenced.add(cmd.device.connectionId);
      this.check(effects.length === 0 && is.state === 'ringing' && isDeepStrictEqual(is.ringing, otherRinging), 'ignore silences only that device', JSON.stringify(is));
    } else if (cmd.type === 'accept') {
      const ok = (is.state === 'joined' && is.device?.connectionId === cmd.device.connectionId) || call.status === 'ended';
      this.check(ok, 'the accepting device becomes the call device', JSON.stringify(is));
      for (const d of otherRinging) this.check(isDeepStrictEqual(heardNow(d.connectionId), ['onCallNotConnected:OtherDeviceAccepted']), 'the other ringing devices hear OtherDeviceAccepted', d.connectionId);
    } else if (was.state === 'ringing') {
      this.check(is.state === 'rejected', 'a reject (or a ringing hangup) rejects for the user', is.state);
      for (const d of otherRinging) this.check(isDeepStrictEqual(heardNow(d.connectionId), ['onCallNotConnected:OtherDeviceReject']), 'the other ringing devices hear OtherDeviceReject', d.connectionId);
      this.check(heardNow(cmd.device.connectionId)[0] === 'onCallNotConnected:Reject', 'the rejecting device hears Reject', heardNow(cmd.device.connectionId).join());
    } else {
      this.check(is.state === 'left', 'a hangup by a connected member makes her leave', is.state);
      if (isCancel(before, cmd)) {
        for (const m of ringing(before)) this.check(memberOf(call, m.userId)?.state === 'canceled', 'a cancel cancels every ringing invitation', m.userId);
      }
    }
  }

  /** Effect-level invariants, then state-level ones, for one successful transition. */
  private absorb({ call, effects }: Transition, now: number, cmd: CallCommand | undefined, shouldEnd: boolean): void {
    const members = new Set(call.members.map((m) => m.userId));
    let endedHere = 0;
    for (const e of effects) {
      if (e.kind === 'send') {
        this.check(e.seq === this.seq + 1, 'event seq goes up by exactly one', `${e.event} seq ${e.seq} after ${this.seq}`);
        this.seq = e.seq;
        this.check(e.time === now && e.data.callId === call.callId && e.to.length > 0, 'events carry time and callId', JSON.stringify(e));
        for (const d of e.to) this.hear(d.connectionId, e.event, call, cmd, members);
      } else if (e.kind === 'callback') {
        this.check(e.seq === this.callbackSeq + 1 && e.time === now, 'callback Seq goes up by exactly one', `${e.command} seq ${e.seq} after ${this.callbackSeq}`);
        this.check(this.endCallbacks === 0, 'nothing is called back after the end callback', e.command);
        this.check((e.seq === 1) === (e.command === 'Call.CallbackAfterStartCall'), 'the start callback comes first, once', e.command);
        this.callbackSeq = e.seq;
        if (e.command === 'Call.CallbackAfterEndCall') (this.endCallbacks += 1), (endedHere += 1);
      } else if (e.kind === 'record') {
        this.records += 1;
        this.checkRecord(e.record, call, cmd);
      } else if (e.kind === 'releaseLine') {
        const n = (this.released.get(e.userId) ?? 0) + 1;
        this.released.set(e.userId, n);
        const m = memberOf(call, e.userId);
        this.check(n === 1 && m !== undefined && m.state !== 'busy' && m.state !== 'ringing' && m.state !== 'joined', 'a line is released once, when its member is done, never for busy', `${e.userId} (${m?.state}) ×${n}`);
      }
    }
    this.check(call.seq === this.seq && call.callbackSeq === this.callbackSeq, 'the call keeps its counters', `${call.seq}/${call.callbackSeq}`);
    this.check((call.status === 'ended') === shouldEnd, 'the call ends exactly when ≤1 member is connected and nobody rings, or on cancel', `status ${call.status}, joined [${joined(call).map((m) => m.userId)}], ringing [${ringing(call).map((m) => m.userId)}]`);
    this.check(endedHere === (shouldEnd ? 1 : 0) && this.records === this.endCallbacks, 'the step that ends the call writes the record and the end callback', `${this.records}/${this.endCallbacks}`);
    this.checkState(call);
  }

  /** Per-device event rules: what a device may hear given what it heard before. */
  private hear(connectionId: string, event: string, call: Call, cmd: CallCommand | undefined, members: Set<string>): void {
    const user = this.owner.get(connectionId);
    this.check(user !== undefined && members.has(user), 'events go to members’ devices only', `${event} to ${connectionId} (${user})`);
    const log = this.heard.get(connectionId) ?? [];
    this.heard.set(connectionId, log);
    const done = log.find((e) => e === 'onCallEnd' || e === 'onCallNotConnected');
    this.check(done === undefined, 'a device whose part ended hears nothing more', `${connectionId} got ${event} after ${done}`);
    if (event === 'onCallReceived') this.check(cmd === undefined, 'invitations ring only at start', connectionId);
    if (event === 'onCallBegin') {
      this.check(!log.includes('onCallBegin'), 'a device begins at most once', connectionId);
      if (user === call.callerId) this.check(cmd?.type === 'accept' && cmd.userId !== user && call.acceptedAt !== undefined, 'the caller begins only when an invitee accepts', connectionId);
    }
    if (event === 'onCallEnd') this.check(log.includes('onCallBegin'), 'onCallEnd only after onCallBegin', connectionId);
    if (event === 'onCallNotConnected') this.check(!log.includes('onCallBegin'), 'never onCallNotConnected after onCallBegin', connectionId);
    log.push(event);
  }

  private checkRecord(record: CallRecord, call: Call, cmd: CallCommand | undefined): void {
    const { interrupt } = this;
    const result = interrupt ? 'Interrupt' : this.accepted ? 'NormalEnd' : record.CallResult === 'NormalEnd' ? 'not NormalEnd' : record.CallResult;
    this.check(record.CallResult === result, 'CallResult is NormalEnd iff someone accepted (Interrupt when forced)', `${record.CallResult}, expected ${result}`);
    if (!interrupt && isCancelOf(this.start, cmd, call)) this.check(record.CallResult === 'Cancel', 'a cancel records Cancel', record.CallResult);
    const expected = {
      CallId: this.start.callId,
      Caller_Account: this.start.caller.userId,
      MediaType: this.start.mediaType,
      CallType: this.start.callType,
      StartTime: Math.floor(this.start.now / 1000),
      EndTime: Math.floor(this.now / 1000),
      AcceptTime: call.acceptedAt === undefined ? 0 : Math.floor(call.acceptedAt / 1000),
      CallResult: record.CallResult,
      CalleeList_Account: [this.start.caller.userId, ...this.start.invitees.map((i) => i.userId)],
      RoomId: String(this.start.roomId),
      RoomIdType: this.start.roomIdType,
    };
    this.check(isDeepStrictEqual(record, expected), 'the record has the documented fields', `${JSON.stringify(record)} vs ${JSON.stringify(expected)}`);
    this.check(this.accepted === (call.acceptedAt !== undefined), 'AcceptTime is set iff an invitee accepted', String(call.acceptedAt));
  }

  /** State-level invariants that hold after every step. */
  private checkState(call: Call): void {
    const seen = new Map<string, string>();
    for (const m of call.members) {
      if (m.state === 'joined') this.check(m.device !== undefined && m.ringing.length === 0, 'a joined member has one call device and rings nowhere', m.userId);
      else if (m.state !== 'ringing') this.check(m.ringing.length === 0, 'a member whose part ended rings nowhere', m.userId);
      const live = m.state === 'joined' ? [m.device as DeviceRef] : m.state === 'ringing' ? m.ringing : [];
      for (const d of live) {
        this.check(this.owner.get(d.connectionId) === m.userId, 'a member only uses her own devices', `${m.userId} on ${d.connectionId}`);
        this.check(!seen.has(d.connectionId), 'no two members share a device', `${d.connectionId}: ${seen.get(d.connectionId)} and ${m.userId}`);
        seen.set(d.connectionId, m.userId);
      }
    }
    const live = call.status !== 'ended';
    this.check(!live || joined(call).length >= 2 || ringing(call).length >= 1, 'a live call has two connected members or someone ringing', `joined [${joined(call).map((m) => m.userId)}]`);
    this.check(live || (joined(call).length === 0 && ringing(call).length === 0), 'an ended call has no live member', call.status);
    this.check((call.status === 'calling') === (call.acceptedAt === undefined) || call.status === 'ended', 'connected iff someone accepted', call.status);
  }
}

const isCancelOf = (start: StartCommand, cmd: CallCommand | undefined, call: Call): boolean =>
  cmd?.type === 'hangup' && cmd.userId === start.caller.userId && call.acceptedAt === undefined;
