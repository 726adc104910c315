import { describe, expect, it } from 'vitest';
import { failures, runBench, type BenchResults } from '../../bench/harness.ts';
import { PROFILES } from '../../bench/profiles.ts';
import { renderReport } from '../../bench/report.ts';

// Keeps the benchmark harness working: the smoke profile runs every section in seconds. It asserts
// that figures were produced, never how fast anything was (timed figures are reported, not asserted).
const finite = (x: number) => Number.isFinite(x) && x >= 0;

describe('benchmark harness (smoke profile)', () => {
  let results: BenchResults;

  it('runs every section without a failure', { timeout: 120_000 }, async () => {
    results = await runBench(PROFILES.smoke, { command: 'vitest: smoke profile' });
    const errors = Object.fromEntries(Object.entries(results).filter(([, v]) => v && typeof v === 'object' && 'ok' in v && !v.ok).map(([k, v]) => [k, (v as { error: string }).error]));
    expect(errors).toEqual({});
    expect(failures(results)).toEqual([]);
  });

  it('produced figures in every section', () => {
    const { signaling, work, fanout, records, coldStart } = results;
    if (!signaling.ok || !work.ok || !fanout.ok || !records.ok || !coldStart.ok) throw new Error('a section failed');

    expect(signaling.value.relayInProcess.map((s) => s.latency.n)).toEqual(PROFILES.smoke.signaling.concurrency.map((m) => m * PROFILES.smoke.relay.exchanges * 2));
    expect(finite(signaling.value.floor.concurrentPerSec) && signaling.value.floor.concurrentPerSec > 0).toBe(true);
    for (const step of signaling.value.inProcess) {
      expect(step.errors).toBe(0);
      expect(step.lifecycles).toBe(step.concurrency * PROFILES.smoke.signaling.rounds[step.concurrency]!);
      for (const p of [step.ring, step.begin, step.end]) expect([p.p50, p.p95, p.p99].every(finite)).toBe(true);
      expect(step.perSecond).toBeGreaterThan(0);
      expect(step.dynamoPerLifecycle).toBeGreaterThan(0);
    }

    expect(work.value.scenarios.length).toBeGreaterThan(0);
    for (const { work: w } of work.value.scenarios) {
      expect(w.dynamo.reads + w.dynamo.writes).toBeGreaterThan(0);
      expect(w.framesOut).toBeGreaterThan(0);
    }
    expect(work.value.device.heartbeat.framesIn).toBe(1);

    for (const p of fanout.value) {
      expect(p.lastRing.n).toBe(PROFILES.smoke.fanout.reps);
      expect(finite(p.lastRing.p50)).toBe(true);
      expect(p.framesPosted).toBeGreaterThanOrEqual(p.deliveries);
    }

    expect(records.value.map((r) => r.records)).toEqual(PROFILES.smoke.records.sizes);
    for (const size of records.value) {
      expect(size.queries.length).toBeGreaterThan(0);
      for (const q of size.queries) {
        expect(q.latency.n).toBe(PROFILES.smoke.records.reps);
        expect(q.reads).toBeGreaterThan(0);
      }
    }

    expect(coldStart.value.baseline.importMs).toHaveLength(PROFILES.smoke.coldStart.runs);
    for (const f of coldStart.value.functions) {
      expect(f.bytes).toBeGreaterThan(0);
      expect(finite(f.medianMs)).toBe(true);
    }
  });

  it('renders a report with every section', () => {
    const md = renderReport(results);
    for (const heading of ['## Headlines', '## 1. Work per call (counted)', '## 2. Signaling latency and throughput', '## 3. Fan-out', '## 4. Records scaling', '## 5. Cold start']) expect(md).toContain(heading);
    expect(md).toContain(`${results.machine.cores} cores`);
    expect(md).toContain(results.machine.node);
    expect(md).not.toContain('section failed');
  });
});
