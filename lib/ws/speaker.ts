import type { Speaker } from '../usecases/deps.ts';

/** The parts of an API Gateway WebSocket event the handlers read. */
export interface WsEvent {
  requestContext: {
    connectionId: string;
    routeKey?: string;
    identity?: { sourceIp?: string };
    authorizer?: Record<string, unknown> | null;
  };
  body?: string | null;
}

/** Values the authorizer puts in the connection's context (API Gateway repeats them on every message). */
export interface AuthorizerContext {
  sdkAppId: number;
  userId: string;
  loginId: string;
  credentialExpiresAt: number;
}

/** Who speaks on this connection: from the authorizer context, never from the message (ws-protocol.md). */
export function speakerOf(event: WsEvent): Speaker {
  const ctx = event.requestContext.authorizer ?? {};
  const sdkAppId = Number(ctx.sdkAppId);
  const userId = String(ctx.userId ?? '');
  if (!Number.isSafeInteger(sdkAppId) || !userId) throw new Error('connection has no authorizer context');
  return {
    sdkAppId,
    userId,
    loginId: String(ctx.loginId ?? ''),
    credentialExpiresAt: Number(ctx.credentialExpiresAt ?? 0),
    connectionId: event.requestContext.connectionId,
    ip: event.requestContext.identity?.sourceIp ?? '',
  };
}
