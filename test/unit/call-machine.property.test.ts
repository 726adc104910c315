import fc from 'fast-check';
import { describe, it } from 'vitest';
import type { CallCommand, DeviceRef, StartCommand } from '../../lib/calls/index.ts';
import { describeCommand, device, RunChecker, startCommand, T0 } from '../support/machine-model.ts';

// Model-based tests of the pure call machine: random starts, random command sequences, and after
// every step the invariants of DESIGN.md (checked by RunChecker, see test/support/machine-model.ts).
// FC_RUNS raises the number of runs, e.g. `FC_RUNS=100000 npx vitest run test/unit/call-machine.property*`;
// FC_SEED replays the seed a failure printed.
const RUNS = Number(process.env.FC_RUNS ?? 2_000);

/** Abstract steps: user and device are indexes taken modulo the actual counts, so they stay valid while the start shrinks. */
type Step =
  | { kind: 'act'; action: 'accept' | 'reject' | 'ignore' | 'hangup'; user: number; device: number; interrupt: boolean; advanceMs: number }
  | { kind: 'timeout'; when: 'at' | 'before' | 'after'; offsetMs: number; repeat: 1 | 2 }
  | { kind: 'deviceGone'; user: number; device: number; advanceMs: number };

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
      // Accepts most often, so that group calls get to have several connected members.
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
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deviceGone' as const), user: userArb, device: fc.nat(9), advanceMs: advanceArb }) },
);

/** An invitee: 0..3 ring targets (0: offline, still rings until the deadline), busy one time in five. */
const inviteeArb = fc.record({ devices: fc.integer({ min: 0, max: 3 }), busy: fc.nat(4).map((n) => n === 4) });

const startArb = fc.record({
  // Small calls most often (their members meet each other more), up to the 9-member limit sometimes.
  invitees: fc.oneof(
    { weight: 3, arbitrary: fc.array(inviteeArb, { minLength: 1, maxLength: 3 }) },
    { weight: 1, arbitrary: fc.array(inviteeArb, { minLength: 1, maxLength: 8 }) },
  ),
  callerDevices: fc.integer({ min: 1, max: 2 }),
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

/** Resolves abstract steps into commands: indexes to users and devices, time offsets to non-decreasing `now`s. */
function toScenario({ start: s, steps }: { start: StartShape; steps: Step[] }): Scenario {
  // Users: u0 the caller, u1.. the invitees, and one outsider who is not in the call.
  const devicesOf = new Map<string, DeviceRef[]>();
  const owner = new Map<string, string>();
  const addUser = (userId: string, count: number) => {
    // Each user also has one device that was not ringing (logged in later, or not a ring target).
    const list = [...Array.from({ length: count }, (_, i) => device(`${userId}-d${i}`)), device(`${userId}-new`)];
    devicesOf.set(userId, list);
    for (const d of [...list, device(`${userId}-end`)]) owner.set(d.connectionId, userId);
  };
  addUser('u0', s.callerDevices);
  s.invitees.forEach((inv, i) => addUser(`u${i + 1}`, inv.devices));
  addUser('outsider', 1);
  const users = [...devicesOf.keys()];
  const invitees = s.invitees.map((inv, i) => ({ userId: `u${i + 1}`, ringTargets: (devicesOf.get(`u${i + 1}`) ?? []).slice(0, inv.devices), busy: inv.busy }));
  const start = startCommand(invitees, { caller: { userId: 'u0', device: device('u0-d0') }, timeoutSec: s.timeoutSec });
  const deadline = T0 + s.timeoutSec * 1000;

  let now = T0;
  const gone = new Set<string>();
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
    const list = devicesOf.get(userId) ?? [];
    const d = list[step.device % list.length] as DeviceRef;
    if (step.kind === 'deviceGone') {
      gone.add(d.connectionId);
      commands.push({ type: 'deviceGone', now, connectionId: d.connectionId });
    } else if (!gone.has(d.connectionId)) {
      // A gone connection cannot send frames any more, so it never acts again.
      const reason = step.action === 'hangup' && step.interrupt ? { reason: 'Interrupt' as const } : {};
      commands.push({ type: step.action, now, userId, device: d, ...reason });
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
  // mutated; joined members have one call device and ring nowhere; the call is live iff ≥2 are connected or
  // someone rings (or it was cancelled), and ended stays ended and silent; event seq and callback Seq go up
  // by exactly one; events reach members' devices only, and no device after its onCallEnd/onCallNotConnected;
  // no invitation rings past its deadline after a timeout; the caller begins only when an invitee accepts.
  // At the end — one record with the documented fields (NormalEnd iff someone accepted), one end callback,
  // each non-busy line released once, every begun device ended once, every other invited device told once.
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
