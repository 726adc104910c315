import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signCallback, verifyCallbackSignature } from '../../lib/callbacks/signing.ts';

// Callback signatures (DESIGN.md): HMAC-SHA256 over "timestamp.body"; verification refuses tampered
// bodies and timestamps and anything outside the replay window, and the README's Node snippet works.

const SECRET = 'cb-secret-9f2c';
const NOW = 1_740_464_128;
const BODY = JSON.stringify({ CallbackCommand: 'Call.CallbackAfterStartCall', EventId: 'e-1', Seq: 1 });
const lower = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));

describe('callback signing', () => {
  it('signs "timestamp.body" with HMAC-SHA256 as sha256=<hex>, timestamp in whole seconds', () => {
    const headers = signCallback(SECRET, NOW, BODY);
    const hex = createHmac('sha256', SECRET).update(`${NOW}.${BODY}`).digest('hex');
    expect(headers).toEqual({ 'X-CallSignal-Timestamp': String(NOW), 'X-CallSignal-Signature': `sha256=${hex}` });
    expect(() => signCallback(SECRET, NOW + 0.5, BODY)).toThrow(RangeError);
  });

  it('verifies its own signatures, with header names in any case and repeated headers', () => {
    const headers = signCallback(SECRET, NOW, BODY);
    expect(verifyCallbackSignature(SECRET, headers, BODY, NOW)).toBe(true);
    expect(verifyCallbackSignature(SECRET, lower(headers), BODY, NOW + 10)).toBe(true);
    expect(verifyCallbackSignature(SECRET, { ...lower(headers), 'x-callsignal-signature': [headers['X-CallSignal-Signature']] }, BODY, NOW)).toBe(true);
  });

  it('refuses tampered bodies and timestamps, other secrets, malformed or missing headers', () => {
    const headers = signCallback(SECRET, NOW, BODY);
    const sig = headers['X-CallSignal-Signature'];
    const refused: [string, Record<string, string>, string][] = [
      ['tampered body', headers, BODY.replace('e-1', 'e-2')],
      ['tampered timestamp', { ...headers, 'X-CallSignal-Timestamp': String(NOW + 1) }, BODY],
      ['upper-case hex', { ...headers, 'X-CallSignal-Signature': sig.toUpperCase() }, BODY],
      ['no sha256= prefix', { ...headers, 'X-CallSignal-Signature': sig.slice('sha256='.length) }, BODY],
      ['truncated signature', { ...headers, 'X-CallSignal-Signature': sig.slice(0, -1) }, BODY],
      ['fractional timestamp', { ...headers, 'X-CallSignal-Timestamp': `${NOW}.0` }, BODY],
      ['missing signature', { 'X-CallSignal-Timestamp': String(NOW) }, BODY],
      ['missing timestamp', { 'X-CallSignal-Signature': sig }, BODY],
    ];
    for (const [why, h, body] of refused) expect(verifyCallbackSignature(SECRET, h, body, NOW), why).toBe(false);
    expect(verifyCallbackSignature('another-secret', headers, BODY, NOW)).toBe(false);
  });

  it('refuses timestamps outside the replay window, either way (300 s unless told)', () => {
    const headers = signCallback(SECRET, NOW, BODY);
    expect(verifyCallbackSignature(SECRET, headers, BODY, NOW + 300)).toBe(true);
    expect(verifyCallbackSignature(SECRET, headers, BODY, NOW + 301)).toBe(false);
    expect(verifyCallbackSignature(SECRET, headers, BODY, NOW - 301)).toBe(false);
    expect(verifyCallbackSignature(SECRET, headers, BODY, NOW + 60, 30)).toBe(false);
  });

  it('verifies any signed body, and no body that differs from it in one character (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), fc.nat({ max: 2 ** 32 }), fc.nat(), fc.integer({ min: -300, max: 300 }), (secret, body, ts, at, skew) => {
        const headers = signCallback(secret, ts, body);
        expect(verifyCallbackSignature(secret, headers, body, ts + skew)).toBe(true);
        const i = at % body.length;
        const changed = body.slice(0, i) + (body[i] === 'x' ? 'y' : 'x') + body.slice(i + 1);
        expect(verifyCallbackSignature(secret, headers, changed, ts)).toBe(false);
      }),
    );
  });

  it('is checked by the Node snippet in signing.ts doc comment (the one the README shows app servers)', () => {
    const source = readFileSync(new URL('../../lib/callbacks/signing.ts', import.meta.url), 'utf8');
    const block = /```js\n([\s\S]*?)```/.exec(source)?.[1] ?? '';
    const code = block.split('\n').map((l) => l.replace(/^ \* ?/, '')).filter((l) => !l.startsWith('import ')).join('\n');
    const isFromCallSignal = new Function('createHmac', 'timingSafeEqual', 'Buffer', `${code}\nreturn isFromCallSignal;`)(createHmac, timingSafeEqual, Buffer);
    const now = Math.floor(Date.now() / 1000);
    const headers = lower(signCallback(SECRET, now, BODY));
    expect(isFromCallSignal(headers, BODY, SECRET)).toBe(true);
    expect(isFromCallSignal(headers, `${BODY} `, SECRET)).toBe(false);
    expect(isFromCallSignal(lower(signCallback(SECRET, now - 600, BODY)), BODY, SECRET)).toBe(false);
  });
});
