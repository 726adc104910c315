import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CallbackConfigStore, CallbackConfigV1, CallbackConfigV4, RateLimiter } from '../ports/admin.ts';
import { isConditionFailed } from './dynamo-errors.ts';

/** Rate limits and callback configurations in DynamoDB. */
export class DynamoAdminStore implements RateLimiter, CallbackConfigStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** One counter item per key and second, incremented only while under the limit (one conditional write). */
  async take(key: string, perSecond: number): Promise<boolean> {
    const second = Math.floor(this.now() / 1000);
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `RATE#${key}`, sk: String(second) },
          UpdateExpression: 'ADD n :one SET expiresAt = :exp',
          ConditionExpression: 'attribute_not_exists(n) OR n < :limit',
          ExpressionAttributeValues: { ':one': 1, ':limit': perSecond, ':exp': second + 120 },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  }

  async get(sdkAppId: number): Promise<{ v4?: CallbackConfigV4; v1?: CallbackConfigV1 }> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: `APP#${sdkAppId}`, sk: 'CALLBACK' }, ConsistentRead: true }));
    return { ...(out.Item?.v4 ? { v4: out.Item.v4 as CallbackConfigV4 } : {}), ...(out.Item?.v1 ? { v1: out.Item.v1 as CallbackConfigV1 } : {}) };
  }

  async put(sdkAppId: number, generation: 'v4' | 'v1', config: CallbackConfigV4 | CallbackConfigV1 | undefined): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: `APP#${sdkAppId}`, sk: 'CALLBACK' },
        UpdateExpression: config ? 'SET #g = :c' : 'REMOVE #g',
        ExpressionAttributeNames: { '#g': generation },
        ...(config ? { ExpressionAttributeValues: { ':c': config } } : {}),
      }),
    );
  }
}
