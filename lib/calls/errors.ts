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

/** 8010: the invitation is unknown, already handled (accepted elsewhere, cancelled, timed out) or not hers. */
export class InvitationHandledError extends CallRuleError {
  override readonly name = 'InvitationHandledError';
  constructor(message: string) {
    super(8010, message);
  }
}
