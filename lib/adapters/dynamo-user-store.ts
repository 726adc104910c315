import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEVICE_SK_PREFIX, deviceSk, LINE_SK, PROFILE_SK, userPk } from '../store/keys.ts';
import type { DeviceItem, LineAttempt, LineLimited, LineOptions, ProfileItem, ProfileUpdate, UserStore, UserView } from '../ports/store.ts';
import { isConditionFailed } from './dynamo-errors.ts';
import { TABLE_SCHEMA } from '../store/schema.ts';

/** A freed line item (kept for its calls-per-minute window) expires this long after it was freed. */
const FREE_LINE_TTL_SEC = 24 * 3600;

/** Custom profile fields are stored flat on the profile item as `custom_<keyword>`, so one SET merges them. */
const CUSTOM_PREFIX = 'custom_';

/** A stored profile item as the domain sees it: keys dropped, custom fields gathered into `custom`. */
function profileOf(item: Record<string, unknown>): ProfileItem {
  const { pk: _pk, sk: _sk, ...rest } = item;
  const profile: Record<string, unknown> = {};
  const custom: Record<string, string> = {};
  for (const [k, v] of Object.entries(rest)) {
    if (k.startsWith(CUSTOM_PREFIX)) custom[k.slice(CUSTOM_PREFIX.length)] = String(v);
    else profile[k] = v;
  }
  if (Object.keys(custom).length > 0) profile.custom = custom;
  return profile as unknown as ProfileItem;
}

/** `SET` clauses (with their names and values) for the fields given, custom fields flattened. */
function setClauses(fields: Partial<Omit<ProfileItem, 'userId'>>): { clauses: string[]; names: Record<string, string>; values: Record<string, unknown> } {
  const { custom, ...plain } = fields;
  const entries = [...Object.entries(plain), ...Object.entries(custom ?? {}).map(([k, v]) => [`${CUSTOM_PREFIX}${k}`, v] as const)].filter(([, v]) => v !== undefined);
  return {
    clauses: entries.map((_, i) => `#f${i} = :v${i}`),
    names: Object.fromEntries(entries.map(([k], i) => [`#f${i}`, k])),
    values: Object.fromEntries(entries.map(([, v], i) => [`:v${i}`, v])),
  };
}

/** Users' profiles, devices and lines in DynamoDB, all in the user's partition. */
export class DynamoUserStore implements UserStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async getUser(sdkAppId: number, userId: string): Promise<UserView> {
    const view: UserView = { devices: [] };
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': userPk(sdkAppId, userId) },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of out.Items ?? []) {
        const { pk: _pk, sk, ...rest } = item;
        if (sk === PROFILE_SK) view.profile = profileOf(rest);
        else if (sk === LINE_SK && rest.callId !== undefined) view.line = { callId: String(rest.callId), since: Number(rest.since) };
        else if (String(sk).startsWith(DEVICE_SK_PREFIX)) view.devices.push(rest as DeviceItem);
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return view;
  }

  async getDevice(sdkAppId: number, userId: string, connectionId: string): Promise<DeviceItem | undefined> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk: userPk(sdkAppId, userId), sk: deviceSk(connectionId) }, ConsistentRead: true }),
    );
    if (!out.Item) return undefined;
    const { pk: _pk, sk: _sk, ...device } = out.Item;
    return device as DeviceItem;
  }

  async recordLogin(sdkAppId: number, userId: string, now: number): Promise<ProfileItem> {
    const out = await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: userPk(sdkAppId, userId), sk: PROFILE_SK },
        UpdateExpression:
          'SET userId = :u, createdAt = if_not_exists(createdAt, :now), lastLoginAt = :now, loggedOut = :false, multiDeviceAbility = if_not_exists(multiDeviceAbility, :false)',
        ExpressionAttributeValues: { ':u': userId, ':now': now, ':false': false },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return profileOf(out.Attributes ?? {});
  }

  async getProfile(sdkAppId: number, userId: string): Promise<ProfileItem | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: userPk(sdkAppId, userId), sk: PROFILE_SK }, ConsistentRead: true }));
    return out.Item ? profileOf(out.Item) : undefined;
  }

  async importUser(sdkAppId: number, userId: string, now: number, fields: Pick<ProfileUpdate, 'nickname' | 'avatar'>): Promise<void> {
    const set = setClauses(fields);
    const created = 'userId = :u, createdAt = if_not_exists(createdAt, :now), loggedOut = if_not_exists(loggedOut, :true), multiDeviceAbility = if_not_exists(multiDeviceAbility, :false)';
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: userPk(sdkAppId, userId), sk: PROFILE_SK },
        UpdateExpression: `SET ${[created, ...set.clauses].join(', ')}`,
        ...(set.clauses.length > 0 ? { ExpressionAttributeNames: set.names } : {}),
        ExpressionAttributeValues: { ':u': userId, ':now': now, ':true': true, ':false': false, ...set.values },
      }),
    );
  }

  async updateProfile(sdkAppId: number, userId: string, fields: ProfileUpdate): Promise<boolean> {
    const set = setClauses(fields);
    if (set.clauses.length === 0) return (await this.getProfile(sdkAppId, userId)) !== undefined;
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: userPk(sdkAppId, userId), sk: PROFILE_SK },
          UpdateExpression: `SET ${set.clauses.join(', ')}`,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: set.names,
          ExpressionAttributeValues: set.values,
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  }

  async deleteUser(sdkAppId: number, userId: string): Promise<void> {
    const pk = userPk(sdkAppId, userId);
    const view = await this.getUser(sdkAppId, userId);
    const sks = [...(view.profile ? [PROFILE_SK] : []), ...view.devices.map((d) => deviceSk(d.connectionId))];
    await Promise.all(sks.map((sk) => this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk, sk } }))));
  }

  async putDevice(sdkAppId: number, userId: string, device: DeviceItem): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: userPk(sdkAppId, userId), sk: deviceSk(device.connectionId), ...device } }));
  }

  async removeDevice(sdkAppId: number, userId: string, connectionId: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: userPk(sdkAppId, userId), sk: deviceSk(connectionId) } }));
  }

  async touchDevice(sdkAppId: number, userId: string, connectionId: string, now: number): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: userPk(sdkAppId, userId), sk: deviceSk(connectionId) },
          UpdateExpression: 'SET lastSeenAt = :now',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':now': now },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  }

  async setProfileFields(sdkAppId: number, userId: string, fields: Partial<Pick<ProfileItem, 'nickname' | 'avatar' | 'multiDeviceAbility' | 'loggedOut'>>): Promise<void> {
    const set = setClauses(fields);
    if (set.clauses.length === 0) return;
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: userPk(sdkAppId, userId), sk: PROFILE_SK },
        UpdateExpression: `SET ${set.clauses.join(', ')}`,
        ExpressionAttributeNames: set.names,
        ExpressionAttributeValues: set.values,
      }),
    );
  }

  acquireLine(sdkAppId: number, userId: string, callId: string, now: number, options?: LineOptions & { callsPerMinute?: undefined }): Promise<LineAttempt>;
  acquireLine(sdkAppId: number, userId: string, callId: string, now: number, options: LineOptions & { callsPerMinute: number }): Promise<LineAttempt | LineLimited>;
  async acquireLine(sdkAppId: number, userId: string, callId: string, now: number, options: LineOptions = {}): Promise<LineAttempt | LineLimited> {
    const { stale, callsPerMinute, freshSince } = options;
    const key = { pk: userPk(sdkAppId, userId), sk: LINE_SK };
    const free = `(attribute_not_exists(callId) OR callId = :cid${stale ? ' OR (callId = :stale AND since = :staleSince)' : ''})`;
    const values: Record<string, unknown> = { ':cid': callId, ':now': now, ...(stale ? { ':stale': stale.callId, ':staleSince': stale.since } : {}) };
    const window = Math.floor(now / 60_000);
    // `since` says which part of the call holds the line (a line taken over from a stale call starts one).
    const since = freshSince || stale ? 'since = :now' : 'since = if_not_exists(since, :now)';
    // The caller's calls-per-minute window lives on the line item, so counting costs no extra write
    // in the usual case (a user's first call of a minute takes the reset form; later ones increment).
    const forms =
      callsPerMinute === undefined
        ? [{ set: `callId = :cid, ${since}`, condition: free, values }]
        : [
            { set: `callId = :cid, ${since}, rlWindow = :w, rlCount = :one`, condition: `${free} AND (attribute_not_exists(rlWindow) OR rlWindow <> :w)`, values: { ...values, ':w': window, ':one': 1 } },
            { set: `callId = :cid, ${since}, rlCount = rlCount + :one`, condition: `${free} AND rlWindow = :w AND rlCount < :limit`, values: { ...values, ':w': window, ':one': 1, ':limit': callsPerMinute } },
          ];
    for (let attempt = 0; attempt < 3; attempt++) {
      for (const form of forms) {
        try {
          const out = await this.db.send(
            new UpdateCommand({
              TableName: this.table,
              Key: key,
              UpdateExpression: `SET ${form.set} REMOVE ${TABLE_SCHEMA.ttlAttribute}`,
              ConditionExpression: form.condition,
              ExpressionAttributeValues: form.values,
              ReturnValues: 'ALL_OLD',
            }),
          );
          const ours = out.Attributes?.callId === callId;
          return ours && out.Attributes?.since !== undefined ? { acquired: true, alreadyOurs: true, previousSince: Number(out.Attributes.since) } : { acquired: true, alreadyOurs: ours };
        } catch (err) {
          if (!isConditionFailed(err)) throw err;
        }
      }
      // dynalite returns no item with a failed condition, so the line is read (busy or limited path only).
      const held = (await this.db.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }))).Item;
      if (held?.callId === callId) return { acquired: true, alreadyOurs: true, ...(held.since === undefined ? {} : { previousSince: Number(held.since) }) };
      if (held?.callId !== undefined && (!stale || held.callId !== stale.callId || Number(held.since) !== stale.since)) return { acquired: false, heldBy: String(held.callId), since: Number(held.since) };
      if (callsPerMinute !== undefined && held?.rlWindow === window && Number(held.rlCount) >= callsPerMinute) {
        return { acquired: false, limitedForMs: (window + 1) * 60_000 - now };
      }
      // The line changed between the write and the read: try again.
    }
    throw new Error(`line of ${userId} kept changing while taking it for ${callId}`);
  }

  async releaseLine(sdkAppId: number, userId: string, callId: string, since?: number): Promise<void> {
    // The item stays (it carries the calls-per-minute window) and expires a day after the line was freed.
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: userPk(sdkAppId, userId), sk: LINE_SK },
          UpdateExpression: `REMOVE callId, since SET ${TABLE_SCHEMA.ttlAttribute} = :exp`,
          ConditionExpression: since === undefined ? 'callId = :cid' : 'callId = :cid AND since = :since',
          ExpressionAttributeValues: { ':cid': callId, ':exp': Math.floor(Date.now() / 1000) + FREE_LINE_TTL_SEC, ...(since === undefined ? {} : { ':since': since }) },
        }),
      );
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
    }
  }
}
