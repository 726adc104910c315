import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { V4_CALLBACK_COMMANDS } from '../../lib/rest/v4-callback.ts';
import type { Timing } from '../../lib/config.ts';
import { machine, type Machine } from '../harness.ts';
import { REPO_ROOT } from '../stack.ts';
import { ServerProcess, type ServerExit, type ServerLog } from './child.ts';
import type { AppTarget } from './client.ts';
import { Ledger, makeRng } from './ledger.ts';
import { runLoad, type LoadStats } from './load.ts';
import { Pool } from './pool.ts';
import type { Audit, ServerSample } from './protocol.ts';
import { startCallbackReceiver, type Delivered } from './receiver.ts';
import { readRecords, recordsById, type SoakRecord } from './records.ts';
import { restOk } from './rest.ts';
import type { Ctx, SoakTimingView } from './scenario.ts';
import { drain, quietSample, Sampler, type GeneratorSample, type TimedSample } from './sampling.ts';
import { verify, type Verdict } from './verify.ts';

/** What `npm run soak` was asked for. */
export interface SoakOptions {
  durationSec: number;
  /** Scenario starts per second (≈ calls per second). */
  rate: number;
  churnPerSec: number;
  seed: number;
  /** Longest wait for timers, callbacks and calls to settle after the load. */
  maxDrainSec: number;
  /** Diagnostics: write heap snapshots of the server at the start and at the end into this folder. */
  heapSnapshotDir?: string;
}

/**
 * The server's timing: the documented defaults except a 1 s ring-timeout floor (ring-timeout calls
 * take 2 s, not 10), a 3 s disconnect grace, heartbeats every 15 s (dead after 45 s) and the
 * sweeper every 10 s instead of 60, so that a short soak exercises every timer path.
 */
export const SOAK_TIMING = { minRingTimeoutSec: 1, heartbeatIntervalSec: 15, heartbeatTimeoutSec: 45, disconnectGraceSec: 3, sweeperPeriodSec: 10 } satisfies Partial<Timing>;
const VIEW: SoakTimingView = { ringSec: 15, shortRingSec: 2, graceSec: SOAK_TIMING.disconnectGraceSec };
/** Longest wait for a quiet moment (no keep-alive socket open) to read the start and end resources. */
const QUIET_MAX_MS = 30_000;

/** Everything a run measured, for the report and the JSON figures. */
export interface SoakResults {
  options: SoakOptions;
  /** The code the server ran: the commit, and whether the server's sources had uncommitted changes. */
  code: { commit: string; dirty: boolean };
  timing: typeof SOAK_TIMING;
  view: SoakTimingView;
  startedAt: string;
  wallSeconds: number;
  machine: Machine;
  pool: { users: number; connections: number; byKind: Record<string, number> };
  load: LoadStats;
  ledger: Ledger;
  samples: TimedSample[];
  generator: GeneratorSample[];
  checkpoints: { start: ServerSample; middle?: ServerSample; end: ServerSample };
  drain: { seconds: number; drained: boolean; quietAfterMs: number };
  records: Map<string, SoakRecord>;
  delivered: Delivered;
  audit: Audit;
  log: ServerLog;
  exit: ServerExit;
  verdict: Verdict;
}

/** Pool sizes for a rate: enough free users that scenarios are almost never skipped. */
function populate(pool: Pool, apps: AppTarget[], rate: number): void {
  const [multi, single] = apps as [AppTarget, AppTarget];
  pool.add(multi, 'solo', Math.max(30, Math.ceil(rate * 20)));
  pool.add(multi, 'multi', Math.max(6, Math.ceil(rate * 4)));
  pool.add(single, 'solo', Math.max(10, Math.ceil(rate * 5)));
}

/** What the phases of a run share. */
interface Run {
  options: SoakOptions;
  log: (line: string) => void;
  server: ServerProcess;
  receiver: Awaited<ReturnType<typeof startCallbackReceiver>>;
  apps: AppTarget[];
  parentLoop: IntervalHistogram;
}

/** Runs the whole soak: server process, callbacks receiver, users, load, drain, audit, read-back, verdict. */
export async function runSoak(options: SoakOptions, log: (line: string) => void): Promise<SoakResults> {
  const wall = performance.now();
  const startedAt = new Date().toISOString();
  // Read before the server starts: its code is what was checked out then.
  const code = codeVersion();
  const receiver = await startCallbackReceiver();
  const server = await ServerProcess.start(SOAK_TIMING);
  const parentLoop = monitorEventLoopDelay({ resolution: 10 });
  parentLoop.enable();
  try {
    const apps: AppTarget[] = server.ready.apps.map((a) => ({ ...a, wsUrl: server.ready.wsUrl, httpUrl: server.ready.httpUrl }));
    const run: Run = { options, log, server, receiver, apps, parentLoop };
    const start = await prepare(run);
    const loaded = await loadPhase(run);
    const finished = await finish(run, loaded.ledger, startedAt);
    const checkpoints = { start, ...(loaded.sampler.middle ? { middle: loaded.sampler.middle } : {}), end: finished.end };
    const { ledger, pool, sampler, load, connections } = loaded;
    const { records, audit, exit, drain: drained } = finished;
    const verdict = verify({ ledger, records, delivered: receiver.delivered, audit, checkpoints, log: server.log, exit, drained: drained.drained });
    return {
      options,
      code,
      timing: SOAK_TIMING,
      view: VIEW,
      startedAt,
      wallSeconds: (performance.now() - wall) / 1000,
      machine: machine(),
      pool: { users: pool.users.length, connections, byKind: countKinds(pool) },
      load,
      ledger,
      samples: sampler.samples,
      generator: sampler.generator,
      checkpoints,
      drain: drained,
      records,
      delivered: receiver.delivered,
      audit,
      log: server.log,
      exit,
      verdict,
    };
  } finally {
    parentLoop.disable();
    server.kill();
    await receiver.close();
  }
}

/** Points both apps' callbacks at the receiver; answers the start sample (quiet, after a full GC). */
async function prepare(run: Run): Promise<ServerSample> {
  for (const app of run.apps) await restOk(app, 'v4/call_config/set_callback', { Url: run.receiver.url, CallbackCommandList: [...V4_CALLBACK_COMMANDS] });
  const { sample } = await quietSample(run.server, QUIET_MAX_MS);
  if (run.options.heapSnapshotDir) run.log(`heap snapshot: ${await run.server.snapshot(join(run.options.heapSnapshotDir, 'server-start.heapsnapshot'))}`);
  run.log(`server up (pid ${run.server.ready.pid}); rss ${mb(sample.rss)}, heap ${mb(sample.heapUsed)} after GC`);
  return sample;
}

/** Logs every user in, runs the load while sampling, and waits for the scenarios still running. */
async function loadPhase(run: Run) {
  const { options, log } = run;
  const ledger = new Ledger();
  const rng = makeRng(options.seed);
  const pool = new Pool(rng, ledger);
  populate(pool, run.apps, options.rate);
  await pool.connectAll();
  const connections = pool.users.reduce((n, u) => n + u.devices.filter(Boolean).length, 0);
  log(`${pool.users.length} users logged in on ${connections} connections`);
  const ctx: Ctx = { ledger, pool, rng, timing: VIEW };
  const durationMs = options.durationSec * 1000;
  const sampler = new Sampler(run.server, ledger, run.parentLoop, durationMs, log);
  ledger.start();
  sampler.start();
  const load = await runLoad(ctx, run.apps, { durationMs, rate: options.rate, churnPerSec: options.churnPerSec, quarantineMs: (VIEW.graceSec + VIEW.ringSec + 2) * 1000 });
  await sampler.stop();
  log(`load over: ${ledger.started.size} calls started, ${ledger.errorCount} scenario errors; closing every connection`);
  await pool.closeAll();
  return { ledger, pool, sampler, load, connections };
}

/** Closes every client, drains, reads the end sample, audits the table, reads the records back and stops the server. */
async function finish(run: Run, ledger: Ledger, startedAt: string) {
  const { server, options, log } = run;
  const drained = await drain(server, run.receiver.delivered, ledger, options.maxDrainSec * 1000);
  log(`drained in ${drained.seconds.toFixed(1)} s${drained.drained ? '' : ' (NOT complete)'}`);
  const quiet = await quietSample(server, QUIET_MAX_MS);
  if (options.heapSnapshotDir) log(`heap snapshot: ${await server.snapshot(join(options.heapSnapshotDir, 'server-end.heapsnapshot'))}`);
  const audit = await server.audit();
  const records = await readBack(run.apps, ledger, startedAt);
  const exit = await server.stop();
  return { end: quiet.sample, audit, records, exit, drain: { ...drained, quietAfterMs: quiet.waitedMs } };
}

/** Every record of the run through the REST API: by filter, then one by one for any started call the filter missed. */
async function readBack(apps: AppTarget[], ledger: Ledger, startedAt: string): Promise<Map<string, SoakRecord>> {
  const fromSec = Math.floor(Date.parse(startedAt) / 1000) - 5;
  const toSec = Math.ceil(Date.now() / 1000) + 5;
  const records = new Map<string, SoakRecord>();
  for (const app of apps) {
    for (const [id, r] of await readRecords(app, fromSec, toSec)) records.set(id, r);
    const missing = [...ledger.started].filter(([id, s]) => s.app === app.name && !records.has(id)).map(([id]) => id);
    for (const [id, r] of await recordsById(app, missing)) records.set(id, r);
  }
  return records;
}

/** The commit checked out and whether lib/ or functions/ differ from it (unknown outside a git work tree). */
function codeVersion(): { commit: string; dirty: boolean } {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { commit: git('rev-parse', '--short', 'HEAD'), dirty: git('status', '--porcelain', '--', 'lib', 'functions') !== '' };
  } catch {
    return { commit: 'unknown', dirty: false };
  }
}

function countKinds(pool: Pool): Record<string, number> {
  const out: Record<string, number> = {};
  for (const u of pool.users) out[`${u.app.name}/${u.kind}`] = (out[`${u.app.name}/${u.kind}`] ?? 0) + 1;
  return out;
}

/** Bytes as megabytes for the report and the log. */
export const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MB`;
