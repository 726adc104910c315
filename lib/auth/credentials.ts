/** One entry point for login credentials: a TLS-sig v2 UserSig or, failing that, a JWT. */
import { verifyJwt } from './jwt.ts';
import { isValidUserId, USER_ID_RULE } from './user-id.ts';
import { verifyUserSig } from './usersig.ts';
import type { VerifyResult } from './verify-result.ts';

/** What a client presents at login: its app, its UserID and one credential. */
export interface CredentialInput {
  sdkAppId: number;
  userId: string;
  usersig?: string;
  token?: string;
}

/** The app's verification material: active secret keys (UserSig and HS256) and optional RS256 public keys (PEM). */
export interface CredentialKeys {
  secretKeys: readonly string[];
  jwtPublicKeys?: readonly string[];
}

/** Authenticates a login so handlers need not know which credential kind the client used; the UserSig wins if both are sent. */
export function verifyCredential(input: CredentialInput, app: CredentialKeys, nowSec: number): VerifyResult {
  if (!isValidUserId(input.userId)) {
    return { ok: false, reason: 'malformed', message: `invalid userId: ${USER_ID_RULE}` };
  }
  if (input.usersig !== undefined && input.usersig !== null) {
    return verifyUserSig(input.usersig, { sdkAppId: input.sdkAppId, userId: input.userId, keys: app.secretKeys, nowSec });
  }
  if (input.token !== undefined && input.token !== null) {
    return verifyJwt(input.token, {
      sdkAppId: input.sdkAppId,
      userId: input.userId,
      secrets: app.secretKeys,
      publicKeys: app.jwtPublicKeys ?? [],
      nowSec,
    });
  }
  return { ok: false, reason: 'malformed', message: 'usersig or token is required' };
}
