import * as v from 'valibot';
import { PLATFORMS } from '../calls/types.ts';
import { isValidUserId, USER_ID_RULE } from '../auth/user-id.ts';
import { MAX_CALL_MEMBERS } from '../calls/limits.ts';


const userId = v.custom<string>(isValidUserId, `each user id must be ${USER_ID_RULE}`);
const callId = v.pipe(v.string('callId must be a string'), v.minLength(1, 'callId is required'), v.maxLength(64, 'callId is at most 64 characters'));
const mediaType = v.picklist(['Audio', 'Video'], 'mediaType must be "Audio" or "Video"');
/** The documented 89-character set of string room ids. */
const STR_ROOM_ID = /^[a-zA-Z0-9 !#$%&()+\-:;<=.>?@[\]^_{}|~,]+$/;
const roomId = v.union(
  [
    v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(2 ** 31 - 1)),
    v.pipe(v.string(), v.minLength(1), v.maxBytes(64), v.regex(STR_ROOM_ID)),
  ],
  'params.roomId must be an integer 1..2147483647 or a string of at most 64 bytes of the documented characters',
);
const httpUrl = v.pipe(v.string(), v.maxBytes(500, 'avatar is at most 500 bytes'), v.regex(/^https?:\/\/\S+$/i, 'avatar must be an http(s) URL'));

/** OfflinePushInfo (client-api.md §2.2): flat fields of strings, numbers and booleans, a few KB at most. */
const offlinePushInfo = v.pipe(
  v.record(v.string(), v.union([v.pipe(v.string(), v.maxBytes(1024)), v.number(), v.boolean()]), 'params.offlinePushInfo must be an object of strings, numbers and booleans'),
  v.check((o) => Object.keys(o).length <= 32, 'params.offlinePushInfo has at most 32 fields'),
);

/** The data schema of each action (ws-protocol.md "Actions"). */
export const ACTION_SCHEMAS = {
  login: v.object({
    platform: v.picklist(PLATFORMS, `platform must be one of ${PLATFORMS.join(', ')}`),
    deviceId: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(128, 'deviceId is at most 128 characters'))),
    sdkVersion: v.optional(v.pipe(v.string(), v.maxLength(64))),
  }),
  logout: v.object({}),
  heartbeat: v.object({}),
  syncCall: v.object({}),
  setSelfInfo: v.object({
    nickname: v.optional(v.pipe(v.string('nickname must be a string'), v.maxBytes(500, 'nickname is at most 500 bytes'))),
    avatar: v.optional(httpUrl),
  }),
  enableMultiDeviceAbility: v.object({ enable: v.boolean('enable must be a boolean') }),
  getUserStatus: v.object({
    userIdList: v.pipe(v.array(userId, 'userIdList must be an array of user ids'), v.minLength(1, 'userIdList is empty'), v.maxLength(100, 'userIdList has at most 100 users')),
  }),
  calls: v.object({
    userIdList: v.pipe(
      v.array(userId, 'userIdList must be an array of user ids'),
      v.minLength(1, 'userIdList is empty: name at least one user to call'),
      v.maxLength(MAX_CALL_MEMBERS - 1, `a call has at most ${MAX_CALL_MEMBERS} members: at most ${MAX_CALL_MEMBERS - 1} users to invite`),
      v.check((list) => new Set(list).size === list.length, 'userIdList has duplicates'),
    ),
    mediaType,
    params: v.optional(
      v.object({
        roomId: v.optional(roomId),
        timeout: v.optional(v.pipe(v.number('params.timeout must be a number of seconds'), v.safeInteger('params.timeout must be a whole number of seconds'))),
        userData: v.optional(v.pipe(v.string('params.userData must be a string'), v.maxBytes(4096, 'params.userData is at most 4096 bytes'))),
        chatGroupId: v.optional(v.pipe(v.string('params.chatGroupId must be a string'), v.maxBytes(128, 'params.chatGroupId is at most 128 bytes'))),
        offlinePushInfo: v.optional(offlinePushInfo),
      }),
    ),
  }),
  inviteUser: v.object({
    callId,
    userIdList: v.pipe(
      v.array(userId, 'userIdList must be an array of user ids'),
      v.minLength(1, 'userIdList is empty: name at least one user to invite'),
      v.maxLength(MAX_CALL_MEMBERS - 1, `a call has at most ${MAX_CALL_MEMBERS} members`),
      v.check((list) => new Set(list).size === list.length, 'userIdList has duplicates'),
    ),
    params: v.optional(
      v.object({
        timeout: v.optional(v.pipe(v.number('params.timeout must be a number of seconds'), v.safeInteger('params.timeout must be a whole number of seconds'))),
        userData: v.optional(v.pipe(v.string('params.userData must be a string'), v.maxBytes(4096, 'params.userData is at most 4096 bytes'))),
        offlinePushInfo: v.optional(offlinePushInfo),
      }),
    ),
  }),
  join: v.object({ callId }),
  switchCallMediaType: v.object({ callId, mediaType }),
  accept: v.object({ callId }),
  reject: v.object({ callId }),
  ignore: v.object({ callId }),
  hangup: v.object({ callId, reason: v.optional(v.literal('Interrupt', 'reason may only be "Interrupt"')) }),
} as const;

export type ActionName = keyof typeof ACTION_SCHEMAS;
export type ActionData<A extends ActionName> = v.InferOutput<(typeof ACTION_SCHEMAS)[A]>;

/** True for a known action name. */
export function isAction(name: string): name is ActionName {
  return Object.hasOwn(ACTION_SCHEMAS, name);
}

/** Validates one action's data; the message names the field and the rule. */
export function parseActionData<A extends ActionName>(action: A, data: unknown): { ok: true; data: ActionData<A> } | { ok: false; message: string } {
  const result = v.safeParse(ACTION_SCHEMAS[action], data ?? {});
  if (result.success) return { ok: true, data: result.output as ActionData<A> };
  const issue = result.issues[0];
  const path = v.getDotPath(issue);
  const message = issue.message.startsWith(path ?? '\u0000') || !path ? issue.message : `${path}: ${issue.message}`;
  return { ok: false, message: `${action}: ${message}` };
}
