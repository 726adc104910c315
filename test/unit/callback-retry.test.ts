import { describe, expect, it } from 'vitest';
import { isDelivered, MAX_ATTEMPTS, nextDelayMs, RETRY_DELAYS_SEC } from '../../lib/callbacks/retry.ts';

// The callback retry schedule (DESIGN.md): first attempt at once, then 1, 1, 2, 3, 5 s after each
// failure — 6 attempts — then the dead-letter queue; success is HTTP 2xx with ErrorCode 0.

describe('callback retry schedule', () => {
  it('waits 1, 1, 2, 3, 5 s after attempts 1 to 5 and gives up after the 6th', () => {
    expect(RETRY_DELAYS_SEC).toEqual([1, 1, 2, 3, 5]);
    expect(MAX_ATTEMPTS).toBe(6);
    expect([1, 2, 3, 4, 5, 6, 7].map((a) => nextDelayMs(a))).toEqual([1000, 1000, 2000, 3000, 5000, undefined, undefined]);
  });

  it('scales the delays (for tests and the local runtime)', () => {
    expect([1, 2, 3, 4, 5, 6].map((a) => nextDelayMs(a, 0.01))).toEqual([10, 10, 20, 30, 50, undefined]);
    expect(nextDelayMs(5, 0)).toBe(0);
  });

  it('refuses attempt numbers that do not count from 1, and nonsense scales', () => {
    for (const attempt of [0, -1, 1.5, Number.NaN]) expect(() => nextDelayMs(attempt), String(attempt)).toThrow(RangeError);
    for (const scale of [-1, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => nextDelayMs(1, scale), String(scale)).toThrow(RangeError);
  });
});

describe('isDelivered', () => {
  const v4Ok = JSON.stringify({ ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 });
  const v1Ok = JSON.stringify({ ErrorCode: 0, ErrorMessage: 'Success' });
  const cases: [string, 'v4' | 'v1', number, string, boolean][] = [
    ['v4 documented answer', 'v4', 200, v4Ok, true],
    ['v1 documented answer', 'v1', 200, v1Ok, true],
    ['any 2xx', 'v1', 202, v1Ok, true],
    ['299', 'v4', 299, v4Ok, true],
    ['ErrorCode 0 with ActionStatus FAIL (v4 judges by ErrorCode: "0 = ignore the result")', 'v4', 200, JSON.stringify({ ActionStatus: 'FAIL', ErrorInfo: 'x', ErrorCode: 0 }), true],
    ['non-zero ErrorCode', 'v1', 200, JSON.stringify({ ErrorCode: 1, ErrorMessage: 'no' }), false],
    ['ErrorCode as a string', 'v4', 200, JSON.stringify({ ErrorCode: '0' }), false],
    ['ErrorCode missing', 'v4', 200, JSON.stringify({ ActionStatus: 'OK' }), false],
    ['empty body', 'v1', 200, '', false],
    ['not JSON', 'v1', 200, 'OK', false],
    ['JSON that is not an object', 'v4', 200, '0', false],
    ['JSON array', 'v4', 200, '[{"ErrorCode":0}]', false],
    ['JSON null', 'v4', 200, 'null', false],
    ['redirect', 'v4', 302, v4Ok, false],
    ['199', 'v4', 199, v4Ok, false],
    ['client error', 'v1', 400, v1Ok, false],
    ['server error', 'v4', 500, v4Ok, false],
    ['status 0 (no answer)', 'v4', 0, '', false],
  ];
  it.each(cases)('%s (%s, HTTP %i) → %s', (_why, generation, status, body, expected) => {
    expect(isDelivered(generation, status, body)).toBe(expected);
  });
});
