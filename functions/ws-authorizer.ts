import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';
import { randomUUID } from 'node:crypto';
import { verifyCredential } from '../lib/auth/credentials.ts';
import { CachedAppStore } from '../lib/apps/cached-app-store.ts';
import { DynamoAppStore } from '../lib/adapters/dynamo-app-store.ts';
import { DynamoUserStore } from '../lib/adapters/dynamo-user-store.ts';
import { lambdaEntry } from '../lib/runtime/lambda-entry.ts';
import type { AppStore, UserStore } from '../lib/ports/store.ts';
import type { Log } from '../lib/usecases/deps.ts';
import { documentClient } from '../lib/wiring.ts';

export interface AuthorizerDeps {
  apps: AppStore;
  /** The user's profile says since when her credentials are valid (REST `kick`). */
  users: Pick<UserStore, 'getProfile'>;
  now: () => number;
  newLoginId: () => string;
  log: Log;
}

const policy = (effect: 'Allow' | 'Deny', resource: string, principalId: string, context?: Record<string, string | number>): APIGatewayAuthorizerResult => ({
  principalId,
  policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }] },
  ...(context ? { context } : {}),
});

/**
 * The REQUEST authorizer on `$connect`: checks the UserSig or JWT from the query string. Missing or
 * expired credentials throw `Unauthorized` (HTTP 401: get a new credential); bad or mismatched ones
 * are denied (HTTP 403), and so is a credential issued before the user's last REST `kick` (one
 * GetItem of her profile). The allowed context names the speaker for every later message.
 */
export function makeHandler(deps: AuthorizerDeps) {
  return async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
    const q = event.queryStringParameters ?? {};
    const sdkAppId = Number(q.sdkappid);
    const userId = q.userid ?? '';
    if (!q.sdkappid || !Number.isSafeInteger(sdkAppId) || !userId || (!q.usersig && !q.token)) throw new Error('Unauthorized');
    const app = await deps.apps.getApp(sdkAppId);
    if (!app) return policy('Deny', event.methodArn, userId);
    const nowSec = Math.floor(deps.now() / 1000);
    const result = verifyCredential({ sdkAppId, userId, ...(q.usersig ? { usersig: q.usersig } : { token: q.token ?? '' }) }, app, nowSec);
    if (!result.ok) {
      deps.log.info('handshake refused', { sdkAppId, reason: result.reason });
      if (result.reason === 'expired') throw new Error('Unauthorized');
      return policy('Deny', event.methodArn, userId);
    }
    const profile = await deps.users.getProfile(sdkAppId, userId);
    if (profile?.credentialsValidAfter !== undefined && result.issuedAtSec < profile.credentialsValidAfter) {
      deps.log.info('handshake refused', { sdkAppId, reason: 'revoked' });
      return policy('Deny', event.methodArn, userId);
    }
    return policy('Allow', event.methodArn, userId, {
      sdkAppId,
      userId,
      loginId: deps.newLoginId(),
      credentialExpiresAt: result.expiresAtSec,
    });
  };
}

export const handler = lambdaEntry(() => {
  const table = process.env.TABLE_NAME;
  if (!table) throw new Error('environment variable TABLE_NAME is required');
  const db = documentClient({ ...(process.env.AWS_REGION ? { region: process.env.AWS_REGION } : {}) });
  return makeHandler({
    apps: new CachedAppStore(new DynamoAppStore(db, table)),
    users: new DynamoUserStore(db, table),
    now: () => Date.now(),
    newLoginId: () => randomUUID(),
    log: new Logger({ serviceName: 'callsignal-authorizer' }),
  });
});
