import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attributeBytes, DynamoMeter } from '../../bench/capacity.ts';
import { ensureTable, startDynalite } from '../../lib/local/dynamo.ts';
import { documentClient } from '../../lib/wiring.ts';

// The bench's meter adds the index writes dynalite does not report, following each index's projection
// (lib/store/schema.ts: gsi1 holds `record`, gsi2 keys only). These are the rules the cost report rests on.
const TABLE = 'meter-test';
let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let meter: DynamoMeter;
let db: ReturnType<typeof documentClient>;

beforeAll(async () => {
  dynamo = await startDynalite({ port: 0, host: '127.0.0.1' });
  await ensureTable(dynamo.endpoint, TABLE);
  db = documentClient({ dynamoEndpoint: dynamo.endpoint, local: true });
  meter = new DynamoMeter();
  meter.instrument(db);
});
afterAll(async () => {
  await dynamo?.close();
});

/** Index write units spent by `work`. */
async function indexUnits(work: () => Promise<unknown>): Promise<number> {
  const before = meter.snapshot().indexWriteUnits;
  await work();
  return meter.snapshot().indexWriteUnits - before;
}

const bigCall = { members: Array.from({ length: 9 }, (_, i) => ({ userId: `user-${i}`, state: 'joined', pad: 'x'.repeat(300) })) };
const update = (sets: string, values: Record<string, unknown>, remove = '') =>
  db.send(
    new UpdateCommand({
      TableName: TABLE,
      Key: { pk: 'CALL#1', sk: 'c1' },
      UpdateExpression: `SET ${sets}${remove ? ` REMOVE ${remove}` : ''}`,
      ExpressionAttributeValues: values,
      ...(sets.includes('#c') ? { ExpressionAttributeNames: { '#c': 'call' } } : {}),
    }),
  );

describe('the bench meter’s index writes', () => {
  it('charges a keys-only or include index only for its own small entry, and only when its keys or projected attributes change', async () => {
    // A 3 KB call item enters both indexes: one unit each (keys only in gsi2, no `record` in gsi1).
    expect(await indexUnits(() => db.send(new PutCommand({ TableName: TABLE, Item: { pk: 'CALL#1', sk: 'c1', call: bigCall, gsi1pk: 'ROOM#1', gsi1sk: 'c1', gsi2pk: 'SWEEP#0', gsi2sk: '001#1#c1' } })))).toBe(2);
    // Changing the call without touching an index key costs the indexes nothing.
    expect(await indexUnits(() => update('#c = :c', { ':c': { ...bigCall, status: 'connected' } }))).toBe(0);
    // Moving its deadline is a delete and a put in gsi2.
    expect(await indexUnits(() => update('gsi2sk = :s', { ':s': '002#1#c1' }))).toBe(2);
    // Ending it takes it out of gsi1 (a delete) and moves it in gsi2.
    expect(await indexUnits(() => update('gsi2pk = :p, gsi2sk = :s', { ':p': 'SETTLE#0', ':s': '003#1#c1' }, 'gsi1pk, gsi1sk'))).toBe(3);
  });

  it('charges gsi1 a record entry by the size of the record it holds', async () => {
    const record = { CallId: 'r1', pad: 'y'.repeat(2_500) };
    const expected = Math.ceil((attributeBytes('record', record) + attributeBytes('pk', 'REC#1') + attributeBytes('sk', 'r1') + attributeBytes('gsi1pk', 'RECS#1') + attributeBytes('gsi1sk', '0001#r1') + 100) / 1024);
    expect(expected).toBe(3);
    expect(await indexUnits(() => db.send(new PutCommand({ TableName: TABLE, Item: { pk: 'REC#1', sk: 'r1', record, details: { pad: 'z'.repeat(5_000) }, gsi1pk: 'RECS#1', gsi1sk: '0001#r1' } })))).toBe(expected);
    // What the index holds is what the meter assumed: the record, without the details.
    const out = await db.send(new QueryCommand({ TableName: TABLE, IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': 'RECS#1' } }));
    expect(Object.keys(out.Items?.[0] ?? {}).sort()).toEqual(['gsi1pk', 'gsi1sk', 'pk', 'record', 'sk']);
  });
});
