import fc from 'fast-check';
import { describe, it } from 'vitest';
import type { CallCommand, DeviceRef, StartCommand } from '../../lib/calls/index.ts';
import { describeCommand, device, RunChecker, startCommand, T0 } from '../support/machine-model.ts';

// Model-based tests of the pure call machine: random starts, random command sequences, and after
// every step the invariants of DESIGN.md (checked by RunChecker, see test/support/machine-model.ts).
// FC_RUNS raises the number of runs, e.g. `FC_RUNS=100000 npx vitest run test/unit/call-machine.property*`.
const RUNS = Number(process.env.FC_RUNS ?? 1_000);

/** Abstract steps: user and device are indexes taken modulo the actual counts, so they stay valid while the start shrinks. */
type Step =
  | { kind: 'act'; action: 'accept' | 'reject' | 'ignore' | 'hangup'; user: number; device: number; interrupt: boolean; advanceMs: number }
  | { kind: 'timeout'; when: 'at' | 'before' | 'after'; offsetMs: number; repeat: 1 | 2 }
  | { kind: 'deviceGone'; user: number; device: number; advanceMs: number };

const advanceArb = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: 120_000 }));

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('act' as const),
      action: fc.constantFrom('accept' as const, 'reject' as const, 'hangup' as const, 'ignore' as const),
      user: fc.nat(99),
      device: fc.nat(9),
      interrupt: fc.boolean(),
      advanceMs: advanceArb,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('timeout' as const),
      when: fc.constantFrom('at' as const, 'before' as const, 'after' as const),
      offsetMs: fc.integer({ min: 0, max: 60_000 }),
      repeat: fc.constantFrom(1 as const, 2 as const),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deviceGone' as const), user: fc.nat(99), device: fc.nat(9), advanceMs: advanceArb }) },
);

const startArb = fc.record({
  invitees: fc.array(fc.record({ devices: fc.integer({ min: 0, max: 3 }), busy: fc.nat(4).map((n) => n === 4) }), { minLength: 1, maxLength: 8 }),
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

const scenarioArb = fc.record({ start: startArb, steps: fc.array(stepArb, { minLength: 1, maxLength: 40 }) }).map(toScenario);

describe('call machine (model-based)', () => {
  it(`keeps DESIGN.md's invariants after every step of ${RUNS} random calls, and every call ends cleanly`, () => {
    fc.assert(
      fc.property(scenarioArb, ({ start, commands, owner }) => {
        const run = new RunChecker(start, owner);
        for (const cmd of commands) run.apply(cmd);
        run.finish();
      }),
      { numRuns: RUNS },
    );
  });
});
