import * as v from 'valibot';
import { isValidUserId } from '../auth/user-id.ts';
import type { ProfileItem, ProfileUpdate } from '../ports/store.ts';
import { findAccount, mapBounded } from '../usecases/accounts.ts';
import { RestError } from './errors.ts';
import { route, type RestRoute } from './route.ts';
import { PROFILE_VALUE_MAX_BYTES } from './v4-accounts.ts';

/** The profile service's code for a malformed body. */
const INVALID = 40001;
/** Users per `portrait_get` call. */
const MAX_USERS = 100;
/** Tags per `portrait_set` call (keeps a profile item far below DynamoDB's 400 KB). */
const MAX_TAGS = 100;
const CONCURRENCY = 25;

/** Where a profile tag lives: the nickname and avatar `setSelfInfo` writes, or a custom field. */
type TagRef = { field: 'nickname' | 'avatar' } | { field: 'custom'; keyword: string };

const STANDARD: Record<string, TagRef> = { Tag_Profile_IM_Nick: { field: 'nickname' }, Tag_Profile_IM_Image: { field: 'avatar' } };
/** `Tag_Profile_Custom_` + a keyword of 1 to 8 English letters (accounts-auth §8.3). */
const CUSTOM_TAG = /^Tag_Profile_Custom_([A-Za-z]{1,8})$/;

/** The tag's place in the profile; unknown tags (other `Tag_Profile_IM_*`, bad custom names) are 40009. */
function tagRef(tag: string): TagRef {
  const standard = STANDARD[tag];
  if (standard) return standard;
  const custom = CUSTOM_TAG.exec(tag);
  if (custom?.[1]) return { field: 'custom', keyword: custom[1] };
  throw new RestError(40009, `unknown profile tag ${JSON.stringify(tag.slice(0, 64))}: supported are Tag_Profile_IM_Nick, Tag_Profile_IM_Image and Tag_Profile_Custom_<1-8 letters>`);
}

/** A tag's value ("" when it was never set). */
function readTag(profile: ProfileItem, ref: TagRef): string {
  return (ref.field === 'custom' ? profile.custom?.[ref.keyword] : profile[ref.field]) ?? '';
}

/** A value to write: strings only (40610), at most 500 bytes (40601). */
function checkedValue(tag: string, value: unknown): string {
  if (typeof value !== 'string') throw new RestError(40610, `${tag} takes a string value`);
  if (Buffer.byteLength(value, 'utf8') > PROFILE_VALUE_MAX_BYTES) throw new RestError(40601, `${tag} is over ${PROFILE_VALUE_MAX_BYTES} bytes`);
  return value;
}

/** The profile update that a `portrait_set` list of `{Tag, Value}` asks for (a later duplicate wins). */
function updateOf(items: readonly { Tag: string; Value: unknown }[]): ProfileUpdate {
  const update: ProfileUpdate = {};
  for (const { Tag, Value } of items) {
    const ref = tagRef(Tag);
    const value = checkedValue(Tag, Value);
    if (ref.field === 'custom') update.custom = { ...update.custom, [ref.keyword]: value };
    else update[ref.field] = value;
  }
  return update;
}

const getBody = v.object({
  // Optional here so that a missing To_Account answers its own code (40002), not 40001.
  To_Account: v.optional(
    v.pipe(v.array(v.string('To_Account entries must be strings'), 'To_Account must be an array'), v.minLength(1, 'To_Account must not be empty'), v.maxLength(MAX_USERS, `To_Account has at most ${MAX_USERS} users`)),
  ),
  TagList: v.pipe(v.array(v.string('TagList entries must be strings'), 'TagList must be an array'), v.minLength(1, 'TagList must not be empty')),
});
const setBody = v.object({
  From_Account: v.pipe(v.string('From_Account must be a string'), v.minLength(1, 'From_Account must not be empty')),
  ProfileItem: v.pipe(
    v.array(v.object({ Tag: v.string('ProfileItem[].Tag must be a string'), Value: v.unknown() }), 'ProfileItem must be an array'),
    v.minLength(1, 'ProfileItem must not be empty'),
    v.maxLength(MAX_TAGS, `ProfileItem has at most ${MAX_TAGS} entries`),
  ),
});

const profileItemSchema = { type: 'array', items: { type: 'object', properties: { Tag: { type: 'string' }, Value: {} } } };
const userProfileSchema = { type: 'object', properties: { To_Account: { type: 'string' }, ProfileItem: profileItemSchema, ResultCode: { type: 'integer' }, ResultInfo: { type: 'string' } } };

/** `profile/portrait_get` and `portrait_set`: the nickname/avatar the WebSocket `setSelfInfo` writes, and custom fields. */
export const v4ProfileRoutes: RestRoute[] = [
  route({
    generation: 'v4',
    path: 'profile/portrait_get',
    summary: 'Reads profile tags (Tag_Profile_IM_Nick, Tag_Profile_IM_Image, Tag_Profile_Custom_*; "" when unset) of up to 100 users; unknown users get ResultCode 40003 and are listed in Fail_Account.',
    ratePerSec: 200,
    body: getBody,
    invalidCode: INVALID,
    response: { type: 'object', properties: { UserProfileItem: { type: 'array', items: userProfileSchema }, Fail_Account: { type: 'array', items: { type: 'string' } }, ErrorDisplay: { type: 'string' } } },
    async handle(ctx, body) {
      if (!body.To_Account) throw new RestError(40002, 'To_Account is required');
      const refs = body.TagList.map((tag) => ({ tag, ref: tagRef(tag) }));
      const profiles = await mapBounded(body.To_Account, CONCURRENCY, (u) => findAccount(ctx.deps, ctx.app.sdkAppId, u));
      const UserProfileItem = body.To_Account.map((To_Account, i) => {
        const profile = profiles[i];
        if (!profile) return { To_Account, ProfileItem: [], ResultCode: 40003, ResultInfo: `account ${To_Account} does not exist` };
        return { To_Account, ProfileItem: refs.map(({ tag, ref }) => ({ Tag: tag, Value: readTag(profile, ref) })), ResultCode: 0, ResultInfo: '' };
      });
      const failed = UserProfileItem.filter((p) => p.ResultCode !== 0).map((p) => p.To_Account);
      return { UserProfileItem, ...(failed.length > 0 ? { Fail_Account: failed } : {}), ErrorDisplay: '' };
    },
  }),
  route({
    generation: 'v4',
    path: 'profile/portrait_set',
    summary: "Writes profile tags of one user: Tag_Profile_IM_Nick and Tag_Profile_IM_Image (the nickname/avatar of setSelfInfo) and Tag_Profile_Custom_<1-8 letters>, string values of at most 500 bytes.",
    ratePerSec: 200,
    body: setBody,
    invalidCode: INVALID,
    response: { type: 'object', properties: { ErrorDisplay: { type: 'string' } } },
    async handle(ctx, body) {
      const update = updateOf(body.ProfileItem);
      const exists = isValidUserId(body.From_Account) && (await ctx.deps.users.updateProfile(ctx.app.sdkAppId, body.From_Account, update));
      if (!exists) throw new RestError(40003, `account ${body.From_Account} does not exist`);
      return { ErrorDisplay: '' };
    },
  }),
];
