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
 * - writes to global secondary indexes (both indexes project ALL): the middleware keeps, for every
 *   item it saw written, which indexes it is in and under which key, and adds the item's write units
 *   once per index it is in before or after the write (twice when the index key changes: a delete
 *   and a put). Every item is written through this client from an empty table, so the shadow is complete;
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

type KeyValues = Map<string, string>; // index name → "pk\u0000sk" of the item in that index

const INDEXES = TABLE_SCHEMA.indexes.map((ix) => ({ name: ix.indexName, pk: ix.partitionKey, sk: ix.sortKey }));
const itemKey = (item: Record<string, unknown>) => `${String(item[TABLE_SCHEMA.partitionKey])}\u0000${String(item[TABLE_SCHEMA.sortKey])}`;

export class DynamoMeter {
  private readonly requests = new Map<string, number>();
  private readUnits = 0;
  private tableWriteUnits = 0;
  private indexWriteUnits = 0;
  private conditionFailures = 0;
  private readonly byTarget = new Map<string, { requests: number; units: number }>();
  /** Which indexes each item is in, and under which key. */
  private readonly shadow = new Map<string, KeyValues>();

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
    if (op === 'PutItem') this.indexWrites(input.Item as Record<string, unknown>, indexesOfItem(input.Item as Record<string, unknown>), units);
    else if (op === 'DeleteItem') this.indexWrites(input.Key as Record<string, unknown>, new Map(), units);
    else if (op === 'UpdateItem') this.onUpdate(input, units);
    else if (op === 'BatchWriteItem') {
      const requests = Object.values((input.RequestItems ?? {}) as Record<string, { PutRequest?: { Item: Record<string, unknown> }; DeleteRequest?: { Key: Record<string, unknown> } }[]>).flat();
      // Per-item units are not returned for a batch: 1 per item (the batches here write small items).
      for (const r of requests) {
        if (r.PutRequest) this.indexWrites(r.PutRequest.Item, indexesOfItem(r.PutRequest.Item), 1);
        else if (r.DeleteRequest) this.indexWrites(r.DeleteRequest.Key, new Map(), 1);
      }
    }
    return units;
  }

  private onUpdate(input: Record<string, unknown>, units: number): void {
    const key = input.Key as Record<string, unknown>;
    const before = this.shadow.get(itemKey(key)) ?? new Map<string, string>();
    const { set, remove } = parseUpdate(String(input.UpdateExpression ?? ''), (input.ExpressionAttributeNames ?? {}) as Record<string, string>);
    const values = (input.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
    const after = new Map(before);
    for (const ix of INDEXES) {
      if (remove.has(ix.pk) || remove.has(ix.sk)) after.delete(ix.name);
      else if (set.has(ix.pk) || set.has(ix.sk)) {
        const [oldPk = '', oldSk = ''] = (before.get(ix.name) ?? '').split('\u0000');
        const value = (attr: string, old: string) => (set.has(attr) ? String(values[set.get(attr)!] ?? `?${set.get(attr)}`) : old);
        after.set(ix.name, `${value(ix.pk, oldPk)}\u0000${value(ix.sk, oldSk)}`);
      }
    }
    this.indexWrites(key, after, units, before);
  }

  /** Adds the index writes of one item write and records where the item is now. */
  private indexWrites(key: Record<string, unknown>, after: KeyValues, units: number, known?: KeyValues): void {
    const k = itemKey(key);
    const before = known ?? this.shadow.get(k) ?? new Map<string, string>();
    for (const ix of INDEXES) {
      const b = before.get(ix.name);
      const a = after.get(ix.name);
      if (b !== undefined && a !== undefined) this.indexWriteUnits += (a === b ? 1 : 2) * units;
      else if (b !== undefined || a !== undefined) this.indexWriteUnits += units;
    }
    if (after.size) this.shadow.set(k, after);
    else this.shadow.delete(k);
  }
}

function indexesOfItem(item: Record<string, unknown>): KeyValues {
  const m: KeyValues = new Map();
  for (const ix of INDEXES) if (item[ix.pk] !== undefined && item[ix.sk] !== undefined) m.set(ix.name, `${String(item[ix.pk])}\u0000${String(item[ix.sk])}`);
  return m;
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
