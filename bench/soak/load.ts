import type { AppTarget } from './client.ts';
import { churnOnce } from './churn.ts';
import { group } from './group.ts';
import { KICKS_AND_DROPS } from './kicks.ts';
import { ONE_TO_ONE } from './one-to-one.ts';
import { sleep, within, type Ctx, type Scenario } from './scenario.ts';

/** Every kind of traffic, each with its weight (the mix is in the report). */
export const SCENARIOS: readonly Scenario[] = [...ONE_TO_ONE, group, ...KICKS_AND_DROPS];

/** How much load, for how long. */
export interface LoadOptions {
  durationMs: number;
  /** Scenario starts per second (most start one call; group and busy start more, idle kicks none). */
  rate: number;
  /** Churn operations per second. */
  churnPerSec: number;
  /** How long users of a failed scenario rest before reuse (the server settles their calls meanwhile). */
  quarantineMs: number;
}

/** How punctual the generator was: starts later than scheduled mean the generator, not the server, was the bottleneck. */
export interface LoadStats {
  scenariosStarted: number;
  churnStarted: number;
  /** Lateness of each start against its schedule (ms). */
  lagMs: number[];
  /** Most scenarios and churn operations running at once. */
  peakInFlight: number;
}

function chooseScenario(rng: () => number): Scenario {
  let r = rng() * SCENARIOS.reduce((n, s) => n + s.weight, 0);
  for (const s of SCENARIOS) if ((r -= s.weight) < 0) return s;
  return SCENARIOS[0]!;
}

/** Runs one scenario on users checked out for it; a failure is booked, its users cut and rested. */
async function runScenario(ctx: Ctx, scenario: Scenario, quarantineMs: number): Promise<void> {
  const counts = ctx.ledger.scenario(scenario.name);
  const users = ctx.pool.take(scenario.needs);
  if (!users) {
    counts.skipped += 1;
    return;
  }
  counts.ran += 1;
  try {
    await Promise.all(users.map((u) => ctx.pool.online(u)));
    for (const u of users) for (const d of u.devices) d?.reset();
    await within(scenario.run(ctx, users), 120_000, 'scenario', 'did not finish in 120 s');
    counts.ok += 1;
    ctx.pool.release(users);
  } catch (err) {
    ctx.ledger.failed(scenario.name, err);
    for (const u of users) ctx.pool.cut(u);
    ctx.pool.release(users, quarantineMs);
  }
}

/**
 * Starts scenarios and churn operations on two jittered schedules (mean intervals 1/rate and
 * 1/churn), from the ledger's start until the duration is over, then waits for those still running.
 */
export async function runLoad(ctx: Ctx, apps: AppTarget[], options: LoadOptions): Promise<LoadStats> {
  const stats: LoadStats = { scenariosStarted: 0, churnStarted: 0, lagMs: [], peakInFlight: 0 };
  const inFlight = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    inFlight.add(p);
    stats.peakInFlight = Math.max(stats.peakInFlight, inFlight.size);
    void p.catch(() => undefined).then(() => inFlight.delete(p));
  };
  const jitter = (meanMs: number) => meanMs * (0.5 + ctx.rng());
  const scenarioEvery = 1000 / options.rate;
  const churnEvery = options.churnPerSec > 0 ? 1000 / options.churnPerSec : Number.POSITIVE_INFINITY;
  let nextScenario = 0;
  let nextChurn = options.churnPerSec > 0 ? jitter(churnEvery) : Number.POSITIVE_INFINITY;
  for (;;) {
    const now = ctx.ledger.elapsedMs();
    if (now >= options.durationMs) break;
    const due = Math.min(nextScenario, nextChurn);
    if (due > now) {
      await sleep(Math.min(due, options.durationMs) - now);
      continue;
    }
    if (nextScenario <= nextChurn) {
      stats.lagMs.push(now - nextScenario);
      stats.scenariosStarted += 1;
      track(runScenario(ctx, chooseScenario(ctx.rng), options.quarantineMs));
      nextScenario += jitter(scenarioEvery);
    } else {
      stats.churnStarted += 1;
      track(churnOnce(ctx, apps));
      nextChurn += jitter(churnEvery);
    }
  }
  while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  return stats;
}
