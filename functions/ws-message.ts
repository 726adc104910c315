import { loadConfig } from '../lib/config.ts';
import { lambdaEntry } from '../lib/runtime/lambda-entry.ts';
import type { Deps } from '../lib/usecases/deps.ts';
import { dispatch } from '../lib/ws/dispatch.ts';
import { expireCredential } from '../lib/usecases/presence.ts';
import { errorEventFrame, parseFrame, responseFrame } from '../lib/ws/frames.ts';
import { speakerOf, type WsEvent } from '../lib/ws/speaker.ts';
import { wire } from '../lib/wiring.ts';
import { FrameLimiter } from '../lib/ws/frame-limiter.ts';
import { APP_DEFAULTS } from '../lib/apps/app.ts';

/** What the route returns: API Gateway sends `body` back to the client (two-way route response). */
export interface WsResult {
  statusCode: number;
  body?: string;
}

/** Every action route and `$default`: parse the frame → one use case → the response frame. */
export function makeHandler(deps: Deps) {
  const limiter = new FrameLimiter();
  return async (event: WsEvent): Promise<WsResult> => {
    const refused = await applyFrameLimit(deps, limiter, event);
    if (refused) return refused;
    const parsed = parseFrame(event.body ?? '');
    if (!parsed.ok) {
      const { requestId, action } = parsed;
      if (requestId && action && requestId.length <= 64) return { statusCode: 200, body: responseFrame(requestId, action, parsed.code, parsed.message) };
      return { statusCode: 200, body: errorEventFrame(parsed.code, parsed.message, deps.clock.now()) };
    }
    const { frame } = parsed;
    const who = speakerOf(event);
    deps.log.resetKeys?.();
    const callId = (frame.data as { callId?: unknown } | undefined)?.callId;
    deps.log.appendKeys?.({ sdkAppId: who.sdkAppId, connectionId: who.connectionId, action: frame.action, ...(typeof callId === 'string' ? { callId } : {}) });
    if (who.credentialExpiresAt && deps.clock.now() >= who.credentialExpiresAt * 1000) {
      await postOrLog(deps, who.connectionId, responseFrame(frame.requestId, frame.action, 6206, 'your UserSig or token has expired; log in again with a new one'));
      await expireCredential(deps, who).catch((err: unknown) => deps.log.error('closing an expired connection failed', { error: String(err) }));
      return { statusCode: 200 };
    }
    const outcome = await dispatch(deps, who, frame);
    const body = responseFrame(frame.requestId, frame.action, outcome.code, outcome.message, outcome.data);
    const closing = frame.action === 'logout' && outcome.code === 0;
    if (!outcome.after && !closing) return { statusCode: 200, body };
    // The answer must reach the client before what follows it (events, or the server closing the connection).
    await postOrLog(deps, who.connectionId, body);
    await outcome.after?.().catch((err: unknown) => deps.log.error('after-answer work failed', { action: frame.action, error: String(err) }));
    if (closing) await deps.connections.close(who.connectionId).catch((err: unknown) => deps.log.error('closing the connection failed', { error: String(err) }));
    return { statusCode: 200 };
  };
}

/**
 * Posts a frame the handler sends itself (not as the route response). A failure is logged and
 * counted, never thrown: the work that follows the answer must still run (invariant 7).
 */
async function postOrLog(deps: Deps, connectionId: string, frame: string): Promise<void> {
  try {
    await deps.connections.post(connectionId, frame);
  } catch (err) {
    deps.metrics.count('EventDeliveryFailed');
    deps.log.error('posting to the connection failed', { connectionId, error: String(err) });
  }
}

/**
 * The per-connection frame rate (SECURITY.md "Abuse limits"): a frame over the limit is dropped and
 * answered with `onError` -1401; a connection that keeps going is told so and closed.
 */
async function applyFrameLimit(deps: Deps, limiter: FrameLimiter, event: WsEvent): Promise<WsResult | undefined> {
  const who = speakerOf(event);
  const app = await deps.apps.getApp(who.sdkAppId);
  const framesPerSec = app?.wsFramesPerSec ?? APP_DEFAULTS.wsFramesPerSec;
  const refusalsBeforeClose = app?.wsRefusalsBeforeClose ?? APP_DEFAULTS.wsRefusalsBeforeClose;
  const verdict = limiter.check(who.connectionId, deps.clock.now(), { framesPerSec, refusalsBeforeClose });
  if (verdict === 'accept') return undefined;
  deps.metrics.count('FramesRateLimited');
  const limit = `at most ${framesPerSec} frames per second per connection (bursts of ${2 * framesPerSec})`;
  if (verdict === 'refuse') return { statusCode: 200, body: errorEventFrame(-1401, `rate limit: ${limit}; this frame was dropped`, deps.clock.now()) };
  deps.log.warn('closing a connection over its frame rate', { sdkAppId: who.sdkAppId, userId: who.userId, connectionId: who.connectionId });
  await postOrLog(deps, who.connectionId, errorEventFrame(-1401, `rate limit: ${limit}; ${refusalsBeforeClose} frames were dropped within 10 s, so the connection is closed`, deps.clock.now()));
  await deps.connections.close(who.connectionId).catch((err: unknown) => deps.log.error('closing a flooding connection failed', { error: String(err) }));
  return { statusCode: 200 };
}

export const handler = lambdaEntry(() => makeHandler(wire(loadConfig(process.env))));
