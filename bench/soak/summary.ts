/** Figures derived from a soak run for the report: latency by minute and its drift, memory rows and growth. */
import { quantile } from '../stats.ts';
import type { LatencyKind } from './ledger.ts';
import { splitResources, type ServerSample } from './protocol.ts';
import type { SoakResults } from './run.ts';

/** One minute of one latency kind. */
export interface MinuteLatency {
  minute: number;
  n: number;
  p50: number;
  p99: number;
}

/** The latency samples of one kind by minute of load (a last partial minute under 20 s is left out). */
function minutesOf(r: SoakResults, kind: LatencyKind): number[][] {
  const minutes = r.ledger.latency[kind];
  const full = Math.floor(r.options.durationSec / 60);
  const tailSec = r.options.durationSec - full * 60;
  return full >= 1 && tailSec < 20 ? minutes.slice(0, full) : minutes;
}

/** p50/p99 of one kind for each minute of load. */
export function latencyByMinute(r: SoakResults, kind: LatencyKind): MinuteLatency[] {
  return minutesOf(r, kind).map((s, minute) => ({ minute, n: s.length, p50: quantile(s, 0.5), p99: quantile(s, 0.99) }));
}

/** Percentiles pooled over a few minutes. */
export interface Pooled {
  minutes: string;
  p50: number;
  p95: number;
  p99: number;
}

/**
 * The same kind pooled over minutes 2–4 (after the warm-up) and over the last three minutes, with
 * seven minutes or more: a single minute's p99 rests on its three or four slowest answers, three
 * minutes' on ten, so this is the steadier view of a drift.
 */
export function pooledDrift(r: SoakResults, kind: LatencyKind): { early: Pooled; late: Pooled } | undefined {
  const minutes = minutesOf(r, kind);
  if (minutes.length < 7) return undefined;
  const pool = (from: number, to: number): Pooled => {
    const s = minutes.slice(from, to).flat();
    return { minutes: `${from + 1}–${to}`, p50: quantile(s, 0.5), p95: quantile(s, 0.95), p99: quantile(s, 0.99) };
  };
  return { early: pool(1, 4), late: pool(minutes.length - 3, minutes.length) };
}

/** A p99 at one minute against the last minute's. */
export interface Drift {
  first: number;
  last: number;
  ratio: number;
}

/**
 * The p99 of the first and the last minute and their ratio (undefined with a single minute), and
 * the same from the second minute (`steady`, with three minutes or more): the first minute also
 * holds the warm-up (JIT, every user logging in just before), so on its own it can hide a drift.
 */
export function drift(rows: MinuteLatency[]): (Drift & { steady?: Drift }) | undefined {
  if (rows.length < 2) return undefined;
  const last = rows[rows.length - 1]!.p99;
  const from = (i: number) => ({ first: rows[i]!.p99, last, ratio: last / rows[i]!.p99 });
  return { ...from(0), ...(rows.length >= 3 ? { steady: from(1) } : {}) };
}

/** One row of the memory table: a sample taken after a full GC, with CPU and loop delay since the previous row. */
export interface MemoryRow {
  label: string;
  atMs: number;
  sample: ServerSample;
  handles: number;
  timers: number;
  cpuPercent: number;
  loopP99: number;
  /** The longest event-loop stall in the window. */
  loopMax: number;
  callsSoFar: number;
}

/** The start, every GC'd sample of the load (minute marks, middle) and the end. */
export function memoryRows(r: SoakResults): MemoryRow[] {
  const rows: MemoryRow[] = [];
  const loadMs = r.options.durationSec * 1000;
  const callsBy = (atMs: number) => [...r.ledger.started.values()].filter((c) => c.atMs <= atMs).length;
  let since: ServerSample[] = [];
  const push = (label: string, atMs: number, sample: ServerSample, window: ServerSample[]) => {
    const { handles, timers } = splitResources(sample.resources);
    const cpu = window.length ? window.reduce((n, s) => n + s.cpuPercent, 0) / window.length : sample.cpuPercent;
    const loopP99 = Math.max(0, ...window.map((s) => s.loop.p99));
    const loopMax = Math.max(0, ...window.map((s) => s.loop.max));
    rows.push({ label, atMs, sample, handles, timers, cpuPercent: cpu, loopP99, loopMax, callsSoFar: callsBy(atMs) });
  };
  push('start (before any client)', 0, r.checkpoints.start, []);
  for (const { atMs, sample } of r.samples) {
    since.push(sample);
    if (!sample.gc) continue;
    const mid = r.checkpoints.middle === sample ? ' (middle)' : '';
    push(`${fmtClock(atMs)}${mid}`, atMs, sample, since);
    since = [];
  }
  push('end (drained, all clients gone)', loadMs, r.checkpoints.end, []);
  return rows;
}

/** Growth of the live heap, external memory and rss from the first GC'd sample of the load to the last; heap + external per call started in between. */
export function growth(rows: MemoryRow[]): { fromLabel: string; toLabel: string; heapBytes: number; externalBytes: number; rssBytes: number; calls: number; perCallBytes: number } | undefined {
  const load = rows.slice(1, -1);
  if (load.length < 2) return undefined;
  const a = load[0]!;
  const b = load[load.length - 1]!;
  const calls = b.callsSoFar - a.callsSoFar;
  const heapBytes = b.sample.heapUsed - a.sample.heapUsed;
  const externalBytes = b.sample.external - a.sample.external;
  return { fromLabel: a.label, toLabel: b.label, heapBytes, externalBytes, rssBytes: b.sample.rss - a.sample.rss, calls, perCallBytes: calls > 0 ? (heapBytes + externalBytes) / calls : Number.NaN };
}

/** A time since the load started, as "3 min 20 s". */
export const fmtClock = (ms: number): string => {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}` : `${s} s`;
};

/** Records by scenario and CallResult (read back through the REST API). */
export function resultsByScenario(r: SoakResults): { results: string[]; rows: [string, Record<string, number>][] } {
  const table = new Map<string, Record<string, number>>();
  const results = new Set<string>();
  for (const [callId, started] of r.ledger.started) {
    const result = r.records.get(callId)?.CallResult ?? 'no record';
    results.add(result);
    const row = table.get(started.scenario) ?? {};
    row[result] = (row[result] ?? 0) + 1;
    table.set(started.scenario, row);
  }
  return { results: [...results].sort(), rows: [...table] };
}
