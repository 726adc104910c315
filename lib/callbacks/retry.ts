/**
 * The callback retry schedule (DESIGN.md, settling spec/callbacks.md B.7 and gaps 4–5 for both
 * generations): the first attempt at once, then retries 1, 1, 2, 3 and 5 s after each failure —
 * 6 attempts in all — then the dead-letter queue.
 */

/** Seconds to wait after failed attempt n (index n − 1) before attempt n + 1. */
export const RETRY_DELAYS_SEC = [1, 1, 2, 3, 5] as const;

/** Attempts in all: the first one plus one per retry delay. */
export const MAX_ATTEMPTS = RETRY_DELAYS_SEC.length + 1;

/**
 * The delay before the next attempt after attempt `attempt` (counted from 1) failed, in ms, times
 * `scale` (tests and the local runtime shrink it); `undefined` after the last attempt: dead-letter.
 */
export function nextDelayMs(attempt: number, scale = 1): number | undefined {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`nextDelayMs: attempt counts from 1, got ${attempt}`);
  if (!(scale >= 0) || !Number.isFinite(scale)) throw new RangeError(`nextDelayMs: scale must be a finite number >= 0, got ${scale}`);
  const delaySec = RETRY_DELAYS_SEC[attempt - 1];
  return delaySec === undefined ? undefined : Math.round(delaySec * 1000 * scale);
}

/**
 * Whether an app server's answer counts as delivered: HTTP 2xx and a JSON object body whose
 * `ErrorCode` is the number 0. Both generations use the same rule (v4 A.4 `ErrorCode` 0 "ignore the
 * result", v1 B.6/B.7 `ErrorCode` 0 = success); anything else — other status, non-JSON, missing or
 * non-zero code — is a failure to retry.
 */
export function isDelivered(generation: 'v4' | 'v1', status: number, bodyText: string): boolean {
  if (!Number.isInteger(status) || status < 200 || status > 299) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    return false;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return false;
  // v4 answers also carry `ActionStatus`; like the documented receiver we judge by `ErrorCode` alone in both generations.
  void generation;
  return (parsed as { ErrorCode?: unknown }).ErrorCode === 0;
}
