import { createHmac } from 'node:crypto';

/**
 * The id of the call created by a `calls` request: a UUID v4-shaped HMAC (keyed with the app's
 * secret) of the user, her device and the requestId. A retried request, even from a reconnected
 * socket, finds the call it created instead of creating a second one; nobody can guess call ids.
 */
export function callIdFor(secret: string, userId: string, deviceId: string, requestId: string): string {
  const h = createHmac('sha256', secret).update(`${userId}\n${deviceId}\n${requestId}`).digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x40;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
