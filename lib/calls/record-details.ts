import type { Call, RecordDetails } from './types.ts';

type Interval = [from: number, to: number];

const overlap = ([a, b]: Interval, [c, d]: Interval) => Math.max(0, Math.min(b, d) - Math.max(a, c));
const sec = (ms: number | undefined) => (ms === undefined ? 0 : Math.floor(ms / 1000));

/** The stretches of time with two or more members in the call, and the peak, from every member's segments. */
function sweepSegments(segments: Interval[]): { together: Interval[]; peak: number } {
  // Leaving before joining at the same instant: a hand-over is not two members at once.
  const edges = segments.flatMap(([from, to]) => [[from, 1] as const, [to, -1] as const]).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const together: Interval[] = [];
  let count = 0;
  let peak = 0;
  let since = 0;
  for (const [at, delta] of edges) {
    if (count >= 2 && count + delta < 2) together.push([since, at]);
    if (count < 2 && count + delta >= 2) since = at;
    count += delta;
    peak = Math.max(peak, count);
  }
  return { together, peak };
}

/** Durations per member, connected time and peak concurrency of an ended call, from its members' segments. */
export function recordDetails(call: Call): RecordDetails {
  const end = call.endedAt ?? call.createdAt;
  const intervalsOf = (m: Call['members'][number]): Interval[] => m.segments.map((s) => [s.from, s.to ?? end]);
  const { together, peak } = sweepSegments(call.members.flatMap(intervalsOf));
  const within = (i: Interval) => together.reduce((sum, t) => sum + overlap(i, t), 0);
  return {
    members: call.members.map((m) => {
      const own = intervalsOf(m);
      return {
        userId: m.userId,
        role: m.role,
        platform: m.segments.at(-1)?.platform ?? '',
        joinedAt: sec(own[0]?.[0]),
        leftAt: sec(own.at(-1)?.[1]),
        durationSec: Math.floor(own.reduce((sum, i) => sum + within(i), 0) / 1000),
        outcome: m.state,
      };
    }),
    peakConnected: peak,
    // Floored, like the record's own seconds, so it never exceeds EndTime - StartTime.
    connectedDurationSec: Math.floor(together.reduce((sum, [a, b]) => sum + (b - a), 0) / 1000),
  };
}
