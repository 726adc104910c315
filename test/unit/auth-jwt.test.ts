import { createHmac, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { signJwt, verifyJwt } from '../../lib/auth/jwt.ts';

const APP = 1400000000;
const SECRET = 'hs256-secret-of-the-app';
const OTHER_SECRET = 'a-second-active-secret';
const T0 = 1_700_000_000;
const HOUR = 3600;

const opts = { sdkAppId: APP, userId: 'alice', secrets: [SECRET], nowSec: T0 + 10 };

function rsaPair(): { publicKey: string; privateKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Signs arbitrary claims with HS256 by hand (jwt.sign validates claims), to build tokens signJwt would never produce. */
function hs256(claims: Record<string, unknown>, secret: string | Buffer = SECRET): string {
  const signingInput = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims)}`;
  return `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
}

const goodClaims = { sub: 'alice', aud: String(APP), exp: T0 + HOUR };

describe('verifyJwt accepts', () => {
  it('an HS256 token from signJwt, reporting exp as the expiry', () => {
    // Prepare
    const token = signJwt({ sdkAppId: APP, userId: 'alice', secret: SECRET, expireSec: HOUR, nowSec: T0 });

    // Act
    const result = verifyJwt(token, opts);

    // Assess
    expect(result).toEqual({ ok: true, expiresAtSec: T0 + HOUR, issuedAtSec: T0 });
  });

  it('an HS256 token signed with the second of two active secrets', () => {
    // Prepare
    const token = hs256(goodClaims, OTHER_SECRET);

    // Act
    const result = verifyJwt(token, { ...opts, secrets: [SECRET, OTHER_SECRET] });

    // Assess
    expect(result).toEqual({ ok: true, expiresAtSec: T0 + HOUR, issuedAtSec: 0 });
  });

  it('an RS256 token verified with a configured public key', () => {
    // Prepare
    const unrelated = rsaPair();
    const signer = rsaPair();
    const token = jwt.sign(goodClaims, signer.privateKey, { algorithm: 'RS256' });

    // Act
    const result = verifyJwt(token, { ...opts, publicKeys: [unrelated.publicKey, signer.publicKey] });

    // Assess
    expect(result).toEqual({ ok: true, expiresAtSec: T0 + HOUR, issuedAtSec: expect.any(Number) });
  });

  it('an aud array that contains the SDKAppID', () => {
    expect(verifyJwt(hs256({ ...goodClaims, aud: ['other', String(APP)] }), opts)).toEqual({ ok: true, expiresAtSec: T0 + HOUR, issuedAtSec: 0 });
  });

  it('judges expiry by nowSec, not by the machine clock', () => {
    // Prepare
    const token = signJwt({ sdkAppId: APP, userId: 'alice', secret: SECRET, expireSec: 60, nowSec: 1000 });

    // Act
    const result = verifyJwt(token, { ...opts, nowSec: 1030 });

    // Assess
    expect(result).toEqual({ ok: true, expiresAtSec: 1060, issuedAtSec: 1000 });
  });
});

describe('verifyJwt refuses', () => {
  it('an unsigned alg "none" token, even with correct claims', () => {
    // Prepare
    const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(goodClaims)}.`;

    // Act
    const result = verifyJwt(token, opts);

    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'badSignature' });
  });

  it('algorithms other than HS256 and RS256 (HS512)', () => {
    // Prepare
    const token = jwt.sign(goodClaims, SECRET, { algorithm: 'HS512', noTimestamp: true });

    // Act
    const result = verifyJwt(token, opts);

    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'badSignature' });
  });

  it('an HS256 token forged with the RS256 public key as HMAC secret (algorithm confusion)', () => {
    // Prepare
    const pair = rsaPair();
    const token = hs256(goodClaims, pair.publicKey);

    // Act
    const result = verifyJwt(token, { ...opts, publicKeys: [pair.publicKey] });

    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'badSignature' });
  });

  it('an RS256 token when no public key is configured', () => {
    // Prepare
    const token = jwt.sign(goodClaims, rsaPair().privateKey, { algorithm: 'RS256' });

    // Act / Assess
    expect(verifyJwt(token, opts)).toMatchObject({ ok: false, reason: 'badSignature' });
  });

  it('a token signed with a secret the app does not have as badSignature', () => {
    expect(verifyJwt(hs256(goodClaims, 'wrong-secret'), opts)).toMatchObject({ ok: false, reason: 'badSignature' });
  });

  it('a token for another SDKAppID as wrongApp', () => {
    expect(verifyJwt(hs256({ ...goodClaims, aud: String(APP + 1) }), opts)).toMatchObject({ ok: false, reason: 'wrongApp' });
    expect(verifyJwt(hs256({ ...goodClaims, aud: ['x', 'y'] }), opts)).toMatchObject({ ok: false, reason: 'wrongApp' });
    expect(verifyJwt(hs256({ sub: 'alice', exp: T0 + HOUR }), opts)).toMatchObject({ ok: false, reason: 'wrongApp' });
  });

  it('a numeric aud, since aud must equal String(sdkAppId)', () => {
    expect(verifyJwt(hs256({ ...goodClaims, aud: APP }), opts)).toMatchObject({ ok: false, reason: 'wrongApp' });
  });

  it('a token for another UserID as wrongUser', () => {
    expect(verifyJwt(hs256({ ...goodClaims, sub: 'bob' }), opts)).toMatchObject({ ok: false, reason: 'wrongUser' });
  });

  it('a token from its exp second on as expired', () => {
    // Prepare
    const token = hs256(goodClaims);

    // Act
    const lastSecond = verifyJwt(token, { ...opts, nowSec: T0 + HOUR - 1 });
    const atExpiry = verifyJwt(token, { ...opts, nowSec: T0 + HOUR });

    // Assess
    expect(lastSecond).toEqual({ ok: true, expiresAtSec: T0 + HOUR, issuedAtSec: 0 });
    expect(atExpiry).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('a token without exp as malformed', () => {
    expect(verifyJwt(hs256({ sub: 'alice', aud: String(APP) }), opts)).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('a non-numeric exp or a future nbf as malformed', () => {
    expect(verifyJwt(hs256({ ...goodClaims, exp: 'tomorrow' }), opts)).toMatchObject({ ok: false, reason: 'malformed' });
    expect(verifyJwt(hs256({ ...goodClaims, nbf: T0 + 60 }), opts)).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('garbage as malformed, without echoing the token or the secret', () => {
    // Prepare
    const garbage = ['', 'abc', 'a.b.c', 'a.b', `${b64url({ alg: 'HS256' })}.not-json.sig`, 'x'.repeat(100_000)];

    // Act
    const results = garbage.map((t) => verifyJwt(t, opts));

    // Assess
    for (const r of results) {
      expect(r).toMatchObject({ ok: false, reason: 'malformed' });
      if (!r.ok) expect(r.message).not.toContain(SECRET);
    }
  });

  it('any random string without throwing', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.array(fc.base64String(), { minLength: 1, maxLength: 4 }).map((p) => p.join('.'))), (s) => {
        expect(verifyJwt(s, opts).ok).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });
});
