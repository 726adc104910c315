import { CallRuleError } from '../calls/errors.ts';

/** -1201: the connection has not logged in yet (or logged out). */
export class NotLoggedInError extends CallRuleError {
  override readonly name = 'NotLoggedInError';
  constructor(action: string) {
    super(-1201, `${action}: log in first (send "login" after connecting)`);
  }
}

/** -1204: the same request is already done (a second `login` on one connection). */
export class RepeatedRequestError extends CallRuleError {
  override readonly name = 'RepeatedRequestError';
  constructor(message: string) {
    super(-1204, message);
  }
}

/** 8021: the invited user has never logged in. */
export class UnknownUserError extends CallRuleError {
  override readonly name = 'UnknownUserError';
  constructor(userId: string) {
    super(8021, `user "${userId}" has never logged in, so she cannot be called`);
  }
}

/** -1401: the change could not be stored after several attempts (heavy contention); the client may retry. */
export class ContentionError extends CallRuleError {
  override readonly name = 'ContentionError';
  constructor(callId: string, options?: { cause?: unknown }) {
    super(-1401, `call ${callId} is changing too fast; retry the request`);
    if (options?.cause) this.cause = options.cause;
  }
}

/** -1401: an abuse limit refused the request (the message names the limit and when to retry). */
export class RateLimitedError extends CallRuleError {
  override readonly name = 'RateLimitedError';
  constructor(message: string) {
    super(-1401, message);
  }
}
