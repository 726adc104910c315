import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IdempotencyAlreadyInProgressError, IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import { createHash, randomUUID } from 'node:crypto';
import { OnceBusyError, type Once } from '../ports/once.ts';
import { TABLE_SCHEMA } from '../store/schema.ts';

/** Idempotency records spread over this many partitions (`ONCE#0` … `ONCE#15`), so none runs hot. */
const SHARDS = 16;

/**
 * `Once` with Powertools idempotency in the service's table: one record per key (pk `ONCE#<shard>`,
 * sk the hashed key), expiring after `ttlSec` through the table's TTL attribute. A run that crashed
 * blocks its key for at most `inProgressMs`, then the key may run again.
 */
export class PowertoolsOnce implements Once {
  private readonly runners: ((input: { key: string; token: string; work: () => Promise<void> }) => Promise<string>)[];

  constructor(client: DynamoDBClient, tableName: string, options: { ttlSec?: number; inProgressMs?: number } = {}) {
    const config = new IdempotencyConfig({ eventKeyJmesPath: 'key', expiresAfterSeconds: options.ttlSec ?? 7 * 24 * 3600 });
    const inProgressMs = options.inProgressMs ?? 60_000;
    // Outside a handler invocation's context, each run may take `inProgressMs` before another may take over.
    config.registerLambdaContext({ getRemainingTimeInMillis: () => inProgressMs } as Context);
    this.runners = Array.from({ length: SHARDS }, (_, shard) =>
      makeIdempotent(
        async ({ token, work }: { key: string; token: string; work: () => Promise<void> }) => {
          await work();
          return token;
        },
        {
          persistenceStore: new DynamoDBPersistenceLayer({
            tableName,
            keyAttr: TABLE_SCHEMA.partitionKey,
            sortKeyAttr: TABLE_SCHEMA.sortKey,
            staticPkValue: `ONCE#${shard}`,
            expiryAttr: TABLE_SCHEMA.ttlAttribute,
            awsSdkV3Client: client,
          }),
          config,
          keyPrefix: 'once',
        },
      ),
    );
  }

  async run(key: string, work: () => Promise<void>): Promise<'ran' | 'duplicate'> {
    const shard = createHash('sha256').update(key).digest().readUInt32BE(0) % SHARDS;
    const token = randomUUID();
    try {
      // The token comes back unchanged only from this run; a stored earlier run returns its own.
      return (await this.runners[shard]!({ key, token, work })) === token ? 'ran' : 'duplicate';
    } catch (err) {
      if (err instanceof IdempotencyAlreadyInProgressError) throw new OnceBusyError(key, { cause: err });
      throw err;
    }
  }
}
