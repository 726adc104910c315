/**
 * JWT login credentials, the alternative to a UserSig: HS256 with the app's secret keys or RS256 with
 * configured public keys. `aud` is the SDKAppID, `sub` the UserID, `exp` is mandatory.
 */
import jwt from 'jsonwebtoken';
import type { VerifyResult } from './verify-result.ts';

/** Longest token we look at; anything longer is refused before parsing. */
const MAX_TOKEN_CHARS = 8192;

/** Options for {@link verifyJwt}. */
export interface VerifyJwtOptions {
  sdkAppId: number;
  userId: string;
  /** HS256 secrets (the app's active secret keys). */
  secrets: readonly string[];
  /** RS256 public keys in PEM. */
  publicKeys?: readonly string[];
  nowSec: number;
}

/** Options for {@link signJwt}. */
export interface SignJwtOptions {
  sdkAppId: number;
  userId: string;
  secret: string;
  expireSec: number;
  /** Issue time (Unix seconds); defaults to now. */
  nowSec?: number;
}

/** Issues an HS256 JWT in the shape {@link verifyJwt} accepts, for the CLI and tests. */
export function signJwt(opts: SignJwtOptions): string {
  const iat = opts.nowSec ?? Math.floor(Date.now() / 1000);
  const payload = { sub: opts.userId, aud: String(opts.sdkAppId), iat, exp: iat + opts.expireSec };
  return jwt.sign(payload, opts.secret, { algorithm: 'HS256' });
}

type Failure = Extract<VerifyResult, { ok: false }>;

function fail(reason: Failure['reason'], message: string): Failure {
  return { ok: false, reason, message };
}

/** Outcome of one key: the payload, "this key did not sign it", or a final refusal. */
type KeyOutcome = { kind: 'verified'; payload: unknown } | { kind: 'notThisKey' } | { kind: 'refused'; failure: Failure };

function tryKey(token: string, key: string, algorithm: 'HS256' | 'RS256', nowSec: number): KeyOutcome {
  try {
    // clockTimestamp 0 would make jsonwebtoken fall back to the real clock; 1 keeps it deterministic.
    const payload = jwt.verify(token, key, { algorithms: [algorithm], clockTimestamp: Math.max(nowSec, 1) });
    return { kind: 'verified', payload };
  } catch (err) {
    // jsonwebtoken checks the signature before nbf/exp, so these two mean the signature was good.
    if (err instanceof jwt.TokenExpiredError) {
      return { kind: 'refused', failure: fail('expired', `token expired at Unix time ${Math.floor(err.expiredAt.getTime() / 1000)}`) };
    }
    if (err instanceof jwt.NotBeforeError) return { kind: 'refused', failure: fail('malformed', 'token is not valid yet (nbf)') };
    const badClaim = err instanceof jwt.JsonWebTokenError ? /^invalid (exp|nbf) value$/.exec(err.message) : null;
    if (badClaim) return { kind: 'refused', failure: fail('malformed', `token ${badClaim[1]} claim is not a number`) };
    // Invalid signature, or a key unusable for this algorithm: the next key may still match.
    return { kind: 'notThisKey' };
  }
}

function readHeaderAlg(token: string): string | undefined {
  const decoded = jwt.decode(token, { complete: true });
  if (decoded === null || typeof decoded.payload !== 'object' || decoded.payload === null) return undefined;
  const alg: unknown = decoded.header.alg;
  return typeof alg === 'string' ? alg : undefined;
}

/** Login authentication with a JWT: checks signature, expiry, `aud` = SDKAppID and `sub` = UserID. */
export function verifyJwt(token: string, opts: VerifyJwtOptions): VerifyResult {
  try {
    if (typeof token !== 'string' || token.length === 0) return fail('malformed', 'token must be a non-empty string');
    if (token.length > MAX_TOKEN_CHARS) return fail('malformed', `token is longer than ${MAX_TOKEN_CHARS} characters`);
    if (token.split('.').length !== 3) return fail('malformed', 'token is not a JWS compact serialization (header.payload.signature)');
    const alg = readHeaderAlg(token);
    if (alg === undefined) return fail('malformed', 'token header or payload is not valid base64url JSON');

    let keys: readonly string[];
    if (alg === 'HS256') keys = opts.secrets;
    else if (alg === 'RS256') keys = opts.publicKeys ?? [];
    else return fail('badSignature', `token algorithm ${JSON.stringify(alg.slice(0, 16))} is not accepted (only HS256 and RS256)`);

    let payload: unknown;
    let verified = false;
    for (const key of keys) {
      if (typeof key !== 'string' || key.length === 0) continue;
      const outcome = tryKey(token, key, alg, opts.nowSec);
      if (outcome.kind === 'refused') return outcome.failure;
      if (outcome.kind === 'verified') {
        payload = outcome.payload;
        verified = true;
        break;
      }
    }
    if (!verified) return fail('badSignature', `token ${alg} signature does not match any configured key`);

    if (typeof payload !== 'object' || payload === null) return fail('malformed', 'token payload is not a JSON object');
    const claims = payload as Record<string, unknown>;
    const exp = claims['exp'];
    if (typeof exp !== 'number' || !Number.isFinite(exp)) return fail('malformed', 'token has no exp claim');

    const app = String(opts.sdkAppId);
    const aud = claims['aud'];
    const audOk = aud === app || (Array.isArray(aud) && aud.includes(app));
    if (!audOk) return fail('wrongApp', `token aud does not contain SDKAppID ${app}`);
    if (claims['sub'] !== opts.userId) return fail('wrongUser', 'token sub is another UserID');

    // Without `iat` the issue time is unknown: 0, so any revocation (REST kick) refuses the token.
    const iat = claims['iat'];
    return { ok: true, expiresAtSec: exp, issuedAtSec: typeof iat === 'number' && Number.isFinite(iat) ? Math.max(0, Math.floor(iat)) : 0 };
  } catch {
    return fail('malformed', 'token could not be decoded');
  }
}
