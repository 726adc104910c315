/**
 * Callback signatures (DESIGN.md): every callback carries `X-CallSignal-Timestamp` (Unix seconds) and
 * `X-CallSignal-Signature: sha256=<hex HMAC-SHA256 of "timestamp.body" with the app's callback secret>`,
 * so app servers can check that a callback comes from us and is fresh.
 *
 * An app server verifies a callback with Node alone (`rawBody` is the request body exactly as received):
 *
 * ```js
 * import { createHmac, timingSafeEqual } from 'node:crypto';
 *
 * function isFromCallSignal(headers, rawBody, secret) {
 *   const ts = String(headers['x-callsignal-timestamp'] ?? '');
 *   const sig = Buffer.from(String(headers['x-callsignal-signature'] ?? ''));
 *   if (!/^\d+$/.test(ts) || Math.abs(Date.now() / 1000 - Number(ts)) > 300) return false;
 *   const mac = createHmac('sha256', secret).update(`${ts}.${rawBody}`).digest('hex');
 *   const expected = Buffer.from(`sha256=${mac}`);
 *   return sig.length === expected.length && timingSafeEqual(sig, expected);
 * }
 * ```
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header names as we send them (HTTP header names are case-insensitive; Node lower-cases incoming ones). */
export const TIMESTAMP_HEADER = 'X-CallSignal-Timestamp';
/** The signature header: `sha256=` and 64 lower-case hex digits. */
export const SIGNATURE_HEADER = 'X-CallSignal-Signature';

/** The headers that sign one callback body (a type alias, so it fits any plain headers record). */
export type CallbackSignatureHeaders = {
  'X-CallSignal-Timestamp': string;
  'X-CallSignal-Signature': string;
};

const mac = (secret: string, timestamp: string, body: string): string => createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');

/** Signs a callback body at `timestampSec` (whole Unix seconds) with the app's callback secret. */
export function signCallback(secret: string, timestampSec: number, body: string): CallbackSignatureHeaders {
  if (!Number.isSafeInteger(timestampSec) || timestampSec < 0) throw new RangeError(`signCallback: timestampSec must be whole non-negative seconds, got ${timestampSec}`);
  const timestamp = String(timestampSec);
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: `sha256=${mac(secret, timestamp, body)}` };
}

/** A header's value whatever the case of its name; the first value of a repeated header. */
function headerOf(headers: Readonly<Record<string, string | readonly string[] | undefined>>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return typeof value === 'string' ? value : value?.[0];
  }
  return undefined;
}

/**
 * True when the headers sign this exact body with `secret` and the timestamp is within `toleranceSec`
 * of `nowSec` either way (a replayed old callback is refused). The MAC is compared in constant time.
 */
export function verifyCallbackSignature(
  secret: string,
  headers: Readonly<Record<string, string | readonly string[] | undefined>>,
  body: string,
  nowSec: number,
  toleranceSec = 300,
): boolean {
  const timestamp = headerOf(headers, TIMESTAMP_HEADER);
  const signature = headerOf(headers, SIGNATURE_HEADER);
  if (timestamp === undefined || signature === undefined || !/^\d{1,15}$/.test(timestamp)) return false;
  if (Math.abs(nowSec - Number(timestamp)) > toleranceSec) return false;
  const expected = Buffer.from(`sha256=${mac(secret, timestamp, body)}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
