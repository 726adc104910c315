/**
 * When and whether to reconnect: exponential backoff with jitter, and which failures end the
 * attempts (a refused credential must not be retried in a loop: accounts-auth.md warns about
 * endless login loops).
 */

import { ErrorCode } from './errors.ts';
import type { CallEngineError } from './errors.ts';
import type { ReconnectOptions } from './types.ts';

/** Reconnect defaults: 0.5 s doubling up to 30 s, never giving up. */
export const DEFAULT_RECONNECT: Required<ReconnectOptions> = { minDelayMs: 500, maxDelayMs: 30_000, maxAttempts: Infinity };

/** Delay before reconnect attempt `attempt` (1-based): exponential, capped, the upper half random. */
export function backoffDelay(attempt: number, options: Required<ReconnectOptions>, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.minDelayMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * True when a failed reconnect attempt must end reconnecting: the handshake was refused with
 * HTTP 401/403, or the server answered `login` with an error code. Transport failures (no
 * answer, socket closed, server unreachable) are retried.
 */
export function isFinalFailure(error: CallEngineError): boolean {
  if ((error as { refused?: boolean }).refused === true) return true;
  return error.action === 'login' && error.code !== ErrorCode.ERROR_SIGNALING_SEND_FAIL;
}
