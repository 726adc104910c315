import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { createTableInput } from '../store/schema.ts';
import { LOCAL_CREDENTIALS } from '../wiring.ts';
import { listen } from './listen.ts';
import { createRequire } from 'node:module';

/**
 * dynalite ends each query's stream with `iterator.return()`, which abstract-level iterators do not
 * have (they have `close()`): every Query left its iterator, and the snapshot of the data it read,
 * open, so the local stack's memory grew with traffic (the soak run found it, bench/SOAK.md).
 * Giving the iterators a `return` that closes them fixes it; the instance patched is the one
 * dynalite's storage uses.
 */
export function closeDynaliteIterators(): void {
  const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
  const level = createRequire(fromDynalite.resolve('memory-level'))('abstract-level') as Record<string, { prototype: Record<string, unknown> } | undefined>;
  for (const name of ['AbstractIterator', 'AbstractKeyIterator', 'AbstractValueIterator']) {
    const proto = level[name]?.prototype;
    if (proto && typeof proto.return !== 'function') {
      proto.return = function (this: { close(): Promise<void> }) {
        return this.close();
      };
    }
  }
}

/** The embedded DynamoDB-compatible server: in memory, or persisted to `dataDir`. */
export async function startDynalite(opts: { port: number; host: string; dataDir?: string }): Promise<{ endpoint: string; requests: Map<string, number>; close: () => Promise<void> }> {
  closeDynaliteIterators();
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(opts.dataDir ? { path: opts.dataDir } : {}) });
  // Requests by DynamoDB operation, so tests and benchmarks can count the work a call costs.
  const requests = new Map<string, number>();
  server.on('request', (req: { headers: Record<string, string | undefined> }) => {
    const op = req.headers['x-amz-target']?.split('.')[1] ?? 'unknown';
    requests.set(op, (requests.get(op) ?? 0) + 1);
  });
  const port = await listen(server, opts.port, opts.host);
  return {
    endpoint: `http://${opts.host}:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** Creates the table from the shared schema unless it exists (a persisted data dir keeps it). */
export async function ensureTable(endpoint: string, tableName: string): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: 'local', credentials: LOCAL_CREDENTIALS });
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (err) {
    if (!(err instanceof Error) || err.name !== 'ResourceNotFoundException') throw err;
    await client.send(new CreateTableCommand(createTableInput(tableName)));
    for (let i = 0; i < 100; i++) {
      const out = await client.send(new DescribeTableCommand({ TableName: tableName }));
      if (out.Table?.TableStatus === 'ACTIVE') return;
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    client.destroy();
  }
}
