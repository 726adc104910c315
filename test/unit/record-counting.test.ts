import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maxConcurrent, minuteSpans } from '../../lib/adapters/record-counting.ts';

describe('minuteSpans', () => {
  it('covers every second of the window exactly once with whole minutes and partial edges', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 2_000 }), (from, length) => {
        const to = from + length;
        const { whole, edges } = minuteSpans(from, to);
        const seconds = [...edges.flatMap(([a, b]) => [[a, b]]), ...(whole ? [[whole[0] * 60, whole[1] * 60 + 59]] : [])].sort((x, y) => x[0]! - y[0]!);
        let next = from;
        for (const [a, b] of seconds) {
          expect(a).toBe(next);
          next = b! + 1;
        }
        expect(next).toBe(to + 1);
        expect(edges.every(([a, b]) => b - a < 120)).toBe(true);
      }),
    );
  });
});

describe('maxConcurrent', () => {
  it('counts the most calls in progress at once', () => {
    expect(maxConcurrent([])).toBe(0);
    expect(maxConcurrent([{ StartTime: 0, EndTime: 10 }, { StartTime: 5, EndTime: 20 }, { StartTime: 11, EndTime: 12 }])).toBe(2);
    expect(maxConcurrent([{ StartTime: 0, EndTime: 10 }, { StartTime: 10, EndTime: 20 }])).toBe(2);
    expect(maxConcurrent([{ StartTime: 0, EndTime: 9 }, { StartTime: 10, EndTime: 20 }])).toBe(1);
  });
});
