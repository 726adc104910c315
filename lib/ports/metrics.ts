/** Operational counters (EMF metrics through Powertools on AWS; kept in memory locally). */
export interface Metrics {
  /** Adds one to a counter, optionally per dimension (e.g. `Result`); `latencyMs` also records a latency sample. */
  count(name: string, extra?: { latencyMs?: number; dimensions?: Record<string, string> }): void;
  /** Writes what was counted (once per invocation on Lambda). */
  flush(): void;
}
