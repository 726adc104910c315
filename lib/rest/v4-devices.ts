import * as v from 'valibot';
import type { Platform } from '../calls/types.ts';
import { devicesOf, forceLogout, mapBounded, type DevicePresence } from '../usecases/accounts.ts';
import { RestError } from './errors.ts';
import { route, type RestRoute } from './route.ts';
import { userIdField } from './v4-accounts.ts';

/** Accounts per `query_online_status` call (90011 beyond). */
const MAX_QUERY = 500;
/** Users read at the same time by one query. */
const CONCURRENCY = 25;

/** Our platform names as Tencent's `query_online_status` reports them (iPhone, Android, Web, PC, Mac). */
export const TENCENT_PLATFORM: Record<Platform, string> = {
  iOS: 'iPhone',
  Android: 'Android',
  Web: 'Web',
  miniProgram: 'Web',
  Flutter: 'Web',
  Unknown: 'Web',
  Windows: 'PC',
  Linux: 'PC',
  Mac: 'Mac',
};

const flag = (name: string) => v.optional(v.picklist([0, 1], `${name} must be 0 or 1`));
const onlineBody = v.object({
  // Entries are checked by the handler: non-strings are 90003 and more than 500 is 90011, not 90001.
  To_Account: v.pipe(v.array(v.unknown(), 'To_Account must be an array of UserIDs'), v.minLength(1, 'To_Account must not be empty')),
  IsNeedDetail: flag('IsNeedDetail'),
  IsReturnInstid: flag('IsReturnInstid'),
  IsReturnCustomStatus: flag('IsReturnCustomStatus'),
});

const status = (live: boolean) => (live ? 'Online' : 'Offline');
/** One `Detail` entry per connection (several devices of one platform each get theirs). */
const detailOf = (d: DevicePresence, withInstId: boolean) => ({ Platform: TENCENT_PLATFORM[d.platform], Status: status(d.live), ...(withInstId ? { InstID: d.loginId } : {}) });
const seconds = (ms: number) => Math.floor(ms / 1000);
const deviceOf = (d: DevicePresence) => ({
  ConnectionId: d.connectionId,
  LoginId: d.loginId,
  DeviceId: d.deviceId,
  Platform: d.platform,
  LoginTime: seconds(d.loginAt),
  LastSeenTime: seconds(d.lastSeenAt),
  Online: d.live,
});

const detailSchema = { type: 'object', properties: { Platform: { enum: ['iPhone', 'Android', 'Web', 'PC', 'Mac'] }, Status: { enum: ['Online', 'Offline'] }, InstID: { type: 'string' } } };
const queryResult = { type: 'object', properties: { To_Account: { type: 'string' }, Status: { enum: ['Online', 'PushOnline', 'Offline'] }, Detail: { type: 'array', items: detailSchema } } };
const errorList = { type: 'array', items: { type: 'object', properties: { To_Account: { type: 'string' }, ErrorCode: { type: 'integer' } } } };
const deviceSchema = {
  type: 'object',
  properties: {
    ConnectionId: { type: 'string' },
    LoginId: { type: 'string' },
    DeviceId: { type: 'string' },
    Platform: { type: 'string' },
    LoginTime: { type: 'integer', description: 'Unix seconds' },
    LastSeenTime: { type: 'integer', description: 'Unix seconds' },
    Online: { type: 'boolean' },
  },
};

/** Presence (`openim/query_online_status`, Tencent Chat REST) and our per-device management extension. */
export const v4DeviceRoutes: RestRoute[] = [
  route({
    generation: 'v4',
    path: 'openim/query_online_status',
    summary:
      'Online status of up to 500 users (Online when a device heartbeats, else Offline); IsNeedDetail=1 adds one Detail entry per device, IsReturnInstid=1 its InstID (the login id). Unknown users go to ErrorList (70107).',
    ratePerSec: 200,
    body: onlineBody,
    invalidCode: 90001,
    response: { type: 'object', properties: { QueryResult: { type: 'array', items: queryResult }, ErrorList: errorList } },
    async handle(ctx, body) {
      if (body.To_Account.length > MAX_QUERY) throw new RestError(90011, `To_Account has at most ${MAX_QUERY} UserIDs per call`);
      if (!body.To_Account.every((u): u is string => typeof u === 'string')) throw new RestError(90003, 'To_Account entries must be strings');
      const users = body.To_Account as string[];
      const found = await mapBounded(users, CONCURRENCY, (u) => devicesOf(ctx.deps, ctx.app.sdkAppId, u));
      const QueryResult = users.flatMap((u, i) => {
        const devices = found[i];
        if (!devices) return [];
        const detail = body.IsNeedDetail === 1 && devices.length > 0 ? { Detail: devices.map((d) => detailOf(d, body.IsReturnInstid === 1)) } : {};
        return [{ To_Account: u, Status: status(devices.some((d) => d.live)), ...detail }];
      });
      const ErrorList = users.filter((_, i) => !found[i]).map((u) => ({ To_Account: u, ErrorCode: 70107 }));
      // ErrorCode is non-zero only when every account failed (the envelope then carries no lists).
      if (QueryResult.length === 0) throw new RestError(70107, `none of the accounts exists: ${users.slice(0, 10).join(', ')}`);
      return { QueryResult, ErrorList };
    },
  }),
  route({
    generation: 'v4',
    path: 'callsignal_device_svc/list_devices',
    summary:
      "Our extension (Easemob's device listing, in the v4 envelope): POST {UserID} → Response.DeviceList, one entry per logged-in connection {ConnectionId, LoginId, DeviceId, Platform, LoginTime, LastSeenTime (Unix seconds), Online}, oldest login first; 70107 for an unknown user.",
    ratePerSec: 100,
    body: v.object({ UserID: userIdField() }),
    invalidCode: 70402,
    response: { type: 'object', properties: { Response: { type: 'object', properties: { DeviceList: { type: 'array', items: deviceSchema } } } } },
    async handle(ctx, body) {
      const devices = await devicesOf(ctx.deps, ctx.app.sdkAppId, body.UserID);
      if (!devices) throw new RestError(70107, `account ${body.UserID} does not exist`);
      return { Response: { DeviceList: devices.map(deviceOf) } };
    },
  }),
  route({
    generation: 'v4',
    path: 'callsignal_device_svc/force_logout',
    summary:
      "Our extension (Easemob's force offline, in the v4 envelope): POST {UserID, ConnectionId?} logs out that connection, or every one of the user's without ConnectionId; each gets onKickedOffline AdminKick, leaves its call and is closed (its credential stays valid: use kick to revoke). Response.ConnectionIdList names those logged out; 70107 unknown user, 70402 unknown connection.",
    ratePerSec: 100,
    body: v.object({ UserID: userIdField(), ConnectionId: v.optional(v.pipe(v.string('ConnectionId must be a string'), v.minLength(1, 'ConnectionId must not be empty'), v.maxLength(128, 'ConnectionId is at most 128 characters'))) }),
    invalidCode: 70402,
    response: { type: 'object', properties: { Response: { type: 'object', properties: { ConnectionIdList: { type: 'array', items: { type: 'string' } } } } } },
    async handle(ctx, body) {
      const outcome = await forceLogout(ctx.deps, ctx.app.sdkAppId, body.UserID, body.ConnectionId);
      if (!outcome.ok && outcome.missing === 'user') throw new RestError(70107, `account ${body.UserID} does not exist`);
      if (!outcome.ok) throw new RestError(70402, `${body.UserID} has no logged-in connection ${body.ConnectionId ?? ''}`);
      return { Response: { ConnectionIdList: outcome.connectionIds } };
    },
  }),
];
