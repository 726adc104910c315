import { loadConfig } from '../lib/config.ts';
import { lambdaEntry } from '../lib/runtime/lambda-entry.ts';
import type { Deps } from '../lib/usecases/deps.ts';
import { dispatch } from '../lib/ws/dispatch.ts';
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
    const outcome = await dispatch(deps, who, frame);
    const body = responseFrame(frame.requestId, frame.action, outcome.code, outcome.message, outcome.data);
    if (frame.action === 'logout' && outcome.code === 0) {
      // The answer must reach the client before the server closes the connection.
      await deps.connections.post(who.connectionId, body);
      await deps.connections.close(who.connectionId);
      return { statusCode: 200 };
    }
    return { statusCode: 200, body };
  };
}

export const handler = lambdaEntry(() => makeHandler(wire(loadConfig(process.env))));
