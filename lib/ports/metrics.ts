/** Operational counters (EMF metrics through Powertools on AWS; kept in memory locally). */
export interface Metrics {
  /** Adds one to a counter; `latencyMs` also records a latency sample for it. */
  count(name: string, extra?: { latencyMs?: number }): void;
  /** Writes what was counted (once per invocation on Lambda). */
  flush(): void;
}
