import { DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTable, startDynalite } from '../../lib/local/dynamo.ts';
import { LOCAL_CREDENTIALS } from '../../lib/wiring.ts';

// The iterators of the storage dynalite runs on (the same module instance its memory-level uses).
const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
const { AbstractValueIterator } = createRequire(fromDynalite.resolve('memory-level'))('abstract-level') as {
  AbstractValueIterator: { prototype: { next(): Promise<unknown>; close(): Promise<void> } };
};

let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let db: DynamoDBClient;
const open = new Set<object>();
const { next, close } = AbstractValueIterator.prototype;

beforeAll(async () => {
  dynamo = await startDynalite({ port: 0, host: '127.0.0.1' });
  await ensureTable(dynamo.endpoint, 'iterators');
  db = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'local', credentials: LOCAL_CREDENTIALS });
  // Every iterator that reads is open until it is closed.
  AbstractValueIterator.prototype.next = function (this: object) {
    open.add(this);
    return next.call(this);
  };
  AbstractValueIterator.prototype.close = function (this: object) {
    open.delete(this);
    return close.call(this);
  };
});
afterAll(async () => {
  AbstractValueIterator.prototype.next = next;
  AbstractValueIterator.prototype.close = close;
  await dynamo?.close();
});

describe('the local DynamoDB (dynalite)', () => {
  it('closes the storage iterator of every Query, whether it read to the end or stopped at its Limit', async () => {
    for (let i = 0; i < 5; i++) {
      await db.send(new PutItemCommand({ TableName: 'iterators', Item: { pk: { S: 'p' }, sk: { S: `s${i}` } } }));
    }
    const query = (limit?: number) =>
      db.send(new QueryCommand({ TableName: 'iterators', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'p' } }, ...(limit ? { Limit: limit } : {}) }));
    for (let i = 0; i < 20; i++) expect((await query()).Count).toBe(5);
    for (let i = 0; i < 20; i++) expect((await query(2)).Count).toBe(2);
    await expect.poll(() => open.size).toBe(0);
  });
});
