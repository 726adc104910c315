import { loadavg } from 'node:os';
import type { IntervalHistogram } from 'node:perf_hooks';
import type { ServerProcess } from './child.ts';
import type { Ledger } from './ledger.ts';
import { splitResources, type ServerSample } from './protocol.ts';
import type { Delivered } from './receiver.ts';
import { sleep } from './scenario.ts';

/** A server sample and when it was taken (ms since the load started). */
export interface TimedSample {
  atMs: number;
  sample: ServerSample;
}

/** The load generator's own figures at a sample: if its loop lags, latencies include its delay. */
export interface GeneratorSample {
  atMs: number;
  loopP99: number;
  loopMax: number;
  cpuPercent: number;
  rss: number;
  /** The machine's 1-minute load average: other work on the machine shows here. */
  loadAverage: number;
}

/** Interval between samples: 10 s, or a sixth of a short run (at least 1 s). */
export const sampleEveryMs = (durationMs: number): number => Math.min(10_000, Math.max(1_000, Math.floor(durationMs / 6_000) * 1_000));

/**
 * Samples the server (and the generator) during the load: every `sampleEveryMs`, with a full GC
 * first at each minute mark and at the middle of the run, so those samples show the live heap.
 */
export class Sampler {
  readonly samples: TimedSample[] = [];
  readonly generator: GeneratorSample[] = [];
  middle: ServerSample | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private cpu = process.cpuUsage();
  private cpuAt = performance.now();

  constructor(
    private readonly server: ServerProcess,
    private readonly ledger: Ledger,
    private readonly parentLoop: IntervalHistogram,
    private readonly durationMs: number,
    private readonly log: (line: string) => void,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    const every = sampleEveryMs(this.durationMs);
    const middleAt = Math.max(every, Math.round(this.durationMs / 2 / every) * every);
    for (let at = every; at <= this.durationMs && !this.stopped; at += every) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, at - this.ledger.elapsedMs()));
        this.wake = () => (clearTimeout(timer), resolve());
      });
      if (this.stopped) return;
      const gc = at % 60_000 === 0 || at === middleAt;
      const sample = await this.server.sample(gc);
      this.samples.push({ atMs: at, sample });
      if (at === middleAt) this.middle = sample;
      this.generator.push(this.generatorSample(at));
      this.progress(at, sample);
    }
  }

  private generatorSample(atMs: number): GeneratorSample {
    const cpu = process.cpuUsage(this.cpu);
    const elapsed = performance.now() - this.cpuAt;
    this.cpu = process.cpuUsage();
    this.cpuAt = performance.now();
    const out = { atMs, loopP99: this.parentLoop.percentile(99) / 1e6, loopMax: this.parentLoop.max / 1e6, cpuPercent: ((cpu.user + cpu.system) / 1000 / elapsed) * 100, rss: process.memoryUsage().rss, loadAverage: loadavg()[0] ?? Number.NaN };
    this.parentLoop.reset();
    return out;
  }

  private progress(atMs: number, s: ServerSample): void {
    const { handles, timers } = splitResources(s.resources);
    const calls = this.ledger.started.size;
    const mb = (b: number) => (b / 2 ** 20).toFixed(0);
    this.log(
      `${(atMs / 1000).toFixed(0)} s: ${calls} calls (${(calls / (atMs / 1000)).toFixed(1)}/s), ${this.ledger.errorCount} errors; server rss ${mb(s.rss)} MB heap ${mb(s.heapUsed)} MB${s.gc ? ' (after GC)' : ''}, ${handles} handles, ${timers} timers, cpu ${s.cpuPercent.toFixed(0)}%, loop p99 ${s.loop.p99.toFixed(1)} ms`,
    );
  }
}

/** Queued or in-flight messages on the timers and callbacks queues (the dead-letter queue is not waited for). */
function pendingMessages(s: ServerSample): number {
  const { timers: t, callbacks: c } = s.queues;
  return t.visible + t.delayed + t.inFlight + c.visible + c.delayed + c.inFlight;
}

/**
 * After the load: waits until the queues are empty, every started call's AfterEndCall has arrived
 * and nothing arrived for a second, or until `maxMs`.
 */
export async function drain(server: ServerProcess, delivered: Delivered, ledger: Ledger, maxMs: number): Promise<{ seconds: number; drained: boolean }> {
  const t0 = performance.now();
  const seconds = () => (performance.now() - t0) / 1000;
  for (;;) {
    const s = await server.sample(false);
    let missing = 0;
    for (const id of ledger.started.keys()) if (!delivered.afterEnd.has(id)) missing += 1;
    if (pendingMessages(s) === 0 && missing === 0 && performance.now() - delivered.lastAt > 1_000) return { seconds: seconds(), drained: true };
    if (performance.now() - t0 > maxMs) return { seconds: seconds(), drained: false };
    await sleep(500);
  }
}

/** Keep-alive sockets dynalite still holds open (they close after 5 s idle; the sweeper reopens some every period). */
const keepAliveSockets = (s: ServerSample) => Object.entries(s.sockets).reduce((n, [peer, k]) => n + (peer.startsWith('dynalite') ? k : 0), 0);

/**
 * A sample after a full GC, taken at a quiet moment: once no keep-alive socket to dynalite is open
 * (or after `maxMs`), so that the start and the end are compared in the same state whatever the
 * sweeper's phase. Answers the sample and how long it waited.
 */
export async function quietSample(server: ServerProcess, maxMs: number): Promise<{ sample: ServerSample; waitedMs: number }> {
  const t0 = performance.now();
  for (;;) {
    const look = await server.sample(false);
    const late = performance.now() - t0 > maxMs;
    if (keepAliveSockets(look) === 0 || late) {
      const sample = await server.sample(true);
      if (keepAliveSockets(sample) === 0 || late) return { sample, waitedMs: performance.now() - t0 };
    }
    await sleep(250);
  }
}
