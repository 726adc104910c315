/**
 * The soak's server process: the whole local runtime (`startLocalRuntime`, as `npm start` runs it)
 * alone in its own Node process, so its memory, handles and timers are measured without the load
 * generator's. It answers the generator over IPC: samples of itself, an audit of the table, stop.
 * Started by `bench/soak/child.ts` as `node --expose-gc --import tsx bench/soak/server.ts '<json>'`.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { Socket } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { newApp } from '../../lib/apps/app.ts';
import type { Timing } from '../../lib/config.ts';
import { startLocalRuntime, type LocalRuntime } from '../../lib/local/runtime.ts';
import type { Audit, ChildReply, ChildRequest, Ready, ServerSample } from './protocol.ts';

const SINGLE_APP_ID = 1_400_000_002;

/**
 * Diagnostics: counts the storage iterators dynalite's in-memory store (abstract-level, a
 * dependency of dynalite) has open, by wrapping `attachResource`/`detachResource` — counting only,
 * nothing changes. An iterator that is never closed stays attached to the store, and with it the
 * version of the data it was reading. Undefined when the module cannot be found.
 */
function countStoreIterators(): () => number | undefined {
  try {
    const proto = createRequire(import.meta.url)('abstract-level').AbstractLevel.prototype;
    const counted = new WeakSet<object>();
    let open = 0;
    const attach = proto.attachResource;
    const detach = proto.detachResource;
    proto.attachResource = function (this: unknown, resource: object) {
      if (/Iterator$/.test(resource.constructor.name) && !counted.has(resource)) (counted.add(resource), (open += 1));
      return attach.call(this, resource);
    };
    proto.detachResource = function (this: unknown, resource: object) {
      if (counted.has(resource)) (counted.delete(resource), (open -= 1));
      return detach.call(this, resource);
    };
    return () => open;
  } catch {
    return () => undefined;
  }
}

async function main(): Promise<void> {
  const timing = JSON.parse(process.argv[2] ?? '{}') as Partial<Timing>;
  const storeIterators = countStoreIterators();
  let db: DynamoDBDocumentClient | undefined;
  const rt = await startLocalRuntime({
    httpPort: 0,
    wsPort: 0,
    dynamoPort: 0,
    logLevel: 'ERROR',
    web: false,
    timing,
    // Callbacks go to the generator's receiver on 127.0.0.1; retries are never expected (it answers OK).
    callbackPolicy: { allowLoopback: true },
    // Not to meter anything: the audit reads the table through the client the handlers share, so it opens no socket of its own.
    instrumentDynamo: (client) => (db = client),
  });
  const single = { ...newApp({ sdkAppId: SINGLE_APP_ID, name: 'soak single-device app', secretKey: randomBytes(32).toString('hex'), callbackSecret: randomBytes(32).toString('hex'), now: Date.now() }), loginPolicy: 'single' as const };
  await rt.deps.apps.createApp(single);
  const sampler = new Sampler(rt, storeIterators);
  const ready: Ready = {
    type: 'ready',
    httpUrl: rt.httpUrl,
    wsUrl: rt.wsUrl,
    pid: process.pid,
    apps: [
      { name: 'multi', sdkAppId: rt.demoApp.sdkAppId, secretKey: rt.demoApp.secretKeys[0] ?? '' },
      { name: 'single', sdkAppId: single.sdkAppId, secretKey: single.secretKeys[0] ?? '' },
    ],
  };
  process.send?.(ready);
  process.on('message', (msg: ChildRequest) => {
    void answer(msg, rt, sampler, () => db).catch((err: unknown) => reply({ id: msg.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
  });
}

function reply(r: ChildReply): void {
  process.send?.(r);
}

async function answer(msg: ChildRequest, rt: LocalRuntime, sampler: Sampler, db: () => DynamoDBDocumentClient | undefined): Promise<void> {
  if (msg.type === 'sample') return reply({ id: msg.id, ok: true, value: sampler.sample(msg.gc) });
  if (msg.type === 'snapshot') return reply({ id: msg.id, ok: true, value: writeHeapSnapshot(msg.path) });
  if (msg.type === 'audit') return reply({ id: msg.id, ok: true, value: await audit(rt, db()) });
  // stop: close the runtime, say what is still open, and let the process end by itself (a leftover
  // handle would keep it alive: the generator then reports it and kills the process).
  sampler.stop();
  await rt.close();
  reply({ id: msg.id, ok: true, value: resourceCounts() });
  process.disconnect();
}

/** Active handles and timers by type (`process.getActiveResourcesInfo`). */
function resourceCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

/** Memory, resources, event-loop delay and CPU since the previous sample, queue depths and the server's own counters. */
class Sampler {
  private readonly loop = monitorEventLoopDelay({ resolution: 10 });
  private cpu = process.cpuUsage();
  private at = performance.now();

  constructor(
    private readonly rt: LocalRuntime,
    private readonly storeIterators: () => number | undefined,
  ) {
    this.loop.enable();
  }

  sample(gc: boolean): ServerSample {
    const ms = (ns: number) => ns / 1e6;
    const loop = { p50: ms(this.loop.percentile(50)), p99: ms(this.loop.percentile(99)), max: ms(this.loop.max) };
    this.loop.reset();
    const cpu = process.cpuUsage(this.cpu);
    const elapsedMs = performance.now() - this.at;
    this.cpu = process.cpuUsage();
    this.at = performance.now();
    const heapBeforeGc = process.memoryUsage().heapUsed;
    // Twice: the first pass may only queue finalizers whose memory the second frees.
    if (gc && global.gc) (global.gc(), global.gc());
    const mem = process.memoryUsage();
    const q = (x: { size(): { visible: number; delayed: number; inFlight: number } }) => x.size();
    return {
      at: Date.now(),
      gc: gc && typeof global.gc === 'function',
      rss: mem.rss,
      heapUsed: mem.heapUsed,
      heapBeforeGc,
      heapTotal: mem.heapTotal,
      external: mem.external,
      arrayBuffers: mem.arrayBuffers,
      resources: resourceCounts(),
      sockets: this.sockets(),
      storeIterators: this.storeIterators(),
      loop,
      cpuPercent: ((cpu.user + cpu.system) / 1000 / elapsedMs) * 100,
      queues: { timers: q(this.rt.timersQueue), callbacks: q(this.rt.callbacksQueue), callbacksDlq: q(this.rt.callbacksDlq) },
      metrics: Object.fromEntries(this.rt.metrics.counts),
      frames: { ...this.rt.wsFrames },
      dynamoRequests: [...this.rt.dynamoRequests.values()].reduce((a, b) => a + b, 0),
    };
  }

  stop(): void {
    this.loop.disable();
  }

  /** Open TCP sockets by what they connect (the `TCPSocketWrap` resources, explained). */
  private sockets(): Record<string, number> {
    const port = (url: string) => Number(new URL(url).port);
    const names = new Map([
      [port(this.rt.dynamoEndpoint), 'dynalite'],
      [port(this.rt.wsUrl), 'WebSocket gateway'],
      [port(this.rt.httpUrl), 'HTTP API'],
    ]);
    const counts: Record<string, number> = {};
    // `_getActiveHandles` is Node's own (undocumented) list behind getActiveResourcesInfo; diagnostics only.
    const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
    for (const h of handles) {
      if (!(h instanceof Socket) || h.remotePort === undefined) continue;
      const key = names.has(h.localPort ?? -1) ? `${names.get(h.localPort ?? -1)} (server side)` : names.has(h.remotePort) ? `${names.get(h.remotePort)} (client side)` : 'callback receiver (client side)';
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }
}

/** Reads the whole table: how much is stored, which calls are still live, which lines are still held. */
async function audit(rt: LocalRuntime, db: DynamoDBDocumentClient | undefined): Promise<Audit> {
  if (!db) throw new Error('the runtime did not hand out its DynamoDB client');
  const result: Audit = { items: 0, bytes: 0, byKind: {}, liveCalls: [], busyLines: [] };
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new ScanCommand({ TableName: rt.tableName, ExclusiveStartKey: startKey }));
    for (const item of page.Items ?? []) {
      result.items += 1;
      result.bytes += JSON.stringify(item).length;
      const kind = String(item.pk).split('#')[0] ?? '?';
      result.byKind[kind] = (result.byKind[kind] ?? 0) + 1;
      if (item.sk === 'CALL' && item.call?.status !== 'ended') result.liveCalls.push({ callId: String(item.call?.callId), sdkAppId: Number(item.call?.sdkAppId), status: String(item.call?.status) });
      // A freed line item may stay (it can carry the calls-per-minute window): busy means it names a call.
      if (item.sk === 'LINE' && item.callId !== undefined) result.busyLines.push({ user: String(item.pk), callId: String(item.callId), since: Number(item.since) });
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return result;
}

main().catch((err: unknown) => {
  console.error('soak server failed to start:', err);
  process.exit(1);
});
