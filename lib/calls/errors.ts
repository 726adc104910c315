/**
 * Errors the call machine raises when a command is not allowed. Each carries the documented
 * client error code (`spec/client-api.md` §9); the WebSocket layer maps them to response frames.
 */
export class CallRuleError extends Error {
  override readonly name: string = 'CallRuleError';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** -1202: a parameter has the wrong format or is out of range. */
export class InvalidParameterError extends CallRuleError {
  override readonly name = 'InvalidParameterError';
  constructor(message: string) {
    super(-1202, message);
  }
}

/** -1203: the action is not allowed in the caller's current call state. */
export class RefusedInStateError extends CallRuleError {
  override readonly name = 'RefusedInStateError';
  constructor(message: string) {
    super(-1203, message);
  }
}

/** -1205: the action does not apply to this kind of call (for example `join` on a 1v1 call). */
export class SceneNotSupportedError extends CallRuleError {
  override readonly name = 'SceneNotSupportedError';
  constructor(message: string) {
    super(-1205, message);
  }
}

/** 101004: the call does not exist or has ended (client-api.md §9.5), for actions on a call as a whole. */
export class CallEndedError extends CallRuleError {
  override readonly name = 'CallEndedError';
  constructor(action: string, callId: string) {
    super(101004, `${action}: call ${callId} does not exist or has ended`);
  }
}

/** 8010: the invitation is unknown, already handled (accepted elsewhere, cancelled, timed out) or not hers. */
export class InvitationHandledError extends CallRuleError {
  override readonly name = 'InvitationHandledError';
  constructor(message: string) {
    super(8010, message);
  }
}
