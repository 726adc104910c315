/** What the load generator counts while it runs: calls started, latencies by minute, scenario outcomes, churn. */

export type LatencyKind = 'calls' | 'accept';

/** A call whose `calls` request was answered with code 0: it must end with a record and an AfterEndCall callback. */
export interface StartedCall {
  scenario: string;
  app: string;
  /** Milliseconds since the load started. */
  atMs: number;
}

/** A scenario step that did not go as the protocol says (timeout, unexpected code). */
export interface ScenarioError {
  scenario: string;
  step: string;
  callId?: string;
  message: string;
  atMs: number;
}

/** How often a scenario ran, succeeded, failed or could not start. */
export interface ScenarioCounts {
  ran: number;
  ok: number;
  failed: number;
  /** Not started: not enough free users (the pool is too small for the rate). */
  skipped: number;
}

const KEPT_ERRORS = 50;

/** A seeded pseudo-random generator (mulberry32), so a run's choices can be repeated with `--seed`. */
export function makeRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The generator's books. Time is measured from `start()` (the first scenario). */
export class Ledger {
  readonly started = new Map<string, StartedCall>();
  /** Latency samples (ms) by kind, one array per minute of load. */
  readonly latency: Record<LatencyKind, number[][]> = { calls: [], accept: [] };
  /** The same samples by kind and scenario, over the whole run. */
  readonly latencyByScenario: Record<LatencyKind, Record<string, number[]>> = { calls: {}, accept: {} };
  readonly scenarios: Record<string, ScenarioCounts> = {};
  readonly errors: ScenarioError[] = [];
  errorCount = 0;
  /** Churn operations and connection events by kind (connects, drops, kicks…). */
  readonly counters: Record<string, number> = {};
  private t0 = performance.now();

  start(): void {
    this.t0 = performance.now();
  }

  /** Milliseconds since the load started. */
  elapsedMs(at = performance.now()): number {
    return at - this.t0;
  }

  callStarted(callId: string, scenario: string, app: string): void {
    this.started.set(callId, { scenario, app, atMs: this.elapsedMs() });
  }

  /** A request→answer time; `sentAt` is the instant the request was sent (performance.now). */
  latencySample(kind: LatencyKind, scenario: string, sentAt: number, answeredAt: number): void {
    (this.latencyByScenario[kind][scenario] ??= []).push(answeredAt - sentAt);
    const minute = Math.max(0, Math.floor(this.elapsedMs(sentAt) / 60_000));
    const perMinute = this.latency[kind];
    while (perMinute.length <= minute) perMinute.push([]);
    perMinute[minute]!.push(answeredAt - sentAt);
  }

  scenario(name: string): ScenarioCounts {
    return (this.scenarios[name] ??= { ran: 0, ok: 0, failed: 0, skipped: 0 });
  }

  failed(scenario: string, err: unknown): void {
    this.scenario(scenario).failed += 1;
    this.errorCount += 1;
    if (this.errors.length >= KEPT_ERRORS) return;
    const e = err as { step?: string; callId?: string; message?: string };
    this.errors.push({ scenario, step: e.step ?? '?', ...(e.callId ? { callId: e.callId } : {}), message: e.message ?? String(err), atMs: Math.round(this.elapsedMs()) });
  }

  count(what: string, n = 1): void {
    this.counters[what] = (this.counters[what] ?? 0) + n;
  }
}
