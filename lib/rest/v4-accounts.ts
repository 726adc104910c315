import * as v from 'valibot';
import { isValidUserId, USER_ID_RULE } from '../auth/user-id.ts';
import { deleteAccount, findAccount, importAccount, mapBounded, revokeLogins, type AccountImport } from '../usecases/accounts.ts';
import { RestError } from './errors.ts';
import { route, type RestContext, type RestRoute } from './route.ts';

/** `im_open_login_svc`'s code for a body that is missing a field or malformed. */
const INVALID = 70402;
/** Unknown account (70107) and the text Tencent puts next to it in per-item results. */
const NO_ACCOUNT = { code: 70107, info: 'Err_TLS_PT_Open_Login_Account_Not_Exist' } as const;
/** Profile values (nickname, avatar URL) are at most this many bytes (40601 beyond). */
export const PROFILE_VALUE_MAX_BYTES = 500;
/** Accounts per batch call. */
const MAX_BATCH = 100;
/** Accounts a batch handles at the same time. */
const CONCURRENCY = 10;

/** A UserID of one of our users (accounts-auth §2); anything else is an invalid parameter. */
export const userIdField = (name = 'UserID') => v.pipe(v.string(`${name} must be a string`), v.check((id) => isValidUserId(id), `${name}: ${USER_ID_RULE}`));
/** A batch of 1 to 100 entries. */
const batch = <S extends v.GenericSchema>(name: string, item: S) =>
  v.pipe(v.array(item, `${name} must be an array`), v.minLength(1, `${name} must not be empty`), v.maxLength(MAX_BATCH, `${name} has at most ${MAX_BATCH} entries per call`));
const optionalText = (name: string) => v.optional(v.string(`${name} must be a string`));
const userItem = (list: string) => v.object({ UserID: v.string(`${list}[].UserID must be a string`) });

const accountBody = v.object({ UserID: userIdField(), Nick: optionalText('Nick'), FaceUrl: optionalText('FaceUrl') });
const multiBody = v.pipe(
  v.object({
    Accounts: v.optional(batch('Accounts', v.string('Accounts entries must be strings'))),
    AccountList: v.optional(batch('AccountList', v.object({ UserID: v.string('AccountList[].UserID must be a string'), Nick: optionalText('Nick'), FaceUrl: optionalText('FaceUrl') }))),
  }),
  v.check((b) => (b.Accounts === undefined) !== (b.AccountList === undefined), 'send exactly one of Accounts (UserIDs) and AccountList (objects)'),
);

/** Which of nickname and avatar is over the limit, if one is (40601). */
function oversized(a: Pick<AccountImport, 'nickname' | 'avatar'>): string | undefined {
  if (a.nickname !== undefined && Buffer.byteLength(a.nickname, 'utf8') > PROFILE_VALUE_MAX_BYTES) return 'Nick';
  if (a.avatar !== undefined && Buffer.byteLength(a.avatar, 'utf8') > PROFILE_VALUE_MAX_BYTES) return 'FaceUrl';
  return undefined;
}

const accountOf = (a: { UserID: string; Nick?: string | undefined; FaceUrl?: string | undefined }): AccountImport => ({
  userId: a.UserID,
  ...(a.Nick !== undefined ? { nickname: a.Nick } : {}),
  ...(a.FaceUrl !== undefined ? { avatar: a.FaceUrl } : {}),
});

/** Imports one entry of a batch; `false` (the UserID goes to `FailAccounts`) when it cannot be imported. */
async function importOne(ctx: RestContext, account: AccountImport): Promise<boolean> {
  if (!isValidUserId(account.userId) || oversized(account)) return false;
  try {
    await importAccount(ctx.deps, ctx.app.sdkAppId, account);
    return true;
  } catch (err) {
    ctx.deps.log.warn('account import failed', { sdkAppId: ctx.app.sdkAppId, error: err instanceof Error ? err.message : String(err) });
    return false;
  }
}

const resultItem = { type: 'object', properties: { UserID: { type: 'string' }, ResultCode: { type: 'integer' }, ResultInfo: { type: 'string' } } };
const strings = { type: 'array', items: { type: 'string' } };

/** `im_open_login_svc/*`: importing, deleting, checking accounts and revoking their logins (Tencent Chat REST). */
export const v4AccountRoutes: RestRoute[] = [
  route({
    generation: 'v4',
    path: 'im_open_login_svc/account_import',
    summary: 'Imports one account (idempotent; Nick/FaceUrl set or updated when given). It can be called at once and is UNLOGINED until it logs in.',
    ratePerSec: 200,
    body: accountBody,
    invalidCode: INVALID,
    response: { type: 'object' },
    async handle(ctx, body) {
      const account = accountOf(body);
      const field = oversized(account);
      if (field) throw new RestError(40601, `${field} is over ${PROFILE_VALUE_MAX_BYTES} bytes`);
      await importAccount(ctx.deps, ctx.app.sdkAppId, account);
      return {};
    },
  }),
  route({
    generation: 'v4',
    path: 'im_open_login_svc/multiaccount_import',
    summary: 'Imports up to 100 accounts: Accounts (UserIDs) or AccountList ({UserID, Nick?, FaceUrl?}); FailAccounts lists those not imported.',
    ratePerSec: 100,
    body: multiBody,
    invalidCode: INVALID,
    response: { type: 'object', properties: { FailAccounts: strings } },
    async handle(ctx, body) {
      const accounts: AccountImport[] = body.Accounts?.map((userId) => ({ userId })) ?? (body.AccountList ?? []).map(accountOf);
      const done = await mapBounded(accounts, CONCURRENCY, (a) => importOne(ctx, a));
      return { FailAccounts: accounts.filter((_, i) => !done[i]).map((a) => a.userId) };
    },
  }),
  route({
    generation: 'v4',
    path: 'im_open_login_svc/account_delete',
    summary: 'Deletes up to 100 accounts: their devices are kicked (onKickedOffline AccountDeleted, leaving their calls), profiles and devices removed; unknown ones get ResultCode 70107.',
    ratePerSec: 100,
    body: v.object({ DeleteItem: batch('DeleteItem', userItem('DeleteItem')) }),
    invalidCode: INVALID,
    response: { type: 'object', properties: { ResultItem: { type: 'array', items: resultItem } } },
    async handle(ctx, body) {
      const deleted = await mapBounded(body.DeleteItem, CONCURRENCY, (d) => deleteAccount(ctx.deps, ctx.app.sdkAppId, d.UserID));
      return {
        ResultItem: body.DeleteItem.map((d, i) =>
          deleted[i] ? { ResultCode: 0, ResultInfo: '', UserID: d.UserID } : { ResultCode: NO_ACCOUNT.code, ResultInfo: NO_ACCOUNT.info, UserID: d.UserID },
        ),
      };
    },
  }),
  route({
    generation: 'v4',
    path: 'im_open_login_svc/account_check',
    summary: 'Tells for up to 100 UserIDs whether each exists (AccountStatus Imported, whether imported or signed up by logging in) or not (NotImported).',
    ratePerSec: 100,
    body: v.object({ CheckItem: batch('CheckItem', userItem('CheckItem')) }),
    invalidCode: INVALID,
    response: { type: 'object', properties: { ResultItem: { type: 'array', items: { ...resultItem, properties: { ...resultItem.properties, AccountStatus: { enum: ['Imported', 'NotImported'] } } } } } },
    async handle(ctx, body) {
      const found = await mapBounded(body.CheckItem, CONCURRENCY, (c) => findAccount(ctx.deps, ctx.app.sdkAppId, c.UserID));
      return { ResultItem: body.CheckItem.map((c, i) => ({ UserID: c.UserID, ResultCode: 0, ResultInfo: '', AccountStatus: found[i] ? 'Imported' : 'NotImported' })) };
    },
  }),
  route({
    generation: 'v4',
    path: 'im_open_login_svc/kick',
    summary: "Revokes the user's login state: every credential issued before now is refused at connect (403), and her connections get onUserSigExpired and are closed.",
    ratePerSec: 200,
    body: v.object({ UserID: userIdField() }),
    invalidCode: INVALID,
    response: { type: 'object' },
    async handle(ctx, body) {
      if (!(await revokeLogins(ctx.deps, ctx.app.sdkAppId, body.UserID))) throw new RestError(NO_ACCOUNT.code, `account ${body.UserID} does not exist`);
      return {};
    },
  }),
];
