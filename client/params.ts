/**
 * Checks and shapes method arguments before they go on the wire, so obvious mistakes fail at once
 * with ERROR_PARAM_INVALID instead of a round trip. The server stays the authority on limits.
 */

import { toWireMediaType } from './enums.ts';
import type { MediaType, MediaTypeName } from './enums.ts';
import { CallEngineError, ErrorCode } from './errors.ts';
import type { CallParams, InviteParams, LoginCredentials, RoomIdObject } from './types.ts';

function invalid(message: string): CallEngineError {
  return new CallEngineError(ErrorCode.ERROR_PARAM_INVALID, message);
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/** Returns the credentials when they hold a userId and exactly a userSig or a token. */
export function checkCredentials(credentials: unknown): LoginCredentials {
  const c = (credentials ?? {}) as Partial<Record<'userId' | 'userSig' | 'token', unknown>>;
  if (!nonEmptyString(c.userId)) throw invalid('login: userId must be a non-empty string');
  if (nonEmptyString(c.userSig)) return { userId: c.userId, userSig: c.userSig };
  if (nonEmptyString(c.token)) return { userId: c.userId, token: c.token };
  throw invalid('login: give a userSig or a token');
}

/** Returns the list when it is a non-empty array of non-empty strings. */
export function checkUserIdList(method: string, userIdList: unknown): string[] {
  if (!Array.isArray(userIdList) || userIdList.length === 0 || !userIdList.every(nonEmptyString)) {
    throw invalid(`${method}: userIdList must be a non-empty array of user ids`);
  }
  return [...userIdList];
}

/** Returns 'Audio' or 'Video' for a MediaType number or name; anything else is invalid. */
export function checkMediaType(mediaType: MediaType | MediaTypeName | number | string, method = 'calls'): 'Audio' | 'Video' {
  const wire = toWireMediaType(mediaType);
  if (!wire) throw invalid(`${method}: mediaType must be Audio (1) or Video (2), got ${String(mediaType)}`);
  return wire;
}

/** Returns the call id when it is a non-empty string. */
export function checkCallId(method: string, callId: unknown): string {
  if (!nonEmptyString(callId)) throw invalid(`${method}: callId must be a non-empty string`);
  return callId;
}

/** `inviteUser` params as the action takes them: timeout, userData, offlinePushInfo (a roomId is ignored, as documented). */
export function wireInviteParams(params: InviteParams | undefined): Record<string, unknown> | undefined {
  if (params === undefined) return undefined;
  if (typeof params !== 'object' || params === null) throw invalid('inviteUser: params must be an object');
  const out: Record<string, unknown> = {};
  for (const key of ['timeout', 'userData', 'offlinePushInfo'] as const) {
    if (params[key] !== undefined) out[key] = params[key];
  }
  return out;
}

/** A RoomId object becomes its number or string (`intRoomId` wins when non-zero, client-api.md §2.3). */
export function wireRoomId(roomId: CallParams['roomId']): number | string | undefined {
  if (roomId === undefined || roomId === null || typeof roomId !== 'object') return roomId ?? undefined;
  const { intRoomId, strRoomId } = roomId as RoomIdObject;
  if (typeof intRoomId === 'number' && intRoomId !== 0) return intRoomId;
  if (nonEmptyString(strRoomId)) return strRoomId;
  return undefined;
}

/** CallParams as the `calls` action takes them; undefined fields are left out. */
export function wireCallParams(params: CallParams | undefined): Record<string, unknown> | undefined {
  if (params === undefined) return undefined;
  if (typeof params !== 'object' || params === null) throw invalid('calls: params must be an object');
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && key !== 'roomId') out[key] = value;
  }
  const roomId = wireRoomId(params.roomId);
  if (roomId !== undefined) out.roomId = roomId;
  return out;
}
