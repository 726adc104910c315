import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { randomInt, randomUUID } from 'node:crypto';
import { ApiGatewayConnections } from './adapters/apigw-connections.ts';
import { DynamoAppStore } from './adapters/dynamo-app-store.ts';
import { DynamoCallStore } from './adapters/dynamo-call-store.ts';
import { DynamoAdminStore } from './adapters/dynamo-admin-store.ts';
import { DynamoRecordStore } from './adapters/dynamo-record-store.ts';
import { DynamoUserStore } from './adapters/dynamo-user-store.ts';
import { SqsQueue } from './adapters/sqs-queue.ts';
import { SqsDeadLetters } from './adapters/dead-letters.ts';
import { EmfMetrics } from './adapters/metrics.ts';
import { CachedCallbackConfigs } from './apps/cached-callback-configs.ts';
import type { DeadLetters } from './ports/dead-letters.ts';
import type { Metrics } from './ports/metrics.ts';
import { CachedAppStore } from './apps/cached-app-store.ts';
import type { Config } from './config.ts';
import type { Queue } from './ports/queue.ts';
import type { Once } from './ports/once.ts';
import type { Deps } from './usecases/deps.ts';

/** Static credentials for the local runtime (dynalite and the local endpoints accept any). */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** The DynamoDB document client for a config (also used by the CLI). */
export function documentClient(config: Pick<Config, 'region' | 'dynamoEndpoint'> & { local?: boolean }): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(dynamoClient(config), { marshallOptions: { removeUndefinedValues: true } });
}

export function dynamoClient(config: Pick<Config, 'region' | 'dynamoEndpoint'> & { local?: boolean }): DynamoDBClient {
  return new DynamoDBClient({
    ...(config.region ? { region: config.region } : {}),
    ...(config.dynamoEndpoint ? { endpoint: config.dynamoEndpoint } : {}),
    ...(config.local ? { credentials: LOCAL_CREDENTIALS, region: 'local' } : {}),
  });
}

/**
 * Only the callbacks worker runs work once per key (it passes a `PowertoolsOnce`): keeping Powertools
 * idempotency out of `wire()` keeps it out of the other functions' bundles.
 */
const ONLY_IN_THE_CALLBACKS_WORKER: Once = {
  run: () => Promise.reject(new Error('deps.once is wired only in the callbacks worker')),
};

/** Builds every adapter once per process (cold start), from the config. The local runtime overrides the queues. */
export function wire(
  config: Config & { local?: boolean },
  overrides: { timers?: Queue; callbacks?: Queue; deadLetters?: DeadLetters; metrics?: Metrics; log?: Deps['log']; once?: Once } = {},
): Deps {
  const db = documentClient(config);
  const appStore = new DynamoAppStore(db, config.tableName);
  const local = config.local ? { credentials: LOCAL_CREDENTIALS, region: 'local' } : {};
  const management = new ApiGatewayManagementApiClient({ endpoint: config.wsManagementEndpoint, ...local });
  const sqs = new SQSClient(config.region ? { region: config.region } : {});
  const queueAt = (url: string | undefined, name: string) => {
    if (!url) throw new Error(`${name} is required`);
    return new SqsQueue(sqs, url);
  };
  const timers = overrides.timers ?? queueAt(config.timersQueueUrl, 'TIMERS_QUEUE_URL');
  const callbacks = overrides.callbacks ?? queueAt(config.callbacksQueueUrl, 'CALLBACKS_QUEUE_URL');
  const deadLetters = overrides.deadLetters ?? new SqsDeadLetters(sqs, config.callbacksDlqUrl ?? '');
  const admin = new DynamoAdminStore(db, config.tableName);
  return {
    rateLimiter: admin,
    callbackConfigs: new CachedCallbackConfigs(admin),
    callbacks,
    deadLetters,
    once: overrides.once ?? ONLY_IN_THE_CALLBACKS_WORKER,
    callbackPolicy: config.callbackPolicy,
    metrics: overrides.metrics ?? new EmfMetrics(),
    apps: new CachedAppStore(appStore),
    calls: new DynamoCallStore(db, config.tableName),
    users: new DynamoUserStore(db, config.tableName),
    records: new DynamoRecordStore(db, config.tableName),
    connections: new ApiGatewayConnections(management),
    timers,
    clock: { now: () => Date.now() },
    ids: { uuid: () => randomUUID(), roomId: () => randomInt(1, 2 ** 31 - 1), lineStamp: (now) => now + randomInt(1, 1000) / 1000 },
    timing: config.timing,
    log: overrides.log ?? new Logger({ serviceName: 'callsignal', logLevel: config.logLevel as 'INFO' }),
  };
}
