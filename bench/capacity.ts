import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TABLE_SCHEMA } from '../lib/store/schema.ts';

/**
 * Counts what the handlers ask of DynamoDB, with an SDK middleware on the client they share:
 * requests by operation, and consumed capacity from `ReturnConsumedCapacity: 'TOTAL'`, which the
 * middleware adds to every request (dynalite computes the units from item sizes with DynamoDB's
 * rounding: reads per 4 KB, halved when eventually consistent; writes per 1 KB, the larger of the
 * old and new item).
 *
 * Two things DynamoDB bills that dynalite does not report are added here, and said so in the report:
 * - writes to global secondary indexes: the middleware keeps, for every item it saw written, which
 *   indexes it is in, under which key, and the size of its index entry (DynamoDB's rule: the table's
 *   and the index's key attributes, the projected attributes, and 100 bytes; a write unit per 1 KB).
 *   A write that puts the item in an index or takes it out costs that entry's units; one that changes
 *   its index key costs a delete and a put; one that changes a projected attribute (any attribute
 *   under an ALL projection, whose entry costs the item's own units) costs a put; any other write
 *   costs the index nothing. Every item is written through this client from an empty table, so the
 *   shadow is complete;
 * - writes refused by their condition (`ConditionalCheckFailedException`) still consume write
 *   capacity: counted as 1 unit each (their item size is not known here).
 */
export const READ_OPS = ['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems'] as const;
export const WRITE_OPS = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems'] as const;

export interface MeterSnapshot {
  requests: Record<string, number>;
  reads: number;
  writes: number;
  /** Read request units (RRU), as returned. */
  readUnits: number;
  /** Write request units on the table (WRU), as returned, plus 1 per refused conditional write. */
  tableWriteUnits: number;
  /** Write units on the global secondary indexes (computed, see above). */
  indexWriteUnits: number;
  /** Writes refused by their condition. */
  conditionFailures: number;
  /** Requests and returned units by operation and target (`Query gsi1`, `Query COUNT`, …). */
  byTarget: Record<string, { requests: number; units: number }>;
}

/** An item's entry in one index: its key there ("pk\u0000sk"), and the bytes of its keys (with the overhead) and of each projected attribute. */
interface IndexEntry {
  key: string;
  keyBytes: number;
  projected: Record<string, number>;
}
const entryBytes = (e: IndexEntry) => Object.values(e.projected).reduce((n, b) => n + b, e.keyBytes);
type Entries = Map<string, IndexEntry>; // index name → the item's entry

const INDEXES = TABLE_SCHEMA.indexes.map((ix) => ({
  name: ix.indexName,
  pk: ix.partitionKey,
  sk: ix.sortKey,
  /** The non-key attributes the index holds; `undefined` for all of them. */
  projected: ix.projection.type === 'INCLUDE' ? (ix.projection.nonKeyAttributes as readonly string[]) : ix.projection.type === 'KEYS_ONLY' ? [] : undefined,
}));
type Index = (typeof INDEXES)[number];
/** DynamoDB's per-entry overhead in an index. */
const INDEX_ENTRY_OVERHEAD = 100;
const itemKey = (item: Record<string, unknown>) => `${String(item[TABLE_SCHEMA.partitionKey])}\u0000${String(item[TABLE_SCHEMA.sortKey])}`;

export class DynamoMeter {
  private readonly requests = new Map<string, number>();
  private readUnits = 0;
  private tableWriteUnits = 0;
  private indexWriteUnits = 0;
  private conditionFailures = 0;
  private readonly byTarget = new Map<string, { requests: number; units: number }>();
  /** Which indexes each item is in, under which key, and how large its entries are. */
  private readonly shadow = new Map<string, Entries>();

  /** Adds the counting middleware to the client (the local runtime's `instrumentDynamo` option). */
  readonly instrument = (client: DynamoDBDocumentClient | DynamoDBClient): void => {
    // Both clients' stacks take the same middleware; their generic types differ only in the command unions.
    (client.middlewareStack as DynamoDBDocumentClient['middlewareStack']).add(
      (next, context) => async (args) => {
        const op = String(context.commandName ?? 'Unknown').replace(/Command$/, '');
        const input = { ...(args.input as Record<string, unknown>) };
        input.ReturnConsumedCapacity ??= 'TOTAL';
        this.requests.set(op, (this.requests.get(op) ?? 0) + 1);
        try {
          const result = await next({ ...args, input });
          const units = this.onSuccess(op, input, (result.output ?? {}) as Record<string, unknown>);
          const target = [op, input.IndexName, input.Select === 'COUNT' ? 'COUNT' : undefined].filter(Boolean).join(' ');
          const t = this.byTarget.get(target) ?? { requests: 0, units: 0 };
          this.byTarget.set(target, { requests: t.requests + 1, units: t.units + units });
          return result;
        } catch (err) {
          if (err instanceof Error && err.name === 'ConditionalCheckFailedException') {
            this.conditionFailures += 1;
            this.tableWriteUnits += 1;
          }
          throw err;
        }
      },
      { step: 'initialize', name: 'benchDynamoMeter' },
    );
  };

  snapshot(): MeterSnapshot {
    const requests = Object.fromEntries(this.requests);
    const sum = (ops: readonly string[]) => ops.reduce((s, op) => s + (requests[op] ?? 0), 0);
    return {
      requests,
      reads: sum(READ_OPS),
      writes: sum(WRITE_OPS),
      readUnits: this.readUnits,
      tableWriteUnits: this.tableWriteUnits,
      indexWriteUnits: this.indexWriteUnits,
      conditionFailures: this.conditionFailures,
      byTarget: Object.fromEntries([...this.byTarget].map(([k, v]) => [k, { ...v }])),
    };
  }

  /** Accounts one successful request; returns the units DynamoDB returned for it. */
  private onSuccess(op: string, input: Record<string, unknown>, output: Record<string, unknown>): number {
    const consumed = output.ConsumedCapacity as { CapacityUnits?: number } | { CapacityUnits?: number }[] | undefined;
    const units = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []).reduce((s, c) => s + (c.CapacityUnits ?? 0), 0);
    if ((READ_OPS as readonly string[]).includes(op)) {
      this.readUnits += units;
      return units;
    }
    if (!(WRITE_OPS as readonly string[]).includes(op)) return units;
    this.tableWriteUnits += units;
    if (op === 'PutItem') this.indexWrites(input.Item as Record<string, unknown>, entriesOfItem(input.Item as Record<string, unknown>), units);
    else if (op === 'DeleteItem') this.indexWrites(input.Key as Record<string, unknown>, new Map(), units);
    else if (op === 'UpdateItem') this.onUpdate(input, units);
    else if (op === 'BatchWriteItem') {
      const requests = Object.values((input.RequestItems ?? {}) as Record<string, { PutRequest?: { Item: Record<string, unknown> }; DeleteRequest?: { Key: Record<string, unknown> } }[]>).flat();
      // Per-item units are not returned for a batch: 1 per item (the batches here write small items).
      for (const r of requests) {
        if (r.PutRequest) this.indexWrites(r.PutRequest.Item, entriesOfItem(r.PutRequest.Item), 1);
        else if (r.DeleteRequest) this.indexWrites(r.DeleteRequest.Key, new Map(), 1);
      }
    }
    return units;
  }

  private onUpdate(input: Record<string, unknown>, units: number): void {
    const key = input.Key as Record<string, unknown>;
    const before = this.shadow.get(itemKey(key)) ?? new Map<string, IndexEntry>();
    const { set, remove } = parseUpdate(String(input.UpdateExpression ?? ''), (input.ExpressionAttributeNames ?? {}) as Record<string, string>);
    const values = (input.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
    const valueOf = (attr: string) => values[set.get(attr) ?? ''];
    const after = new Map(before);
    for (const ix of INDEXES) {
      const old = before.get(ix.name);
      if (remove.has(ix.pk) || remove.has(ix.sk)) {
        after.delete(ix.name);
        continue;
      }
      if (!old && !(set.has(ix.pk) && set.has(ix.sk))) continue;
      const [oldPk = '', oldSk = ''] = (old?.key ?? '').split('\u0000');
      const keyValue = (attr: string, was: string) => (set.has(attr) ? String(valueOf(attr) ?? `?${set.get(attr)}`) : was);
      const pk = keyValue(ix.pk, oldPk);
      const sk = keyValue(ix.sk, oldSk);
      // Projected attributes the update does not touch keep their size (under ALL only the units matter: the item's).
      const projected = { ...old?.projected };
      for (const a of ix.projected ?? []) {
        if (remove.has(a)) delete projected[a];
        else if (set.has(a)) projected[a] = attributeBytes(a, valueOf(a));
      }
      after.set(ix.name, { key: `${pk}\u0000${sk}`, keyBytes: entryKeyBytes(key, ix, pk, sk), projected });
    }
    const changed = new Set([...set.keys(), ...remove]);
    this.indexWrites(key, after, units, before, (ix) => ix.projected === undefined || ix.projected.some((a) => changed.has(a)));
  }

  /**
   * Adds the index writes of one item write and records where the item is now. `projectedChanged`
   * says whether the write changed what an index holds besides its key.
   */
  private indexWrites(key: Record<string, unknown>, after: Entries, units: number, known?: Entries, projectedChanged: (ix: Index) => boolean = ALL_CHANGED): void {
    const k = itemKey(key);
    const before = known ?? this.shadow.get(k) ?? new Map<string, IndexEntry>();
    for (const ix of INDEXES) {
      const b = before.get(ix.name);
      const a = after.get(ix.name);
      // Under ALL the entry is the item: it costs the item's units; otherwise the entry's own.
      const cost = (e: IndexEntry) => (ix.projected === undefined ? units : Math.max(1, Math.ceil(entryBytes(e) / 1024)));
      if (b && a) this.indexWriteUnits += a.key !== b.key ? cost(b) + cost(a) : projectedChanged(ix) ? cost(a) : 0;
      else if (b) this.indexWriteUnits += cost(b);
      else if (a) this.indexWriteUnits += cost(a);
    }
    if (after.size) this.shadow.set(k, after);
    else this.shadow.delete(k);
  }
}

const ALL_CHANGED = () => true;

/** The entries a whole item (a put) has in the indexes. */
function entriesOfItem(item: Record<string, unknown>): Entries {
  const m: Entries = new Map();
  for (const ix of INDEXES) {
    if (item[ix.pk] === undefined || item[ix.sk] === undefined) continue;
    const pk = String(item[ix.pk]);
    const sk = String(item[ix.sk]);
    const projected = ix.projected ?? Object.keys(item).filter((a) => a !== ix.pk && a !== ix.sk && a !== TABLE_SCHEMA.partitionKey && a !== TABLE_SCHEMA.sortKey);
    const sizes = Object.fromEntries(projected.filter((a) => item[a] !== undefined).map((a) => [a, attributeBytes(a, item[a])]));
    m.set(ix.name, { key: `${pk}\u0000${sk}`, keyBytes: entryKeyBytes(item, ix, pk, sk), projected: sizes });
  }
  return m;
}

/** Bytes of an index entry without its projected attributes: the table's and the index's keys, and the overhead. */
function entryKeyBytes(tableKey: Record<string, unknown>, ix: Index, pk: string, sk: string): number {
  return attributeBytes(TABLE_SCHEMA.partitionKey, tableKey[TABLE_SCHEMA.partitionKey]) + attributeBytes(TABLE_SCHEMA.sortKey, tableKey[TABLE_SCHEMA.sortKey]) + attributeBytes(ix.pk, pk) + attributeBytes(ix.sk, sk) + INDEX_ENTRY_OVERHEAD;
}

/** DynamoDB's size of one attribute (name and value), as its documentation counts it. */
export function attributeBytes(name: string, value: unknown): number {
  return Buffer.byteLength(name) + valueBytes(value);
}

function valueBytes(value: unknown): number {
  if (value === undefined || value === null || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number' || typeof value === 'bigint') return Math.ceil(String(value).replace(/^-|\.|e.*$/gi, '').length / 2) + 1;
  if (value instanceof Uint8Array) return value.byteLength;
  if (Array.isArray(value)) return 3 + value.reduce((n: number, v) => n + 1 + valueBytes(v), 0);
  if (value instanceof Set) return [...value].reduce((n: number, v) => n + valueBytes(v), 0);
  return 3 + Object.entries(value as Record<string, unknown>).reduce((n, [k, v]) => n + 1 + attributeBytes(k, v), 0);
}

/** The attributes an update expression SETs (attribute → the value placeholder, or '' for an expression) and REMOVEs. */
export function parseUpdate(expression: string, names: Record<string, string>): { set: Map<string, string>; remove: Set<string> } {
  const set = new Map<string, string>();
  const remove = new Set<string>();
  const resolve = (path: string) => path.trim().split(/[.[]/)[0]!.replace(/^#\w+$/, (n) => names[n] ?? n);
  // Clauses start with a keyword at the top level: SET a = :v, b = if_not_exists(b, :w) REMOVE c, d ADD e :one
  const clauses = expression.split(/\b(SET|REMOVE|ADD|DELETE)\b/i).map((s) => s.trim());
  for (let i = 1; i < clauses.length; i += 2) {
    const keyword = clauses[i]!.toUpperCase();
    for (const part of splitTopLevel(clauses[i + 1] ?? '')) {
      if (keyword === 'SET') {
        const eq = part.indexOf('=');
        if (eq < 0) continue;
        const rhs = part.slice(eq + 1).trim();
        set.set(resolve(part.slice(0, eq)), /^:\w+$/.test(rhs) ? rhs : '');
      } else if (keyword === 'REMOVE') remove.add(resolve(part));
      else set.set(resolve(part.split(/\s+/)[0] ?? ''), '');
    }
  }
  return { set, remove };
}

function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of s) {
    if (ch === '(') depth += 1;
    if (ch === ')') depth -= 1;
    if (ch === ',' && depth === 0) {
      parts.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim()) parts.push(current.trim());
  return parts;
}

/** The difference of two snapshots (after − before). */
export function diffMeter(after: MeterSnapshot, before: MeterSnapshot): MeterSnapshot {
  const requests: Record<string, number> = {};
  for (const op of new Set([...Object.keys(after.requests), ...Object.keys(before.requests)])) {
    const d = (after.requests[op] ?? 0) - (before.requests[op] ?? 0);
    if (d) requests[op] = d;
  }
  const byTarget: MeterSnapshot['byTarget'] = {};
  for (const [k, v] of Object.entries(after.byTarget)) {
    const b = before.byTarget[k] ?? { requests: 0, units: 0 };
    if (v.requests !== b.requests) byTarget[k] = { requests: v.requests - b.requests, units: v.units - b.units };
  }
  return {
    requests,
    byTarget,
    reads: after.reads - before.reads,
    writes: after.writes - before.writes,
    readUnits: after.readUnits - before.readUnits,
    tableWriteUnits: after.tableWriteUnits - before.tableWriteUnits,
    indexWriteUnits: after.indexWriteUnits - before.indexWriteUnits,
    conditionFailures: after.conditionFailures - before.conditionFailures,
  };
}
