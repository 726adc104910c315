/**
 * A refusal of an admin REST request, with its documented code. The REST handler is the one place
 * that turns it into an envelope (v4 `ErrorCode`/`ErrorInfo`, v1 `errorCode`/`errorMessage`).
 */
export class RestError extends Error {
  override readonly name = 'RestError';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** The public codes of each API generation for the failures every endpoint shares. */
export const PUBLIC_CODES = {
  v4: { badRequest: 60002, badJson: 60003, badSig: 60004, expiredSig: 60005, unknownApp: 60006, rateLimited: 60007, badResource: 60009, notAdmin: 60010, noAppId: 60012, internal: 101001 },
  v1: { badRequest: 70001, badJson: 70009, badSig: 70002, expiredSig: 70003, unknownApp: 70001, rateLimited: 70005, badResource: 70001, notAdmin: 70004, noAppId: 70001, internal: 999 },
} as const;

export type Generation = keyof typeof PUBLIC_CODES;
export type PublicFailure = keyof (typeof PUBLIC_CODES)['v4'];

/** A shared failure, with the code of the request's API generation. */
export function publicError(generation: Generation, failure: PublicFailure, message: string): RestError {
  return new RestError(PUBLIC_CODES[generation][failure], message);
}
