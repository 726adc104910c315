import type { WsEvent } from '../lib/ws/speaker.ts';

/**
 * `$connect`: the authorizer has already checked the credentials (nothing is stored for a refused
 * connection). The device is registered by the `login` action, which also carries the platform.
 */
export function makeHandler() {
  return async (event: WsEvent): Promise<{ statusCode: number }> => ({ statusCode: event.requestContext.authorizer ? 200 : 401 });
}

export const handler = makeHandler();
