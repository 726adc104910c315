import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type BenchStack } from '../../bench/stack.ts';
import { BUDGET_1V1, measureWork, type WorkScenario } from '../../bench/work.ts';

// The counted figures of the benchmark (bench/work.ts) are deterministic: the 1v1 budget of issue 9 is asserted on them.
let stack: BenchStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const ONE_TO_ONE: WorkScenario = { name: '1v1, 1 device each', members: 2, devices: 1, callbacks: false };

describe('work per call, counted by the benchmark harness', () => {
  it('keeps a 1v1 lifecycle with one device each (ring timer included) within 10 writes, 6 reads and 10 frames out', async () => {
    const work = await measureWork(stack, ONE_TO_ONE);
    const report = { writes: work.dynamo.writes, reads: work.dynamo.reads, framesOut: work.framesOut, requests: work.dynamo.requests };
    expect(work.dynamo.writes, JSON.stringify(report)).toBeLessThanOrEqual(BUDGET_1V1.writes);
    expect(work.dynamo.reads, JSON.stringify(report)).toBeLessThanOrEqual(BUDGET_1V1.reads);
    expect(work.framesOut, JSON.stringify(report)).toBeLessThanOrEqual(BUDGET_1V1.framesOut);
    // The whole lifecycle was counted: three actions in, the ring timer sent and handled, units consumed.
    expect(work.framesIn).toBe(3);
    expect(work.timers).toBe(1);
    expect(work.dynamo.readUnits).toBeGreaterThan(0);
    expect(work.dynamo.tableWriteUnits).toBeGreaterThanOrEqual(work.dynamo.writes);
    // The SDK middleware counted exactly what dynalite served.
    expect(work.served).toBe(work.dynamo.reads + work.dynamo.writes);
  });

  it('counts the same figures on every run', async () => {
    const [a, b] = [await measureWork(stack, ONE_TO_ONE), await measureWork(stack, ONE_TO_ONE)];
    const figures = (w: typeof a) => ({ requests: w.dynamo.requests, readUnits: w.dynamo.readUnits, writeUnits: w.dynamo.tableWriteUnits + w.dynamo.indexWriteUnits, framesIn: w.framesIn, framesOut: w.framesOut, timers: w.timers });
    expect(figures(b)).toEqual(figures(a));
  });
});
