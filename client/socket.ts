/**
 * Opens one WebSocket and tells a refused handshake apart from other failures where the runtime
 * allows it. Browsers hide the HTTP status of a refused upgrade; Node's `ws` exposes it through its
 * 'unexpected-response' event.
 */

import { CallEngineError, ErrorCode } from './errors.ts';
import type { LoginCredentials, SocketLike, WebSocketCtor } from './types.ts';

/** What an open socket reports to its owner. Listeners are attached before the handshake ends. */
export interface SocketHandlers {
  message(text: string): void;
  close(code: number, reason: string): void;
}

/** A CallEngineError for a failed handshake; `refused` is true only for a known HTTP 401/403. */
export interface HandshakeError extends CallEngineError {
  readonly refused: boolean;
}

/** WebSocket readyState OPEN (same number in the DOM and in `ws`). */
export const SOCKET_OPEN = 1;

interface EmitterLike {
  once(event: 'unexpected-response', listener: (req: unknown, res: { statusCode?: number; resume?: () => void }) => void): unknown;
  terminate(): void;
}

function isNodeWs(socket: SocketLike): socket is SocketLike & EmitterLike {
  const candidate = socket as Partial<EmitterLike>;
  return typeof candidate.once === 'function' && typeof candidate.terminate === 'function';
}

/** Builds the handshake URL: `url?sdkappid=..&userid=..&usersig=..` (or `&token=..`). */
export function handshakeUrl(url: string, sdkAppId: number, credentials: LoginCredentials): string {
  const query = new URLSearchParams({ sdkappid: String(sdkAppId), userid: credentials.userId });
  if ('userSig' in credentials) query.set('usersig', credentials.userSig);
  else query.set('token', credentials.token);
  return `${url}${url.includes('?') ? '&' : '?'}${query.toString()}`;
}

/** Closes at once where the runtime can (`ws` terminate: no close handshake, no lingering timer). */
export function closeNow(socket: SocketLike, code = 1000, reason = ''): void {
  try {
    if (isNodeWs(socket)) socket.terminate();
    else socket.close(code, reason);
  } catch {
    // Closing a socket that is already closing must never throw out of the engine.
  }
}

/**
 * Builds the error for a handshake that failed. HTTP 401/403 → ERROR_CREDENTIAL_REFUSED (70002);
 * another status or a network error seen through `ws` → ERROR_SIGNALING_SEND_FAIL; a browser socket
 * that failed before opening (cause invisible) → ERROR_USERSIG_EXPIRED (6206), the IM code apps
 * already handle by getting a new credential.
 */
export function handshakeError(status: number | undefined, nodeWs: boolean, detail: string): HandshakeError {
  let error: CallEngineError;
  let refused = false;
  if (status === 401 || status === 403) {
    refused = true;
    error = new CallEngineError(ErrorCode.ERROR_CREDENTIAL_REFUSED, `the server refused the credential (HTTP ${status})`, { httpStatus: status });
  } else if (status !== undefined) {
    error = new CallEngineError(ErrorCode.ERROR_SIGNALING_SEND_FAIL, `the WebSocket upgrade failed (HTTP ${status})`, { httpStatus: status });
  } else if (nodeWs) {
    error = new CallEngineError(ErrorCode.ERROR_SIGNALING_SEND_FAIL, `could not connect${detail ? `: ${detail}` : ''}`);
  } else {
    error = new CallEngineError(
      ErrorCode.ERROR_USERSIG_EXPIRED,
      'the connection failed before opening: the credential was refused or the server is unreachable',
    );
  }
  return Object.assign(error, { refused });
}

/**
 * Connects to `url`. Resolves with the socket once open; rejects with a HandshakeError if it closes
 * first. `handlers` stay attached for the socket's whole life (so no early message can be missed).
 */
export function openSocket(ctor: WebSocketCtor, url: string, handlers: SocketHandlers): Promise<SocketLike> {
  return new Promise((resolve, reject) => {
    let socket: SocketLike;
    try {
      socket = new ctor(url);
    } catch (cause) {
      const error = new CallEngineError(ErrorCode.ERROR_PARAM_INVALID, `cannot open ${url}: ${String(cause)}`, { cause });
      reject(Object.assign(error, { refused: false }));
      return;
    }
    watch(socket, handlers, resolve, reject);
  });
}

function watch(socket: SocketLike, handlers: SocketHandlers, resolve: (s: SocketLike) => void, reject: (e: HandshakeError) => void): void {
  const nodeWs = isNodeWs(socket);
  let opened = false;
  let failed = false;
  let status: number | undefined;
  let detail = '';
  if (isNodeWs(socket)) {
    socket.once('unexpected-response', (_req, res) => {
      status = res.statusCode;
      res.resume?.();
      socket.terminate(); // with this listener attached, ws leaves aborting the handshake to us
    });
  }
  socket.addEventListener('open', () => {
    opened = true;
    resolve(socket);
  });
  socket.addEventListener('error', (event: { message?: unknown }) => {
    if (typeof event?.message === 'string') detail = event.message;
    if (opened || failed) return; // after open, 'close' follows and reports it
    // Some runtimes (Node 20's experimental WebSocket) fire 'error' but never 'close' on a failed
    // handshake. `failed` also stops the re-entrant 'error' their close() fires while connecting.
    failed = true;
    reject(handshakeError(status, nodeWs, detail));
    closeNow(socket);
  });
  socket.addEventListener('message', (event: { data?: unknown }) => handlers.message(String(event.data)));
  socket.addEventListener('close', (event: { code?: number; reason?: unknown }) => {
    if (opened) handlers.close(event.code ?? 1006, String(event.reason ?? ''));
    else reject(handshakeError(status, nodeWs, detail));
  });
}
