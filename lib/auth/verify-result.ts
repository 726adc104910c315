/** The outcome of checking a login credential (UserSig or JWT), shared so callers map both kinds the same way. */

/** Why a credential was refused; 'expired' is the only one a client should fix by fetching a new credential. */
export type VerifyFailureReason = 'malformed' | 'wrongApp' | 'wrongUser' | 'badSignature' | 'expired';

/**
 * Result of a credential check: never thrown, `message` explains the refusal without echoing secrets.
 * `issuedAtSec` (UserSig `TLS.time`, JWT `iat` or 0 without one) lets a revocation (REST `kick`) refuse older credentials.
 */
export type VerifyResult =
  | { ok: true; expiresAtSec: number; issuedAtSec: number }
  | { ok: false; reason: VerifyFailureReason; message: string };
