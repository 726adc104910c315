import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { APP_DEFAULTS, type App } from '../apps/app.ts';

const ABUSE_DEFAULTS = { callsPerMinute: APP_DEFAULTS.callsPerMinute, wsFramesPerSec: APP_DEFAULTS.wsFramesPerSec, wsRefusalsBeforeClose: APP_DEFAULTS.wsRefusalsBeforeClose };
import { appKey } from '../store/keys.ts';
import type { AppStore } from '../ports/store.ts';
import { isConditionFailed } from './dynamo-errors.ts';

/** Apps in DynamoDB. */
export class DynamoAppStore implements AppStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async getApp(sdkAppId: number): Promise<App | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: appKey(sdkAppId), ConsistentRead: true }));
    const app = out.Item?.app as App | undefined;
    // Apps stored before a setting existed get its default.
    return app && { ...ABUSE_DEFAULTS, ...app };
  }

  async createApp(app: App): Promise<boolean> {
    try {
      await this.db.send(new PutCommand({ TableName: this.table, Item: { ...appKey(app.sdkAppId), app }, ConditionExpression: 'attribute_not_exists(pk)' }));
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  }

  async putApp(app: App): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { ...appKey(app.sdkAppId), app } }));
  }
}
