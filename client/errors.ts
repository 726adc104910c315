/**
 * The error every engine method rejects with, and the error codes of client-api.md §9 that the
 * engine itself or the server can produce.
 */

/** Error codes: engine (§9.1), IM (§9.3), call-service (§9.5), and the one credential code we chose. */
export const ErrorCode = {
  /** No call-feature package bought. */
  ERROR_PACKAGE_NOT_PURCHASED: -1001,
  /** The package does not support this feature. */
  ERROR_PACKAGE_NOT_SUPPORTED: -1002,
  /** IM SDK too old (Web and Mini Program). */
  ERROR_TIM_VERSION_OUTDATED: -1003,
  /** No audio/video device permission. */
  ERROR_PERMISSION_DENIED: -1101,
  /** Not logged in (yet), logged out, or the engine was destroyed. */
  ERROR_INIT_FAIL: -1201,
  /** Invalid parameter (the message names it). */
  ERROR_PARAM_INVALID: -1202,
  /** Not allowed in the current call state. */
  ERROR_REQUEST_REFUSED: -1203,
  /** The same method is already running. */
  ERROR_REQUEST_REPEATED: -1204,
  /** Not supported in the current call scene. */
  ERROR_SCENE_NOT_SUPPORTED: -1205,
  /** The request could not be delivered or got no answer (connection lost, timeout after retry). */
  ERROR_SIGNALING_SEND_FAIL: -1401,
  /** IM not logged in. */
  ERROR_IM_NOT_LOGGED_IN: 6014,
  /** Invalid parameter (IM). */
  ERROR_IM_PARAM_INVALID: 6017,
  /** UserSig expired; also used when a browser's handshake fails and the cause cannot be seen. */
  ERROR_USERSIG_EXPIRED: 6206,
  /** Interface not supported by the package. */
  ERROR_INTERFACE_NOT_SUPPORTED: 7013,
  /** Invitation id invalid or already handled (e.g. another device accepted first). */
  ERROR_INVITATION_HANDLED: 8010,
  /** The callee has never logged in. */
  ERROR_CALLEE_NEVER_LOGGED_IN: 8021,
  /** The server refused the credential during the handshake (HTTP 401/403); legacy "UserSig invalid". */
  ERROR_CREDENTIAL_REFUSED: 70002,
  /** Internal server error; retry. */
  ERROR_SERVER_INTERNAL: 101001,
  /** Invalid parameter (call service). */
  ERROR_SERVER_PARAM_INVALID: 101002,
  /** The call does not exist or has ended. */
  ERROR_CALL_NOT_FOUND: 101004,
  /** The call record does not exist. */
  ERROR_RECORD_NOT_FOUND: 101050,
  /** Unknown error (Web). */
  ERROR_UNKNOWN: 65535,
} as const;
/** One of the known codes (servers may send others; CallEngineError.code is a plain number). */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Extra facts attached to a CallEngineError. */
export interface CallEngineErrorInfo {
  requestId?: string;
  /** The action whose answer carried the error. */
  action?: string;
  /** HTTP status of a refused WebSocket upgrade, when the runtime exposes it (Node `ws`). */
  httpStatus?: number;
  cause?: unknown;
}

/** An engine failure with the documented numeric code; `requestId` names the request it answers. */
export class CallEngineError extends Error {
  override readonly name = 'CallEngineError';
  readonly code: number;
  readonly requestId: string | undefined;
  readonly action: string | undefined;
  readonly httpStatus: number | undefined;

  constructor(code: number, message: string, info: CallEngineErrorInfo = {}) {
    super(message, info.cause === undefined ? undefined : { cause: info.cause });
    this.code = code;
    this.requestId = info.requestId;
    this.action = info.action;
    this.httpStatus = info.httpStatus;
  }
}

/** True when `error` is a CallEngineError, optionally with the given code. */
export function isCallEngineError(error: unknown, code?: number): error is CallEngineError {
  return error instanceof CallEngineError && (code === undefined || error.code === code);
}
