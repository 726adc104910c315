/**
 * TLS-sig v2 UserSig (HMAC-SHA256), byte-compatible with the public `tls-sig-api-v2` packages.
 * Format: zlib-deflated JSON, base64 with `+`→`*`, `/`→`-`, `=`→`_` (see TOOLCHAIN.md).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';
import type { VerifyResult } from './verify-result.ts';

/** Longest UserSig we try to decode; real ones are 150–400 characters. */
const MAX_SIG_CHARS = 4096;
/** Inflate stops here, so a zip bomb cannot allocate more than this. */
const MAX_JSON_BYTES = 4096;
/** HMAC-SHA256 digest length. */
const DIGEST_BYTES = 32;

const ESCAPED_B64 = /^[A-Za-z0-9*-]+_{0,2}$/;
const STRICT_B64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Options for {@link genUserSig}. */
export interface GenUserSigOptions {
  sdkAppId: number;
  userId: string;
  key: string;
  expireSec: number;
  /** Issue time (Unix seconds); defaults to now. */
  nowSec?: number;
}

/** Options for {@link verifyUserSig}. */
export interface VerifyUserSigOptions {
  sdkAppId: number;
  userId: string;
  /** Active secret keys of the app; two may be active during a key rotation. */
  keys: readonly string[];
  nowSec: number;
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** The exact string the reference implementations sign (field order and trailing newlines matter). */
function contentToSign(identifier: string, sdkAppId: number, time: number, expire: number, userbuf?: string): string {
  let content = `TLS.identifier:${identifier}\nTLS.sdkappid:${sdkAppId}\nTLS.time:${time}\nTLS.expire:${expire}\n`;
  if (userbuf !== undefined) content += `TLS.userbuf:${userbuf}\n`;
  return content;
}

function hmac(key: string, content: string): Buffer {
  return createHmac('sha256', key).update(content, 'utf8').digest();
}

/** Server-side UserSig issuing (production login, admin REST identity, CLI); same bytes as `tls-sig-api-v2` genUserSig. */
export function genUserSig(opts: GenUserSigOptions): string {
  const time = opts.nowSec ?? Math.floor(Date.now() / 1000);
  if (!isNonNegativeInteger(opts.sdkAppId)) throw new RangeError('sdkAppId must be a non-negative integer');
  if (!isNonNegativeInteger(opts.expireSec)) throw new RangeError('expireSec must be a non-negative integer (seconds)');
  if (!isNonNegativeInteger(time)) throw new RangeError('nowSec must be a non-negative integer (Unix seconds)');
  if (opts.key.length === 0) throw new RangeError('key must not be empty');

  const sig = hmac(opts.key, contentToSign(opts.userId, opts.sdkAppId, time, opts.expireSec)).toString('base64');
  // Same key order as the Node reference (ver, identifier, sdkappid, time, expire, sig) so the output is identical.
  const doc = {
    'TLS.ver': '2.0',
    'TLS.identifier': opts.userId,
    'TLS.sdkappid': opts.sdkAppId,
    'TLS.time': time,
    'TLS.expire': opts.expireSec,
    'TLS.sig': sig,
  };
  const b64 = deflateSync(Buffer.from(JSON.stringify(doc), 'utf8')).toString('base64');
  return b64.replace(/\+/g, '*').replace(/\//g, '-').replace(/=/g, '_');
}

interface SigDoc {
  identifier: string;
  sdkAppId: number;
  time: number;
  expire: number;
  sig: string;
  userbuf?: string;
}

type Decoded = { ok: true; doc: SigDoc } | { ok: false; message: string };

function malformed(message: string): { ok: false; message: string } {
  return { ok: false, message };
}

/** Reverses the base64 mapping, inflates with a size cap and checks every field's type. */
function decode(sig: unknown): Decoded {
  if (typeof sig !== 'string' || sig.length === 0) return malformed('UserSig must be a non-empty string');
  if (sig.length > MAX_SIG_CHARS) return malformed(`UserSig is longer than ${MAX_SIG_CHARS} characters`);
  if (!ESCAPED_B64.test(sig) || sig.length % 4 === 1) return malformed('UserSig is not valid escaped base64');
  const b64 = sig.replace(/\*/g, '+').replace(/-/g, '/').replace(/_/g, '=');

  let json: string;
  try {
    const bytes = inflateSync(Buffer.from(b64, 'base64'), { maxOutputLength: MAX_JSON_BYTES });
    json = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    const tooBig = err instanceof RangeError;
    return malformed(tooBig ? `UserSig inflates to more than ${MAX_JSON_BYTES} bytes` : 'UserSig is not zlib-compressed UTF-8');
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return malformed('UserSig does not contain JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return malformed('UserSig JSON is not an object');
  }
  const o = parsed as Record<string, unknown>;
  if (o['TLS.ver'] !== '2.0') return malformed('UserSig TLS.ver is not "2.0"');
  const identifier = o['TLS.identifier'];
  const sdkAppId = o['TLS.sdkappid'];
  const time = o['TLS.time'];
  const expire = o['TLS.expire'];
  const sigField = o['TLS.sig'];
  const userbuf = o['TLS.userbuf'];
  if (typeof identifier !== 'string') return malformed('UserSig TLS.identifier is missing or not a string');
  if (!isNonNegativeInteger(sdkAppId)) return malformed('UserSig TLS.sdkappid is missing or not a non-negative integer');
  if (!isNonNegativeInteger(time)) return malformed('UserSig TLS.time is missing or not a non-negative integer');
  if (!isNonNegativeInteger(expire)) return malformed('UserSig TLS.expire is missing or not a non-negative integer');
  if (typeof sigField !== 'string') return malformed('UserSig TLS.sig is missing or not a string');
  if (userbuf !== undefined && typeof userbuf !== 'string') return malformed('UserSig TLS.userbuf is not a string');

  const doc: SigDoc = { identifier, sdkAppId, time, expire, sig: sigField };
  if (userbuf !== undefined) doc.userbuf = userbuf;
  return { ok: true, doc };
}

/** Decodes `TLS.sig`; undefined unless it is the canonical base64 of a 32-byte digest (no lenient decoding). */
function decodeDigest(sig: string): Buffer | undefined {
  if (!STRICT_B64.test(sig)) return undefined;
  const bytes = Buffer.from(sig, 'base64');
  if (bytes.length !== DIGEST_BYTES || bytes.toString('base64') !== sig) return undefined;
  return bytes;
}

function checkSignature(doc: SigDoc, keys: readonly string[]): boolean {
  const given = decodeDigest(doc.sig);
  if (given === undefined) return false;
  const content = contentToSign(doc.identifier, doc.sdkAppId, doc.time, doc.expire, doc.userbuf);
  let matched = false;
  for (const key of keys) {
    if (typeof key !== 'string' || key.length === 0) continue; // an empty key is a misconfiguration, never a match
    if (timingSafeEqual(hmac(key, content), given)) matched = true;
  }
  return matched;
}

/** Login / REST authentication: checks a client's UserSig against the app, the claimed UserID and the app's active keys. */
export function verifyUserSig(sig: string, opts: VerifyUserSigOptions): VerifyResult {
  try {
    const decoded = decode(sig);
    if (!decoded.ok) return { ok: false, reason: 'malformed', message: decoded.message };
    const doc = decoded.doc;
    if (doc.sdkAppId !== opts.sdkAppId) {
      return { ok: false, reason: 'wrongApp', message: `UserSig was issued for SDKAppID ${doc.sdkAppId}, not ${opts.sdkAppId}` };
    }
    if (doc.identifier !== opts.userId) {
      return { ok: false, reason: 'wrongUser', message: 'UserSig was issued for another UserID' };
    }
    if (!checkSignature(doc, opts.keys)) {
      return { ok: false, reason: 'badSignature', message: 'UserSig signature does not match any active secret key of the app' };
    }
    const expiresAtSec = doc.time + doc.expire;
    if (!(opts.nowSec < expiresAtSec)) {
      return { ok: false, reason: 'expired', message: `UserSig expired at Unix time ${expiresAtSec} (now ${opts.nowSec})` };
    }
    return { ok: true, expiresAtSec, issuedAtSec: doc.time };
  } catch {
    // Defensive: nothing above should throw, but a credential check must never crash the caller.
    return { ok: false, reason: 'malformed', message: 'UserSig could not be decoded' };
  }
}
