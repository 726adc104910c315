import { randomBytes, randomInt } from 'node:crypto';
import type { Generation } from './errors.ts';

/** A request id in the documented shapes (v4 `Id-…-O-Seq-…`, v1 32 hex digits). */
export function newRequestId(generation: Generation): string {
  const hex = randomBytes(16).toString('hex');
  return generation === 'v4' ? `Id-${hex}-O-Seq-${randomInt(1, 1_000_000_000)}` : hex;
}

/** The v4 answer: `ActionStatus`/`ErrorInfo`/`ErrorCode`/`RequestId`, plus the endpoint's fields on success. */
export function v4Body(requestId: string, code: number, info: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { ActionStatus: code === 0 ? 'OK' : 'FAIL', ErrorInfo: info, ErrorCode: code, RequestId: requestId, ...(code === 0 ? fields : {}) };
}

/** The legacy v1 answer: `errorCode`/`errorMessage`/`requestId`/`data`. */
export function v1Body(requestId: string, code: number, message: string, data: unknown = {}): Record<string, unknown> {
  return { errorCode: code, errorMessage: code === 0 ? 'Success' : message, requestId, data: code === 0 ? data : {} };
}
