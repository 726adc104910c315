import { Metrics as PowertoolsMetrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Metrics } from '../ports/metrics.ts';

/** Counters as CloudWatch EMF metrics (namespace CallSignal), flushed at the end of each invocation. */
export class EmfMetrics implements Metrics {
  private readonly metrics = new PowertoolsMetrics({ namespace: 'CallSignal', serviceName: 'callsignal' });

  count(name: string, extra?: { latencyMs?: number }): void {
    this.metrics.addMetric(name, MetricUnit.Count, 1);
    if (extra?.latencyMs !== undefined) this.metrics.addMetric(`${name}Latency`, MetricUnit.Milliseconds, extra.latencyMs);
  }

  flush(): void {
    this.metrics.publishStoredMetrics();
  }
}

/** Counters kept in memory (the local runtime and tests read them). */
export class MemoryMetrics implements Metrics {
  readonly counts = new Map<string, number>();

  count(name: string): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
  }

  flush(): void {}
}
