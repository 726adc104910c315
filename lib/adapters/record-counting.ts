/**
 * Splits [fromSec, toSec] into the whole minutes inside it (read from counters) and the partial
 * minutes at its ends (counted record by record): the cost depends on the window, not on the total.
 */
export function minuteSpans(fromSec: number, toSec: number): { whole?: [number, number]; edges: [number, number][] } {
  if (toSec < fromSec) return { edges: [] };
  const firstWhole = Math.ceil(fromSec / 60);
  const lastWhole = Math.floor((toSec + 1) / 60) - 1;
  if (firstWhole > lastWhole) return { edges: [[fromSec, toSec]] };
  const edges: [number, number][] = [];
  if (fromSec < firstWhole * 60) edges.push([fromSec, firstWhole * 60 - 1]);
  if (toSec > lastWhole * 60 + 59) edges.push([(lastWhole + 1) * 60, toSec]);
  return { whole: [firstWhole, lastWhole], edges };
}

/** The most calls in progress at the same second, from their start and end times. */
export function maxConcurrent(calls: readonly { StartTime: number; EndTime: number }[]): number {
  const edges = calls.flatMap((c) => [[c.StartTime, 1] as const, [Math.max(c.StartTime, c.EndTime), -1] as const]);
  // A call ending in the second another starts still overlaps it (records have whole seconds).
  edges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  let now = 0;
  let peak = 0;
  for (const [, d] of edges) {
    now += d;
    peak = Math.max(peak, now);
  }
  return peak;
}
