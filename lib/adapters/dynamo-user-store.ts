import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEVICE_SK_PREFIX, deviceSk, LINE_SK, PROFILE_SK, userPk } from '../store/keys.ts';
import type { DeviceItem, LineAttempt, ProfileItem, UserStore, UserView } from '../ports/store.ts';
import { isConditionFailed } from './dynamo-errors.ts';

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
        if (sk === PROFILE_SK) view.profile = rest as ProfileItem;
        else if (sk === LINE_SK) view.line = rest as UserView['line'];
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
    const { pk: _pk, sk: _sk, ...profile } = out.Attributes ?? {};
    return profile as ProfileItem;
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
    const entries = Object.entries(fields).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return;
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: userPk(sdkAppId, userId), sk: PROFILE_SK },
        UpdateExpression: `SET ${entries.map((_, i) => `#f${i} = :v${i}`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(entries.map(([k], i) => [`#f${i}`, k])),
        ExpressionAttributeValues: Object.fromEntries(entries.map(([, v], i) => [`:v${i}`, v])),
      }),
    );
  }

  async acquireLine(sdkAppId: number, userId: string, callId: string, now: number, staleCallId?: string): Promise<LineAttempt> {
    const key = { pk: userPk(sdkAppId, userId), sk: LINE_SK };
    const values: Record<string, unknown> = { ':cid': callId };
    let condition = 'attribute_not_exists(pk) OR callId = :cid';
    if (staleCallId) {
      values[':stale'] = staleCallId;
      condition += ' OR callId = :stale';
    }
    try {
      const out = await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...key, callId, since: now },
          ConditionExpression: condition,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_OLD',
        }),
      );
      return { acquired: true, alreadyOurs: out.Attributes?.callId === callId };
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
    }
    // dynalite returns no item with a failed condition, so the holder is read (busy path only).
    const held = await this.db.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }));
    return held.Item ? { acquired: false, heldBy: String(held.Item.callId) } : this.acquireLine(sdkAppId, userId, callId, now);
  }

  async releaseLine(sdkAppId: number, userId: string, callId: string): Promise<void> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { pk: userPk(sdkAppId, userId), sk: LINE_SK },
          ConditionExpression: 'callId = :cid',
          ExpressionAttributeValues: { ':cid': callId },
        }),
      );
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
    }
  }
}
