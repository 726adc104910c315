import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { genUserSig } from '../lib/auth/usersig.ts';
import { counterField } from '../lib/adapters/dynamo-record-store.ts';
import type { CallRecord } from '../lib/calls/types.ts';
import { pad, recordKey } from '../lib/store/keys.ts';
import { LOCAL_CREDENTIALS } from '../lib/wiring.ts';
import { diffMeter } from './capacity.ts';
import { BenchClient } from './client.ts';
import { lifecycle } from './signaling.ts';
import { settle, startStack, type BenchStack } from './stack.ts';
import { mapLimit, median, percentiles, sleep, type Percentiles } from './stats.ts';

/** How the record store shards its per-minute counters (`RECCNT#<app>#<shard>`, 4 shards): mirrored to seed them. */
const COUNTER_SHARDS = 4;
const counterPk = (sdkAppId: number, shard: number) => `RECCNT#${sdkAppId}#${shard}`;
const DAY = 86_400;
const PER_PAGE = 100;
/** The page asked at every size (the middle of the 1k set): its cost must not depend on the total. */
export const FIXED_PAGE = 5;

export interface RecordQueryFigures {
  /** What was asked. */
  query: string;
  latency: Percentiles;
  /** DynamoDB requests and read units per REST request (median over repetitions). */
  reads: number;
  writes: number;
  readUnits: number;
  /** Of which: the page itself (Query on gsi1, records before the page read and skipped) … */
  page: { requests: number; units: number };
  /** … and TotalNum (the per-minute counters, 4 shards, plus a COUNT of the partial minutes at both ends). */
  totalNum: { requests: number; units: number };
  /** Records the answer carried, and its TotalNum (checked against what was written). */
  returned: number;
  total?: number;
}

export interface RecordsSize {
  records: number;
  /** Seconds spent writing the records (not part of any figure). */
  seedSec: number;
  /** The HTTP round trip of `/health` on the same stack: the baseline of the REST figures. */
  health: Percentiles;
  queries: RecordQueryFigures[];
}

/**
 * Records scaling: the window (last 7 days) holds `sizes[i]` records; each REST query is timed over
 * HTTP and its DynamoDB requests and read units counted. Records are written straight to the table
 * (items cloned from a real call's record, with the per-minute counters the record store keeps),
 * growing from one size to the next in the same stack.
 */
export async function recordsScaling(sizes: readonly number[], reps: number): Promise<RecordsSize[]> {
  const stack = await startStack();
  const client = new DynamoDBClient({ endpoint: stack.rt.dynamoEndpoint, region: 'local', credentials: LOCAL_CREDENTIALS });
  const db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const out: RecordsSize[] = [];
  try {
    const sdkAppId = stack.rt.demoApp.sdkAppId;
    const template = await templateItem(stack, db);
    const now = Math.floor(Date.now() / 1000);
    const seeder = new Seeder(db, stack.rt.tableName, sdkAppId, template, now);
    for (const size of [...sizes].sort((a, b) => a - b)) {
      const started = performance.now();
      await seeder.growTo(size);
      const seedSec = (performance.now() - started) / 1000;
      await settle(stack);
      out.push({ records: seeder.count, seedSec, ...(await measureQueries(stack, seeder, now, reps)) });
    }
  } finally {
    client.destroy();
    await stack.close();
  }
  return out;
}

/** The stored item of a real call's record (made by a real lifecycle), to clone. */
async function templateItem(stack: BenchStack, db: DynamoDBDocumentClient): Promise<Record<string, any>> {
  const a = await BenchClient.login(stack.target, 'rec-a');
  const b = await BenchClient.login(stack.target, 'rec-b');
  await lifecycle(a, b);
  await Promise.all([a.close(), b.close()]);
  await settle(stack);
  const { records } = await stack.rt.deps.records.queryRecords(stack.rt.demoApp.sdkAppId, { fromSec: 0, toSec: Math.floor(Date.now() / 1000) + 60, page: 1, perPage: 1 });
  const callId = records[0]?.CallId;
  if (!callId) throw new Error('no record to clone');
  const item = (await db.send(new GetCommand({ TableName: stack.rt.tableName, Key: recordKey(stack.rt.demoApp.sdkAppId, callId) }))).Item;
  if (!item) throw new Error('the record item is missing');
  return item;
}

class Seeder {
  count = 1; // the template's own record
  readonly callIds: string[] = [];
  /** Counter items by `<shard>#<minute>` → field → count (written whole, so they can grow between sizes). */
  private readonly counters = new Map<string, Map<string, number>>();
  private seq = 0;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly sdkAppId: number,
    private readonly template: Record<string, any>,
    private readonly now: number,
  ) {
    this.callIds.push((template.record as CallRecord).CallId);
  }

  async growTo(size: number): Promise<void> {
    const items: Record<string, unknown>[] = [];
    const touched = new Set<string>();
    for (; this.count < size; this.count++) {
      const n = ++this.seq;
      // Spread over the window (a fixed pseudo-random order), clear of its edges: from 6.9 days ago to 2 minutes ago.
      const start = this.now - 120 - Math.floor((((n * 7919) % 100_003) / 100_003) * (6.9 * DAY - 120));
      const base = this.template.record as CallRecord;
      const duration = base.EndTime - base.StartTime;
      const callId = `bench-${n.toString(36).padStart(8, '0')}-${base.CallId.slice(0, 20)}`;
      const record: CallRecord = { ...base, CallId: callId, StartTime: start, AcceptTime: base.AcceptTime ? start + 2 : 0, EndTime: start + duration };
      items.push({ ...this.template, ...recordKey(this.sdkAppId, callId), record, gsi1sk: `${pad(start, 10)}#${callId}` });
      this.callIds.push(callId);
      // The store picks a shard at random per record; a hash of n does the same, independently of the start time.
      const shard = (Math.imul(n, 0x9e3779b1) >>> 30) % COUNTER_SHARDS;
      const key = `${shard}#${Math.floor(start / 60)}`;
      const fields = this.counters.get(key) ?? new Map<string, number>();
      for (const f of [counterField(), counterField(record.CallResult), counterField(undefined, record.CallType), counterField(record.CallResult, record.CallType)]) fields.set(f, (fields.get(f) ?? 0) + 1);
      this.counters.set(key, fields);
      touched.add(key);
    }
    const counterItems = [...touched].map((key) => {
      const [shard, minute] = key.split('#').map(Number) as [number, number];
      return { pk: counterPk(this.sdkAppId, shard), sk: pad(minute, 10), ...Object.fromEntries(this.counters.get(key)!), expiresAt: this.now + 90 * DAY };
    });
    const batches: Record<string, unknown>[][] = [];
    for (const list of [items, counterItems]) for (let i = 0; i < list.length; i += 25) batches.push(list.slice(i, i + 25));
    await mapLimit(batches, 4, async (batch) => {
      let pending = batch.map((Item) => ({ PutRequest: { Item } }));
      while (pending.length) {
        const res = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.table]: pending } }));
        pending = (res.UnprocessedItems?.[this.table] ?? []) as typeof pending;
      }
    });
  }
}

async function measureQueries(stack: BenchStack, seeder: Seeder, now: number, reps: number): Promise<Omit<RecordsSize, 'records' | 'seedSec'>> {
  const app = stack.rt.demoApp;
  const usersig = genUserSig({ sdkAppId: app.sdkAppId, userId: 'administrator', key: app.secretKeys[0] ?? '', expireSec: 3600 });
  const query = new URLSearchParams({ sdkappid: String(app.sdkAppId), identifier: 'administrator', usersig, random: '12345', contenttype: 'json' });
  let lastStart = 0;
  const post = async (path: string, body: unknown) => {
    // Below the endpoint's documented rate (200/s per app), which the stack enforces.
    const wait = lastStart + 12 - performance.now();
    if (wait > 0) await sleep(wait);
    lastStart = performance.now();
    const res = await fetch(`${stack.rt.httpUrl}/v4/${path}?${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = (await res.json()) as Record<string, any>;
    if (json.ErrorCode !== 0) throw new Error(`${path}: ${json.ErrorCode} ${json.ErrorInfo}`);
    return json;
  };
  const window = { StartTime: now - 7 * DAY + 60, EndTime: now + 60 };
  const total = seeder.count;
  const middlePage = Math.max(1, Math.ceil(total / PER_PAGE / 2));
  const cases: { query: string; path: string; body: (i: number) => unknown }[] = [
    { query: 'get_record_by_callid', path: 'call_record_http_srv/get_record_by_callid', body: (i) => ({ CallId: seeder.callIds[(i * 7919) % seeder.callIds.length] }) },
    { query: `get_record_by_filter, page 1 (${PER_PAGE} per page)`, path: 'call_record_http_srv/get_record_by_filter', body: () => ({ ...window, NumberPerPage: PER_PAGE, Page: 1 }) },
    { query: `get_record_by_filter, page ${FIXED_PAGE} (same page at every size)`, path: 'call_record_http_srv/get_record_by_filter', body: () => ({ ...window, NumberPerPage: PER_PAGE, Page: FIXED_PAGE }) },
  ];
  // The middle page, unless it is the fixed page already (as with 1,000 records).
  if (middlePage !== FIXED_PAGE)
    cases.push({ query: `get_record_by_filter, middle page (page ${middlePage} of ${Math.ceil(total / PER_PAGE)})`, path: 'call_record_http_srv/get_record_by_filter', body: () => ({ ...window, NumberPerPage: PER_PAGE, Page: middlePage }) });
  const health: number[] = [];
  for (let i = 0; i < reps + 1; i++) {
    const t = performance.now();
    await (await fetch(`${stack.rt.httpUrl}/health`)).text();
    if (i > 0) health.push(performance.now() - t);
  }
  const queries: RecordQueryFigures[] = [];
  for (const c of cases) {
    const latency: number[] = [];
    const reads: number[] = [];
    const writes: number[] = [];
    const units: number[] = [];
    const page: { requests: number; units: number }[] = [];
    const totals: { requests: number; units: number }[] = [];
    let returned = 0;
    let totalNum: number | undefined;
    for (let i = 0; i < reps + 1; i++) {
      const before = stack.meter.snapshot();
      const t = performance.now();
      const answer = await post(c.path, c.body(i));
      const ms = performance.now() - t;
      const d = diffMeter(stack.meter.snapshot(), before);
      if (i === 0) continue; // warm-up
      latency.push(ms);
      reads.push(d.reads);
      writes.push(d.writes);
      units.push(d.readUnits);
      const of = (k: string) => d.byTarget[k] ?? { requests: 0, units: 0 };
      page.push(of('Query gsi1'));
      totals.push({ requests: of('Query').requests + of('Query gsi1 COUNT').requests, units: of('Query').units + of('Query gsi1 COUNT').units });
      const list = answer.Response?.CallRecordList as unknown[] | undefined;
      returned = list ? list.length : answer.Response ? 1 : 0;
      totalNum = answer.Response?.TotalNum as number | undefined;
    }
    if (totalNum !== undefined && totalNum !== total) throw new Error(`TotalNum ${totalNum} but ${total} records were written`);
    queries.push({ query: c.query, latency: percentiles(latency), reads: median(reads), writes: median(writes), readUnits: median(units), page: medianOf(page), totalNum: medianOf(totals), returned, ...(totalNum !== undefined ? { total: totalNum } : {}) });
  }
  return { health: percentiles(health), queries };
}

const medianOf = (xs: { requests: number; units: number }[]) => ({ requests: median(xs.map((x) => x.requests)), units: median(xs.map((x) => x.units)) });
