import { loadConfig } from '../lib/config.ts';
import { lambdaEntry } from '../lib/runtime/lambda-entry.ts';
import type { Deps } from '../lib/usecases/deps.ts';
import { dispatch } from '../lib/ws/dispatch.ts';
import { expireCredential } from '../lib/usecases/presence.ts';
import { errorEventFrame, parseFrame, responseFrame } from '../lib/ws/frames.ts';
import { speakerOf, type WsEvent } from '../lib/ws/speaker.ts';
import { wire } from '../lib/wiring.ts';

/** What the route returns: API Gateway sends `body` back to the client (two-way route response). */
export interface WsResult {
  statusCode: number;
  body?: string;
}

/** Every action route and `$default`: parse the frame → one use case → the response frame. */
export function makeHandler(deps: Deps) {
  return async (event: WsEvent): Promise<WsResult> => {
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
      await deps.connections.post(who.connectionId, responseFrame(frame.requestId, frame.action, 6206, 'your UserSig or token has expired; log in again with a new one'));
      await expireCredential(deps, who);
      return { statusCode: 200 };
    }
    const outcome = await dispatch(deps, who, frame);
    const body = responseFrame(frame.requestId, frame.action, outcome.code, outcome.message, outcome.data);
    const closing = frame.action === 'logout' && outcome.code === 0;
    if (!outcome.after && !closing) return { statusCode: 200, body };
    // The answer must reach the client before what follows it (events, or the server closing the connection).
    await deps.connections.post(who.connectionId, body);
    await outcome.after?.().catch((err: unknown) => deps.log.error('after-answer work failed', { action: frame.action, error: String(err) }));
    if (closing) await deps.connections.close(who.connectionId);
    return { statusCode: 200 };
  };
}

export const handler = lambdaEntry(() => makeHandler(wire(loadConfig(process.env))));
