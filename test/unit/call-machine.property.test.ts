import fc from 'fast-check';
import { describe, it } from 'vitest';
import type { CallCommand, DeviceRef, EndReason, InviteeInfo, MediaType, Platform, StartCommand } from '../../lib/calls/index.ts';
import { describeCommand, device, reconnected, RunChecker, startCommand, T0 } from '../support/machine-model.ts';

// Model-based tests of the pure call machine: random starts, random command sequences, and after
// every step the invariants of DESIGN.md (checked by RunChecker, see test/support/machine-model.ts).
// FC_RUNS raises the number of runs, e.g. `FC_RUNS=100000 npx vitest run test/unit/call-machine.property*`;
// FC_SEED replays the seed a failure printed.
const RUNS = Number(process.env.FC_RUNS ?? 10_000);

/**
 * Abstract steps: user and device are indexes taken modulo the actual counts, so they stay valid while the
 * start shrinks. `device` picks one of the user's devices (by deviceId); the command uses its current connection.
 * A user index of 100 or more names one of the users who are not in the call at the start (the pool).
 */
type Step =
  | { kind: 'act'; action: 'accept' | 'reject' | 'ignore' | 'hangup'; user: number; device: number; interrupt: boolean; advanceMs: number }
  /** A timer fires at one of the deadlines known so far (`pick`), or before or after it. */
  | { kind: 'timeout'; when: 'at' | 'before' | 'after'; offsetMs: number; repeat: 1 | 2; pick: number }
  | { kind: 'deviceGone'; user: number; device: number; notifyReason: EndReason | null; advanceMs: number }
  /** A device logs in: a new one, or a reconnect of one of hers (same deviceId, new connection); now, or right at her deadline. */
  | { kind: 'deviceOnline'; user: number; device: number; reconnect: boolean; when: 'now' | 'justBefore' | 'atDeadline'; advanceMs: number }
  /** Her connection is offline for good: the one she is probably in the call on, one of her current ones, or an old one (stale). */
  | { kind: 'memberOffline'; user: number; device: number; target: 'call' | 'current' | 'stale'; advanceMs: number }
  /** A user (on her probable call device, or any of hers) invites 1..3 users: members, former members, newcomers, some busy. */
  | { kind: 'invite'; user: number; target: 'call' | 'current'; device: number; invitees: { user: number; ringing: number; busy: boolean }[]; timeoutSec: number; advanceMs: number }
  | { kind: 'join'; user: number; device: number; invitedOnly: boolean; advanceMs: number }
  | { kind: 'switchMedia'; user: number; target: 'call' | 'current'; device: number; mediaType: MediaType; advanceMs: number }
  /** An admin ends the call (REST end_call): rare, so that most calls live on. */
  | { kind: 'endByServer'; advanceMs: number };

const advanceArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant(0) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 5_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 120_000 }) },
);

/** Mostly the first few users (the caller and the first invitees), so that commands meet each other; sometimes anyone, the pool included. */
const userArb = fc.oneof(
  { weight: 1, arbitrary: fc.constant(0) },
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 3 }) },
  { weight: 1, arbitrary: fc.nat(99) },
);
/** Anyone, with users outside the call (the pool) as likely as the first invitees. */
const anyoneArb = fc.oneof({ weight: 3, arbitrary: userArb }, { weight: 2, arbitrary: fc.integer({ min: 100, max: 103 }) });
/** Inviters and media switchers: the caller more often (she is in the call from the start). */
const memberArb = fc.oneof({ weight: 2, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: userArb });

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 32,
    arbitrary: fc.record({
      kind: fc.constant('act' as const),
      // Accepts most often, so that group calls get to have several connected members (and late accepts meet first-answer-wins).
      action: fc.constantFrom('accept' as const, 'accept' as const, 'accept' as const, 'hangup' as const, 'hangup' as const, 'reject' as const, 'ignore' as const),
      user: userArb,
      device: fc.nat(9),
      interrupt: fc.boolean(),
      advanceMs: advanceArb,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('timeout' as const),
      when: fc.constantFrom('at' as const, 'before' as const, 'after' as const, 'before' as const),
      offsetMs: fc.integer({ min: 0, max: 60_000 }),
      repeat: fc.constantFrom(1 as const, 2 as const),
      pick: fc.nat(9),
    }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('deviceGone' as const),
      user: userArb,
      device: fc.nat(9),
      // Silently gone (410, disconnect), or kicked and told why.
      notifyReason: fc.constantFrom(null, null, 'Unknown' as const, 'Offline' as const),
      advanceMs: advanceArb,
    }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('deviceOnline' as const),
      user: userArb,
      device: fc.nat(9),
      reconnect: fc.boolean(),
      when: fc.constantFrom('now' as const, 'now' as const, 'now' as const, 'justBefore' as const, 'atDeadline' as const),
      advanceMs: advanceArb,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('memberOffline' as const),
      user: userArb,
      device: fc.nat(9),
      target: fc.constantFrom('call' as const, 'call' as const, 'current' as const, 'stale' as const),
      advanceMs: advanceArb,
    }),
  },
  {
    weight: 12,
    arbitrary: fc.record({
      kind: fc.constant('invite' as const),
      user: memberArb,
      target: fc.constantFrom('call' as const, 'call' as const, 'current' as const),
      device: fc.nat(9),
      invitees: fc.array(fc.record({ user: anyoneArb, ringing: fc.nat(3), busy: fc.nat(4).map((n) => n === 4) }), { minLength: 1, maxLength: 3 }),
      timeoutSec: fc.integer({ min: 10, max: 600 }),
      advanceMs: advanceArb,
    }),
  },
  {
    weight: 12,
    arbitrary: fc.record({ kind: fc.constant('join' as const), user: anyoneArb, device: fc.nat(9), invitedOnly: fc.boolean(), advanceMs: advanceArb }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('switchMedia' as const),
      user: memberArb,
      target: fc.constantFrom('call' as const, 'call' as const, 'current' as const),
      device: fc.nat(9),
      mediaType: fc.constantFrom('Audio' as const, 'Video' as const),
      advanceMs: advanceArb,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('endByServer' as const), advanceMs: advanceArb }) },
);

/**
 * How many devices a user has logged in: none one time in four (she is offline: invited, she is pushed, and rings
 * nowhere until a device logs in), else 1..max.
 */
const devicesArb = (max: number) => fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.integer({ min: 1, max }) });

/** An invitee: 0..4 logged-in devices of which 0..all ring (0: rings nowhere, she is pushed), busy one time in five. */
const inviteeArb = fc.record({ devices: devicesArb(4), ringing: fc.nat(4), busy: fc.nat(4).map((n) => n === 4) });

const startArb = fc.record({
  // Small calls most often (their members meet each other more), up to the 9-member limit sometimes, close to it
  // sometimes (so that invites and joins meet the limit).
  invitees: fc.oneof(
    { weight: 6, arbitrary: fc.array(inviteeArb, { minLength: 1, maxLength: 3 }) },
    { weight: 2, arbitrary: fc.array(inviteeArb, { minLength: 1, maxLength: 8 }) },
    { weight: 1, arbitrary: fc.array(inviteeArb, { minLength: 6, maxLength: 8 }) },
  ),
  /** A call with one invitee is a group call (MultiCall) when this is set; with several, always. */
  multi: fc.boolean(),
  mediaType: fc.constantFrom('Audio' as const, 'Video' as const),
  callerDevices: fc.integer({ min: 1, max: 4 }),
  /** Devices of the users outside the call at the start (the pool: invited or joining later). */
  pool: fc.array(devicesArb(3), { minLength: 4, maxLength: 4 }),
  timeoutSec: fc.integer({ min: 10, max: 600 }),
  /** Moves the start within its second (T0 is at .807 s), so that records' whole seconds meet every fraction. */
  startShiftMs: fc.integer({ min: -807, max: 192 }),
});

/** A concrete run: the start, the commands in order, and who owns each connection. Prints as the command list. */
interface Scenario {
  start: StartCommand;
  commands: CallCommand[];
  owner: Map<string, string>;
  [fc.toStringMethod](): string;
}

type StartShape = typeof startArb extends fc.Arbitrary<infer T> ? T : never;

/** One device of a user: its current connection, and the connections it had before (reconnects). */
interface Slot {
  current: DeviceRef;
  earlier: DeviceRef[];
}

const PLATFORMS: Platform[] = ['Android', 'iOS', 'Web', 'Mac', 'Windows'];

/**
 * Resolves abstract steps into commands: indexes to users and devices, time offsets to non-decreasing
 * `now`s. It keeps a rough idea of who is in the call on which connection (the caller's first device, a
 * user's first accepting or joining connection, followed through reconnects, forgotten when she hangs up),
 * so that `memberOffline`, `invite` and `switchMedia` often come from the right device.
 */
function toScenario({ start: s, steps }: { start: StartShape; steps: Step[] }): Scenario {
  // Users: u0 the caller, u1.. the invitees, and p1.. who are not in the call at the start.
  const slotsOf = new Map<string, Slot[]>();
  const owner = new Map<string, string>();
  const addUser = (userId: string, count: number) => {
    slotsOf.set(userId, Array.from({ length: count }, (_, i) => ({ current: device(`${userId}-d${i}`, PLATFORMS[(slotsOf.size + i) % PLATFORMS.length]), earlier: [] })));
    for (let i = 0; i < count; i++) owner.set(`${userId}-d${i}`, userId);
    owner.set(`${userId}-end`, userId);
  };
  addUser('u0', s.callerDevices);
  s.invitees.forEach((inv, i) => addUser(`u${i + 1}`, inv.devices));
  s.pool.forEach((n, i) => addUser(`p${i + 1}`, n));
  const users = [...slotsOf.keys()];
  const pool = users.filter((u) => u.startsWith('p'));
  const userAt = (index: number) => (index >= 100 ? pool[(index - 100) % pool.length] : users[index % users.length]) as string;
  const gone = new Set<string>();
  /** The `ringing` most recently logged-in devices of a user that are still connected. */
  const ringTargets = (userId: string, ringing: number): DeviceRef[] => {
    const live = (slotsOf.get(userId) ?? []).map((slot) => slot.current).filter((d) => !gone.has(d.connectionId));
    return live.slice(live.length - Math.min(ringing, live.length));
  };
  const invitees = s.invitees.map((inv, i) => ({ userId: `u${i + 1}`, ringTargets: ringTargets(`u${i + 1}`, inv.ringing), busy: inv.busy }));
  const callType = invitees.length > 1 || s.multi ? ('MultiCall' as const) : ('SingleCall' as const);
  const t0 = T0 + s.startShiftMs;
  const start = startCommand(invitees, { now: t0, caller: { userId: 'u0', device: device('u0-d0') }, timeoutSec: s.timeoutSec, callType, mediaType: s.mediaType });
  const startDeadline = t0 + s.timeoutSec * 1000;
  const deadlines = [startDeadline];
  const deadlineOf = new Map<string, number>();

  let now = t0;
  let logins = 0;
  const inCallOn = new Map<string, string>([['u0', 'u0-d0']]);
  const commands: CallCommand[] = [];
  for (const step of steps) {
    if (step.kind === 'timeout') {
      const deadline = deadlines[step.pick % deadlines.length] as number;
      const at = { at: deadline, before: Math.min(now + step.offsetMs, deadline - 1), after: deadline + step.offsetMs }[step.when];
      now = Math.max(now, at);
      for (let i = 0; i < step.repeat; i++) commands.push({ type: 'timeout', now });
      continue;
    }
    now += step.advanceMs;
    if (step.kind === 'endByServer') {
      commands.push({ type: 'endByServer', now, by: 'administrator' });
      continue;
    }
    const userId = userAt(step.user);
    const slots = slotsOf.get(userId) ?? [];
    // Undefined for a user with no device (offline): she can only log one in.
    const slot: Slot | undefined = slots[step.device % Math.max(1, slots.length)];
    if (step.kind === 'deviceOnline') {
      const deadline = deadlineOf.get(userId) ?? startDeadline;
      now = Math.max(now, { now, justBefore: deadline - 1, atDeadline: deadline }[step.when]);
      logins += 1;
      let d: DeviceRef;
      if (step.reconnect && slot) {
        // The same device on a new connection: the old connection is gone for good.
        d = reconnected(slot.current, `${slot.current.connectionId.replace(/~.*$/, '')}~${logins}`);
        gone.add(slot.current.connectionId);
        if (inCallOn.get(userId) === slot.current.connectionId) inCallOn.set(userId, d.connectionId);
        slot.earlier.push(slot.current);
        slot.current = d;
      } else {
        d = device(`${userId}-x${logins}`, PLATFORMS[logins % PLATFORMS.length]);
        slots.push({ current: d, earlier: [] });
      }
      owner.set(d.connectionId, userId);
      commands.push({ type: 'deviceOnline', now, userId, device: d });
      continue;
    }
    if (!slot) continue;
    // The device she is probably in the call on, if any; else the picked one.
    const callOr = (target: 'call' | 'current'): DeviceRef => {
      const on = target === 'call' ? inCallOn.get(userId) : undefined;
      return slots.find((sl) => sl.current.connectionId === on)?.current ?? slot.current;
    };
    if (step.kind === 'memberOffline') {
      const stale = slot.earlier[slot.earlier.length - 1]?.connectionId;
      const target = { call: inCallOn.get(userId), current: slot.current.connectionId, stale }[step.target] ?? slot.current.connectionId;
      gone.add(target);
      if (inCallOn.get(userId) === target) inCallOn.delete(userId);
      commands.push({ type: 'memberOffline', now, userId, connectionId: target });
    } else if (step.kind === 'deviceGone') {
      gone.add(slot.current.connectionId);
      commands.push({ type: 'deviceGone', now, connectionId: slot.current.connectionId, ...(step.notifyReason ? { notifyReason: step.notifyReason } : {}) });
    } else {
      const by = step.kind === 'invite' || step.kind === 'switchMedia' ? callOr(step.target) : slot.current;
      // A gone connection cannot send frames any more, so it never acts again.
      if (gone.has(by.connectionId)) continue;
      if (step.kind === 'invite') {
        // Distinct invitees (a user listed twice is a separate question, see call-machine-group.test.ts).
        const picked = new Map<string, InviteeInfo>();
        for (const i of step.invitees) {
          const invitee = userAt(i.user);
          if (!picked.has(invitee)) picked.set(invitee, { userId: invitee, ringTargets: ringTargets(invitee, i.ringing), busy: i.busy });
        }
        const deadline = now + step.timeoutSec * 1000;
        deadlines.push(deadline);
        for (const invitee of picked.keys()) deadlineOf.set(invitee, deadline);
        commands.push({ type: 'invite', now, userId, device: by, invitees: [...picked.values()], timeoutSec: step.timeoutSec });
      } else if (step.kind === 'switchMedia') {
        commands.push({ type: 'switchMedia', now, userId, device: by, mediaType: step.mediaType });
      } else if (step.kind === 'join') {
        commands.push({ type: 'join', now, userId, device: by, invitedOnly: step.invitedOnly });
        if (!inCallOn.has(userId)) inCallOn.set(userId, by.connectionId);
      } else {
        const reason = step.action === 'hangup' && step.interrupt ? { reason: 'Interrupt' as const } : {};
        commands.push({ type: step.action, now, userId, device: by, ...reason });
        if (step.action === 'accept' && !inCallOn.has(userId)) inCallOn.set(userId, by.connectionId);
        if (step.action === 'hangup' && inCallOn.get(userId) === by.connectionId) inCallOn.delete(userId);
      }
    }
  }
  return {
    start,
    commands,
    owner,
    [fc.toStringMethod]: () => ['', describeCommand(start, t0), ...commands.map((c, i) => `${String(i + 1).padStart(2)}. ${describeCommand(c, t0)}`)].join('\n'),
  };
}

const scenarioArb = fc.record({ start: startArb, steps: fc.array(stepArb, { minLength: 1, maxLength: 40, size: 'max' }) }).map(toScenario);

describe('call machine (model-based)', () => {
  // One property checks them all (RunChecker), so each random run is replayed once:
  // after every step — refusals are the documented codes and leave the call as it was; the input is never
  // mutated; joined members have one call device (the one they answered or joined on, or its reconnect) and ring
  // nowhere; first answer wins (a further accept by any device of a connected member is 8010); the call is live iff
  // ≥2 are connected or someone rings (or it was cancelled), and ended stays ended and silent; event seq and
  // callback Seq go up by exactly one; events reach members' devices only, and no device after its
  // onCallEnd/onCallNotConnected (until its user is invited again or joins again), nor a connection that was
  // dropped (gone while ringing, replaced by a reconnect, offline); invitations ring at start, at an invite, or on a
  // connection that logs in before the deadline (deviceOnline: exact events and state); deviceGone forgets only
  // that ring target (and tells it why when kicked); memberOffline of her call connection makes her leave without
  // a word to that device, the others told with reason Offline, a 1v1 ending as Offline; of any other connection,
  // nothing; no invitation rings past its deadline after a timeout; the caller begins only when someone connects.
  // Group calls — invite, join and switchMedia have their exact refusal codes, events, callbacks and state; never
  // more than 9 members in the call or ringing; members' segments follow the model's timeline (ordered, closed once
  // the call ended, one open iff in the call); every event naming the media type names the current one; lines are
  // taken and released once per part.
  // Exact effects — every command's effects are predicted in full and in order by the model (start, accept, join,
  // reject, ignore, hangup as cancel or leave, timeout, deviceGone, deviceOnline, memberOffline, endByServer, invite,
  // switchMedia), offline pushes included. Offline pushes — an invitee who starts ringing on no device (offline
  // invitees are generated at the start and at invites) is pushed (Invite) and only she, never the caller at her own
  // call; each Invite is withdrawn (Cancel) exactly once, by the time her invitation stops ringing, never two Invites
  // in a row; `member.pushed` holds exactly while a pushed invitation rings; callback Seqs stay gapless with them.
  // At the end — one record with the documented fields (every member; NormalEnd iff someone besides the caller
  // connected) and details that follow the timeline (peak, connected time, each member's duration), one end
  // callback, every line released, every begun device ended once, every other rung device told once.
  it(`keeps the call invariants after every step of ${RUNS} random calls, and ends every call cleanly`, { timeout: Math.max(30_000, RUNS * 20) }, () => {
    fc.assert(
      fc.property(scenarioArb, ({ start, commands, owner }) => {
        const run = new RunChecker(start, owner);
        for (const cmd of commands) run.apply(cmd);
        run.finish();
      }),
      { numRuns: RUNS, ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}) },
    );
  });
});
