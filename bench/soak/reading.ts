/** The report's short reading: five sentences written from the figures, so they stay true for any run. */
import { fmt, quantile } from '../stats.ts';
import { mb, type SoakResults } from './run.ts';
import { drift, fmtClock, growth, latencyByMinute, memoryRows, pooledDrift, type Drift } from './summary.ts';

const msText = (x: number) => `${fmt(x, 1)} ms`;

function outcome(r: SoakResults): string {
  const v = r.verdict;
  const head = `Over ${fmtClock(r.options.durationSec * 1000)} at ${fmt(r.ledger.started.size / r.options.durationSec, 1)} calls/s (${v.started} calls of every kind, with kicks and connection churn)`;
  if (v.pass) return `${head}, every started call left exactly one record and one AfterEndCall callback, no call stayed live, no line stayed busy, and no scenario step broke the protocol.`;
  return `${head}, the run FAILED: ${v.problems.join('; ')}.`;
}

function latencySentence(r: SoakResults): string {
  const calls = drift(latencyByMinute(r, 'calls'));
  const accept = drift(latencyByMinute(r, 'accept'));
  if (!calls || !accept) return 'The run is shorter than two minutes, so latency drift is not measured.';
  // The verdict rests on the pooled minutes when the run is long enough, else it leaves the warm-up minute out when it can.
  const pooled = (['calls', 'accept'] as const).map((k) => pooledDrift(r, k));
  const c = pooled[0];
  const ratio = (x: Drift & { steady?: Drift }) => `×${fmt(x.ratio, 2)}${x.steady && !c ? `, ×${fmt(x.steady.ratio, 2)} from the second minute` : ''}`;
  const head = `The p99 of \`calls\` went from ${msText(calls.first)} in the first minute to ${msText(calls.last)} in the last (${ratio(calls)}) and of \`accept\` from ${msText(accept.first)} to ${msText(accept.last)} (${ratio(accept)})`;
  const steadier = c ? `; pooled over minutes ${c.early.minutes} and ${c.late.minutes}, the p99 of \`calls\` went ${msText(c.early.p99)} → ${msText(c.late.p99)}, its p95 ${msText(c.early.p95)} → ${msText(c.late.p95)} and its p50 ${msText(c.early.p50)} → ${msText(c.late.p50)}` : '';
  const worst = pooled.every(Boolean) ? Math.max(...pooled.map((p) => p!.late.p99 / p!.early.p99)) : Math.max(calls.steady?.ratio ?? calls.ratio, accept.steady?.ratio ?? accept.ratio);
  const verdict = worst < 0.67 ? 'lower at the end than at the start, so no upward drift' : worst <= 1.5 ? 'no drift beyond the noise of this machine' : worst <= 2 ? 'a mild drift of the tail upwards' : 'a clear drift of the tail upwards';
  const rows = memoryRows(r).slice(1, -1);
  const base = rows[calls.steady ? 1 : 0];
  const stalls = worst > 1.5 && base && rows.length >= 2 ? `, while the server's longest event-loop stall per minute grew from ${msText(base.loopMax)} to ${msText(rows[rows.length - 1]!.loopMax)} with its memory` : '';
  const load = quantile(r.generator.map((g) => g.loadAverage), 0.5);
  const noisy = load > r.machine.cores ? `; the machine was shared meanwhile (load average ${fmt(load, 1)} on ${r.machine.cores} cores), so part of every p99 is other work's CPU time` : '';
  return `${head}${steadier}: ${verdict}${stalls}${noisy}.`;
}

function memorySentence(r: SoakResults): string {
  const g = growth(memoryRows(r));
  if (!g) return `The run is too short for a memory trend; the live heap was ${mb(r.checkpoints.end.heapUsed)} at the end (${mb(r.checkpoints.start.heapUsed)} at the start).`;
  const kb = (bytes: number) => `${fmt(bytes / 1024, 1)} KB`;
  const head = `From ${g.fromLabel} to ${g.toLabel} the server's live heap grew by ${mb(g.heapBytes)} (${kb(g.heapBytes / g.calls)} per call) and its external memory by ${mb(g.externalBytes)} (${kb(g.externalBytes / g.calls)} per call; rss ${mb(g.rssBytes)})`;
  const leftOpen = (r.checkpoints.end.storeIterators ?? 0) - (r.checkpoints.start.storeIterators ?? 0);
  if (leftOpen > 100) {
    return `${head}, and it stays after every client left: ${leftOpen} iterators that dynalite opened for queries were never closed and each keeps the version of the data it read alive, so the local runtime's memory grows with traffic — a leak of the local stack's embedded DynamoDB, not of the handlers.`;
  }
  if (g.heapBytes + g.externalBytes <= 0) return `${head}: no growth.`;
  const { items, bytes } = r.audit;
  const extPerItem = r.checkpoints.end.external / Math.max(1, items);
  const dataPerItem = bytes / Math.max(1, items);
  // The signature of small Buffers pinning Node's 8 KB pool slabs (checked with heap snapshots: one slab per stored key or value).
  const slabs = extPerItem >= 4096 && extPerItem >= 3 * dataPerItem ? ", because each key and value of dynalite's in-memory store is a small Buffer that can keep a whole 8 KB pool slab alive" : '';
  const external = g.externalBytes > g.heapBytes ? `; the external memory follows the ${items} items the in-memory table holds at the end (≈ ${kb(extPerItem)} per item against ≈ ${kb(dataPerItem)} of item data${slabs})` : '';
  const storedPerCall = bytes / Math.max(1, r.verdict.started);
  const verdict =
    g.heapBytes / g.calls <= 2 * storedPerCall
      ? "what grows is the stored data, which dynalite keeps in memory and never expires (it has no TTL), not the handlers' state"
      : 'the heap grows faster than the stored data: a heap snapshot (`--heap-snapshots DIR`) shows what holds it';
  return `${head}${external}: ${verdict}.`;
}

function resourcesSentence(r: SoakResults): string {
  const { handles, timers } = r.verdict;
  return `Handles went from ${handles.start} before any client to ${handles.middle ?? '–'} mid-run and ${handles.end} after draining, timers from ${timers.start} to ${timers.middle ?? '–'} and ${timers.end}: per-connection resources are released when connections go.`;
}

function bottleneckSentence(r: SoakResults): string {
  const load = r.samples.map((s) => s.sample);
  const cpu = load.length ? load.reduce((n, s) => n + s.cpuPercent, 0) / load.length : Number.NaN;
  const loop = Math.max(0, ...load.map((s) => s.loop.p99));
  const gen = r.generator.length ? r.generator.reduce((n, g) => n + g.cpuPercent, 0) / r.generator.length : Number.NaN;
  const lagP99 = quantile(r.load.lagMs, 0.99);
  const limited = gen > 80 || lagP99 > 100 ? 'the generator may have limited the run' : 'the generator was not what limited the run';
  return `The server process used ${fmt(cpu, 0)}% of a core on average (event-loop delay p99 at most ${msText(loop)}), the generator ${fmt(gen, 0)}% with its starts late by ${msText(lagP99)} p99, so ${limited}.`;
}

/** Five sentences: outcome, latency drift, memory, resources, where the time went. */
export function reading(r: SoakResults): string {
  const resources = r.verdict.problems.some((p) => p.includes('handles') || p.includes('timers')) ? `Handles went from ${r.verdict.handles.start} to ${r.verdict.handles.end} and timers from ${r.verdict.timers.start} to ${r.verdict.timers.end} between the start and the end: not back to the start level.` : resourcesSentence(r);
  return [outcome(r), latencySentence(r), memorySentence(r), resources, bottleneckSentence(r)].join(' ');
}
