import { isStoreThrottled } from '../ports/store.ts';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as v from 'valibot';
import type { App } from '../apps/app.ts';
import { verifyCredential } from '../auth/credentials.ts';
import type { Deps } from '../usecases/deps.ts';
import { newRequestId, v1Body, v4Body } from './envelope.ts';
import { publicError, RestError, type Generation } from './errors.ts';
import type { RestContext, RestRoute } from './route.ts';

const MAX_RANDOM = 4_294_967_295;

/** Reads the JSON body: it must be an object (`{}` when there is nothing to send). */
function bodyOf(event: APIGatewayProxyEventV2, generation: Generation): Record<string, unknown> {
  const text = event.body === undefined ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (text.trim() === '') throw publicError(generation, 'badJson', 'the request body must not be empty: send {} when there is nothing to send');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw publicError(generation, 'badJson', 'the request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw publicError(generation, 'badJson', 'the request body must be a JSON object');
  return parsed as Record<string, unknown>;
}

/** Checks the query string and the admin's credential; answers the app it is for. */
async function authenticate(deps: Deps, q: Record<string, string | undefined>, generation: Generation): Promise<{ app: App; identifier: string }> {
  if (!q.sdkappid) throw publicError(generation, 'noAppId', 'the query string needs sdkappid');
  const sdkAppId = Number(q.sdkappid);
  if (!Number.isSafeInteger(sdkAppId) || sdkAppId <= 0) throw publicError(generation, 'badRequest', `sdkappid must be a positive integer, got "${q.sdkappid}"`);
  if (q.contenttype !== undefined && q.contenttype !== 'json') throw publicError(generation, 'badRequest', 'contenttype must be json');
  if (q.random !== undefined && !(/^\d{1,10}$/.test(q.random) && Number(q.random) <= MAX_RANDOM)) throw publicError(generation, 'badRequest', 'random must be an integer from 0 to 4294967295');
  const app = await deps.apps.getApp(sdkAppId);
  if (!app) throw publicError(generation, 'unknownApp', `unknown SDKAppID ${sdkAppId}`);
  const identifier = q.identifier ?? '';
  const credential = q.usersig ?? '';
  if (!identifier || !credential) throw publicError(generation, 'badSig', 'the query string needs identifier and usersig');
  // A JWT has dots; a UserSig never does.
  const input = credential.includes('.') ? { token: credential } : { usersig: credential };
  const result = verifyCredential({ sdkAppId, userId: identifier, ...input }, app, Math.floor(deps.clock.now() / 1000));
  if (!result.ok) throw publicError(generation, result.reason === 'expired' ? 'expiredSig' : 'badSig', `usersig refused: ${result.message}`);
  if (!app.admins.includes(identifier)) throw publicError(generation, 'notAdmin', `${identifier} is not an App administrator`);
  return { app, identifier };
}

/**
 * One admin REST request, v4 or legacy v1: POST only, URL and credential checks, the app's rate
 * limit for that endpoint, body validation, the endpoint, and the envelope of its generation.
 * The HTTP status is always 200; every outcome is in the body.
 */
export async function handleRestRequest(deps: Deps, routes: ReadonlyMap<string, RestRoute>, event: APIGatewayProxyEventV2, generation: Generation): Promise<Record<string, unknown>> {
  const requestId = newRequestId(generation);
  const envelope = (code: number, message: string, payload?: unknown) =>
    generation === 'v4' ? v4Body(requestId, code, message, (payload ?? {}) as Record<string, unknown>) : v1Body(requestId, code, message, payload ?? {});
  try {
    if (event.requestContext.http.method !== 'POST') throw publicError(generation, 'badRequest', 'only POST is accepted');
    const route = routes.get(event.rawPath);
    if (!route) throw publicError(generation, 'badResource', `no such API: ${event.rawPath}`);
    const { app, identifier } = await authenticate(deps, event.queryStringParameters ?? {}, generation);
    const body = bodyOf(event, generation);
    const rate = app.restRatePerSec ?? route.ratePerSec;
    if (!(await deps.rateLimiter.take(`${app.sdkAppId}#${generation}/${route.path}`, rate))) {
      throw publicError(generation, 'rateLimited', `more than ${rate} requests per second to ${route.path}; slow down`);
    }
    const parsed = v.safeParse(route.body, body);
    if (!parsed.success) {
      const issue = parsed.issues[0];
      const path = v.getDotPath(issue);
      throw new RestError(route.invalidCode, path && !issue.message.startsWith(path) ? `${path}: ${issue.message}` : issue.message);
    }
    const ctx: RestContext = { deps, app, identifier, generation, sourceIp: event.requestContext.http.sourceIp };
    return envelope(0, '', await route.handle(ctx, parsed.output));
  } catch (err) {
    if (err instanceof RestError) return envelope(err.code, err.message);
    if (isStoreThrottled(err)) {
      deps.log.warn('REST request throttled by storage', { path: event.rawPath, error: String(err) });
      deps.metrics.count('StoreThrottled');
      return envelope(publicError(generation, 'rateLimited', '').code, 'the service is busy right now (storage throttled); retry the request in a moment');
    }
    deps.log.error('REST request failed', { path: event.rawPath, error: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err) });
    return envelope(publicError(generation, 'internal', '').code, 'internal server error; retry the request');
  }
}
