import fc from 'fast-check';
import { describe, it } from 'vitest';
import type { CallCommand, DeviceRef, EndReason, StartCommand } from '../../lib/calls/index.ts';
import { describeCommand, device, reconnected, RunChecker, startCommand, T0 } from '../support/machine-model.ts';

// Model-based tests of the pure call machine: random starts, random command sequences, and after
// every step the invariants of DESIGN.md (checked by RunChecker, see test/support/machine-model.ts).
// FC_RUNS raises the number of runs, e.g. `FC_RUNS=100000 npx vitest run test/unit/call-machine.property*`;
// FC_SEED replays the seed a failure printed.
const RUNS = Number(process.env.FC_RUNS ?? 2_000);

/**
 * Abstract steps: user and device are indexes taken modulo the actual counts, so they stay valid while the
 * start shrinks. `device` picks one of the user's devices (by deviceId); the command uses its current connection.
 */
type Step =
  | { kind: 'act'; action: 'accept' | 'reject' | 'ignore' | 'hangup'; user: number; device: number; interrupt: boolean; advanceMs: number }
  | { kind: 'timeout'; when: 'at' | 'before' | 'after'; offsetMs: number; repeat: 1 | 2 }
  | { kind: 'deviceGone'; user: number; device: number; notifyReason: EndReason | null; advanceMs: number }
  /** A device logs in: a new one, or a reconnect of one of hers (same deviceId, new connection); now, or right at the deadline. */
  | { kind: 'deviceOnline'; user: number; device: number; reconnect: boolean; when: 'now' | 'justBefore' | 'atDeadline'; advanceMs: number }
  /** Her connection is offline for good: the one she is probably in the call on, one of her current ones, or an old one (stale). */
  | { kind: 'memberOffline'; user: number; device: number; target: 'call' | 'current' | 'stale'; advanceMs: number };

const advanceArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant(0) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 5_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 120_000 }) },
);

/** Mostly the first few users (the caller and the first invitees), so that commands meet each other; sometimes anyone, the outsider included. */
const userArb = fc.oneof(
  { weight: 1, arbitrary: fc.constant(0) },
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 3 }) },
  { weight: 1, arbitrary: fc.nat(99) },
);

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 8,
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
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('timeout' as const),
      when: fc.constantFrom('at' as const, 'before' as const, 'after' as const, 'before' as const),
      offsetMs: fc.integer({ min: 0, max: 60_000 }),
      repeat: fc.constantFrom(1 as const, 2 as const),
    }),
  },
  {
    weight: 2,
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
    weight: 3,
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
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('memberOffline' as const),
      user: userArb,
      device: fc.nat(9),
      target: fc.constantFrom('call' as const, 'call' as const, 'current' as const, 'stale' as const),
      advanceMs: advanceArb,
    }),
  },
);

/** An invitee: 1..4 logged-in devices of which 0..all ring (0: rings nowhere until a device logs in), busy one time in five. */
const inviteeArb = fc.record({ devices: fc.integer({ min: 1, max: 4 }), ringing: fc.nat(4), busy: fc.nat(4).map((n) => n === 4) });

const startArb = fc.record({
  // Small calls most often (their members meet each other more), up to the 9-member limit sometimes.
  invitees: fc.oneof(
    { weight: 3, arbitrary: fc.array(inviteeArb, { minLength: 1, maxLength: 3 }) },
    { weight: 1, arbitrary: fc.array(inviteeArb, { minLength: 1, maxLength: 8 }) },
  ),
  callerDevices: fc.integer({ min: 1, max: 4 }),
  timeoutSec: fc.integer({ min: 10, max: 600 }),
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

/**
 * Resolves abstract steps into commands: indexes to users and devices, time offsets to non-decreasing
 * `now`s. It keeps a rough idea of who is in the call on which connection (the caller's first device, a
 * user's first accepting connection, followed through reconnects), so that `memberOffline` often hits.
 */
function toScenario({ start: s, steps }: { start: StartShape; steps: Step[] }): Scenario {
  // Users: u0 the caller, u1.. the invitees, and one outsider who is not in the call.
  const slotsOf = new Map<string, Slot[]>();
  const owner = new Map<string, string>();
  const addUser = (userId: string, count: number) => {
    slotsOf.set(userId, Array.from({ length: count }, (_, i) => ({ current: device(`${userId}-d${i}`), earlier: [] })));
    for (let i = 0; i < count; i++) owner.set(`${userId}-d${i}`, userId);
    owner.set(`${userId}-end`, userId);
  };
  addUser('u0', s.callerDevices);
  s.invitees.forEach((inv, i) => addUser(`u${i + 1}`, inv.devices));
  addUser('outsider', 1);
  const users = [...slotsOf.keys()];
  // The most recently logged-in devices ring (the last `ringing` of them).
  const invitees = s.invitees.map((inv, i) => ({
    userId: `u${i + 1}`,
    ringTargets: (slotsOf.get(`u${i + 1}`) ?? []).slice(inv.devices - Math.min(inv.ringing, inv.devices)).map((slot) => slot.current),
    busy: inv.busy,
  }));
  const start = startCommand(invitees, { caller: { userId: 'u0', device: device('u0-d0') }, timeoutSec: s.timeoutSec });
  const deadline = T0 + s.timeoutSec * 1000;

  let now = T0;
  let logins = 0;
  const gone = new Set<string>();
  const inCallOn = new Map<string, string>([['u0', 'u0-d0']]);
  const commands: CallCommand[] = [];
  for (const step of steps) {
    if (step.kind === 'timeout') {
      const at = { at: deadline, before: Math.min(now + step.offsetMs, deadline - 1), after: deadline + step.offsetMs }[step.when];
      now = Math.max(now, at);
      for (let i = 0; i < step.repeat; i++) commands.push({ type: 'timeout', now });
      continue;
    }
    now += step.advanceMs;
    const userId = users[step.user % users.length] as string;
    const slots = slotsOf.get(userId) ?? [];
    const slot = slots[step.device % slots.length] as Slot;
    if (step.kind === 'deviceOnline') {
      now = Math.max(now, { now, justBefore: deadline - 1, atDeadline: deadline }[step.when]);
      logins += 1;
      let d: DeviceRef;
      if (step.reconnect) {
        // The same device on a new connection: the old connection is gone for good.
        d = reconnected(slot.current, `${slot.current.connectionId.replace(/~.*$/, '')}~${logins}`);
        gone.add(slot.current.connectionId);
        if (inCallOn.get(userId) === slot.current.connectionId) inCallOn.set(userId, d.connectionId);
        slot.earlier.push(slot.current);
        slot.current = d;
      } else {
        d = device(`${userId}-x${logins}`);
        slots.push({ current: d, earlier: [] });
      }
      owner.set(d.connectionId, userId);
      commands.push({ type: 'deviceOnline', now, userId, device: d });
    } else if (step.kind === 'memberOffline') {
      const stale = slot.earlier[slot.earlier.length - 1]?.connectionId;
      const target = { call: inCallOn.get(userId), current: slot.current.connectionId, stale }[step.target] ?? slot.current.connectionId;
      gone.add(target);
      commands.push({ type: 'memberOffline', now, userId, connectionId: target });
    } else if (step.kind === 'deviceGone') {
      gone.add(slot.current.connectionId);
      commands.push({ type: 'deviceGone', now, connectionId: slot.current.connectionId, ...(step.notifyReason ? { notifyReason: step.notifyReason } : {}) });
    } else if (!gone.has(slot.current.connectionId)) {
      // A gone connection cannot send frames any more, so it never acts again.
      const reason = step.action === 'hangup' && step.interrupt ? { reason: 'Interrupt' as const } : {};
      commands.push({ type: step.action, now, userId, device: slot.current, ...reason });
      if (step.action === 'accept' && !inCallOn.has(userId)) inCallOn.set(userId, slot.current.connectionId);
    }
  }
  return {
    start,
    commands,
    owner,
    [fc.toStringMethod]: () => ['', describeCommand(start, T0), ...commands.map((c, i) => `${String(i + 1).padStart(2)}. ${describeCommand(c, T0)}`)].join('\n'),
  };
}

const scenarioArb = fc.record({ start: startArb, steps: fc.array(stepArb, { minLength: 1, maxLength: 40, size: 'max' }) }).map(toScenario);

describe('call machine (model-based)', () => {
  // One property checks them all (RunChecker), so each random run is replayed once:
  // after every step — refusals are the documented codes and leave the call as it was; the input is never
  // mutated; joined members have one call device (the one they answered on, or its reconnect) and ring nowhere;
  // first answer wins (a further accept by any device of a connected member is 8010); the call is live iff
  // ≥2 are connected or someone rings (or it was cancelled), and ended stays ended and silent; event seq and
  // callback Seq go up by exactly one; events reach members' devices only, and no device after its
  // onCallEnd/onCallNotConnected, nor a connection that was dropped (gone while ringing, replaced by a
  // reconnect, offline); invitations ring at start or on a connection that logs in before the deadline
  // (deviceOnline: exact events and state); deviceGone forgets only that ring target (and tells it why when
  // kicked); memberOffline of her call connection makes her leave without a word to that device, the others
  // told with reason Offline, a 1v1 ending as Offline; of any other connection, nothing; no invitation rings
  // past its deadline after a timeout; the caller begins only when an invitee accepts.
  // At the end — one record with the documented fields (NormalEnd iff someone accepted), one end callback,
  // each non-busy line released once, every begun device ended once, every other rung device told once.
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
