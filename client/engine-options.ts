/**
 * Checks the engine's constructor options and fills in the defaults the connection runs with.
 */

import type { ConnectionConfig } from './connection.ts';
import { CallEngineError, ErrorCode } from './errors.ts';
import { DEFAULT_RECONNECT } from './reconnect-policy.ts';
import type { EngineOptions, WebSocketCtor } from './types.ts';

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

function resolveWebSocket(given: WebSocketCtor | undefined): WebSocketCtor {
  const ctor = given ?? (globalThis as { WebSocket?: WebSocketCtor }).WebSocket;
  if (typeof ctor !== 'function') {
    throw new CallEngineError(ErrorCode.ERROR_INIT_FAIL, 'no WebSocket class: pass options.WebSocket (in Node, the ws package)');
  }
  return ctor;
}

function withoutUndefined<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Validated options with every default filled in; throws -1202 / -1201 for unusable ones. */
export function connectionConfig(options: EngineOptions): ConnectionConfig {
  if (typeof options?.url !== 'string' || options.url === '') {
    throw new CallEngineError(ErrorCode.ERROR_PARAM_INVALID, 'url must be a non-empty string');
  }
  if (!Number.isInteger(options.sdkAppId) || options.sdkAppId <= 0) {
    throw new CallEngineError(ErrorCode.ERROR_PARAM_INVALID, 'sdkAppId must be a positive integer');
  }
  return {
    url: options.url,
    sdkAppId: options.sdkAppId,
    WebSocket: resolveWebSocket(options.WebSocket),
    platform: options.platform ?? 'Web',
    // One id for the engine's life: the server keys retried requests and reconnects by it.
    deviceId: options.deviceId ?? `dev-${globalThis.crypto.randomUUID()}`,
    heartbeat: options.heartbeat ?? true,
    reconnect: { ...DEFAULT_RECONNECT, ...withoutUndefined(options.reconnect) },
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  };
}
