import { Metrics as PowertoolsMetrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Metrics } from '../ports/metrics.ts';

/** Counters as CloudWatch EMF metrics (namespace CallSignal); each is written at once, so no invocation can lose it. */
export class EmfMetrics implements Metrics {
  private readonly metrics = new PowertoolsMetrics({ namespace: 'CallSignal', serviceName: 'callsignal' });

  count(name: string, extra?: { latencyMs?: number; dimensions?: Record<string, string> }): void {
    const metric = this.metrics.singleMetric();
    for (const [key, value] of Object.entries(extra?.dimensions ?? {})) metric.addDimension(key, value);
    metric.addMetric(name, MetricUnit.Count, 1);
    if (extra?.latencyMs !== undefined) {
      const latency = this.metrics.singleMetric();
      latency.addMetric(`${name}Latency`, MetricUnit.Milliseconds, extra.latencyMs);
    }
  }

  flush(): void {
    this.metrics.publishStoredMetrics();
  }
}

/** Counters kept in memory (the local runtime and tests read them). */
export class MemoryMetrics implements Metrics {
  readonly counts = new Map<string, number>();

  count(name: string, extra?: { dimensions?: Record<string, string> }): void {
    const key = [name, ...Object.values(extra?.dimensions ?? {})].join(':');
    for (const k of new Set([name, key])) this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
  }

  flush(): void {}
}
