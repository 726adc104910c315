import { cpus, freemem, platform, release, totalmem } from 'node:os';
import { coldStarts, FUNCTION_ENTRIES, type ColdStart } from './coldstart.ts';
import { fanout, type FanoutPoint } from './fanout.ts';
import type { Profile } from './profiles.ts';
import { recordsScaling, type RecordsSize } from './records.ts';
import { relayInProcess, relaySeparateProcess, signalingInProcess, signalingSeparateProcess, storageFloor, type RelayStep, type SignalingStep, type StorageFloor } from './signaling.ts';
import { startStack } from './stack.ts';
import { measureDevice, measureWork, startReceiver, workScenarios, type Work, type WorkScenario } from './work.ts';

/** A section's figures, or why it has none. */
export type Section<T> = { ok: true; value: T; seconds: number } | { ok: false; error: string; seconds: number };

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryGb: number;
  freeMemoryGb: number;
  node: string;
  os: string;
}

export interface BenchResults {
  profile: Profile;
  command: string;
  startedAt: string;
  seconds: number;
  machine: Machine;
  signaling: Section<{
    relayInProcess: RelayStep[];
    floor: StorageFloor;
    inProcess: SignalingStep[];
    separate?: { relay: RelayStep[]; steps: SignalingStep[] };
  }>;
  work: Section<{ scenarios: { scenario: WorkScenario; work: Work }[]; device: { session: Work; heartbeat: Work } }>;
  fanout: Section<FanoutPoint[]>;
  records: Section<RecordsSize[]>;
  coldStart: Section<{ baseline: ColdStart; functions: ColdStart[] }>;
}

export function machine(): Machine {
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGb: totalmem() / 2 ** 30,
    freeMemoryGb: freemem() / 2 ** 30,
    node: process.version,
    os: `${platform()} ${release()}`,
  };
}

async function section<T>(name: string, log: (line: string) => void, fn: () => Promise<T>): Promise<Section<T>> {
  const started = performance.now();
  log(`${name}…`);
  try {
    const value = await fn();
    const seconds = (performance.now() - started) / 1000;
    log(`${name}: done in ${seconds.toFixed(1)} s`);
    return { ok: true, value, seconds };
  } catch (err) {
    const seconds = (performance.now() - started) / 1000;
    const error = err instanceof Error ? err.stack ?? err.message : String(err);
    log(`${name}: FAILED after ${seconds.toFixed(1)} s: ${error}`);
    return { ok: false, error, seconds };
  }
}

/** Runs every benchmark of a profile, one after the other (each on its own fresh stack). */
export async function runBench(profile: Profile, options: { command: string; log?: (line: string) => void }): Promise<BenchResults> {
  const log = options.log ?? (() => undefined);
  const startedAt = new Date().toISOString();
  const started = performance.now();
  const s = profile.signaling;
  const rounds = (m: number) => s.rounds[m] ?? 3;

  const work = await section('work per call (counted)', log, async () => {
    const stack = await startStack();
    const receiver = await startReceiver();
    try {
      const device = await measureDevice(stack);
      const scenarios: { scenario: WorkScenario; work: Work }[] = [];
      for (const scenario of workScenarios(profile.work)) scenarios.push({ scenario, work: await measureWork(stack, scenario, receiver.url) });
      return { scenarios, device };
    } finally {
      await receiver.close();
      await stack.close();
    }
  });

  const signaling = await section('signaling latency and throughput', log, async () => {
    const relay = await relayInProcess(s.concurrency, profile.relay.exchanges);
    const floor = await storageFloor(profile.floor.durationMs, profile.floor.concurrency);
    const inProcess = await signalingInProcess(s.concurrency, rounds);
    let separate: { relay: RelayStep[]; steps: SignalingStep[] } | undefined;
    if (s.separateProcess) separate = { relay: await relaySeparateProcess(s.concurrency, profile.relay.exchanges), steps: await signalingSeparateProcess(s.concurrency, rounds) };
    return { relayInProcess: relay, floor, inProcess, ...(separate ? { separate } : {}) };
  });

  const fan = await section('fan-out', log, () => fanout(profile.fanout.points, profile.fanout.reps));
  const records = await section('records scaling', log, () => recordsScaling(profile.records.sizes, profile.records.reps));
  const cold = await section('cold start', log, () => coldStarts(profile.coldStart.functions === 'all' ? FUNCTION_ENTRIES : profile.coldStart.functions, profile.coldStart.runs));

  return {
    profile,
    command: options.command,
    startedAt,
    seconds: (performance.now() - started) / 1000,
    machine: machine(),
    signaling,
    work,
    fanout: fan,
    records,
    coldStart: cold,
  };
}

/** The sections that failed, by name. */
export function failures(r: BenchResults): string[] {
  const all = { signaling: r.signaling, work: r.work, fanout: r.fanout, records: r.records, coldStart: r.coldStart };
  return Object.entries(all)
    .filter(([, v]) => !v.ok)
    .map(([k]) => k);
}
