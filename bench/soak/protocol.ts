/** The IPC messages between the soak's load generator (parent) and its server process (child). */

type QueueSize = { visible: number; delayed: number; inFlight: number };

/** The child is up: where the stack listens and the apps it provisioned (a multi-device one and a single-device one). */
export interface Ready {
  type: 'ready';
  httpUrl: string;
  wsUrl: string;
  pid: number;
  apps: { name: 'multi' | 'single'; sdkAppId: number; secretKey: string }[];
}

/** What the generator asks: a sample (after a full GC when `gc`), a heap snapshot written to `path`, an audit of the table, or to stop. */
export type ChildRequest = { id: number; type: 'sample'; gc: boolean } | { id: number; type: 'snapshot'; path: string } | { id: number; type: 'audit' } | { id: number; type: 'stop' };

/** The answer to a request, by id. */
export type ChildReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

/** One look at the server process. Loop delay and CPU are since the previous sample. */
export interface ServerSample {
  at: number;
  /** Whether a full GC ran just before the memory was read (heapUsed is then the live heap). */
  gc: boolean;
  rss: number;
  heapUsed: number;
  /** heapUsed just before that GC (equal to heapUsed when none ran). */
  heapBeforeGc: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** `process.getActiveResourcesInfo()` by type: `Timeout` are timers, the rest handles and requests. */
  resources: Record<string, number>;
  /** Open TCP sockets by what they connect (dynalite, the gateways, the callback receiver; client or server side). */
  sockets: Record<string, number>;
  /** Iterators dynalite's in-memory store has open (never closed ones keep old data alive); undefined if not counted. */
  storeIterators?: number;
  loop: { p50: number; p99: number; max: number };
  cpuPercent: number;
  queues: { timers: QueueSize; callbacks: QueueSize; callbacksDlq: QueueSize };
  /** The runtime's own counters (CallStarted, CallEnded, CallbackRetried…). */
  metrics: Record<string, number>;
  frames: { in: number; answered: number; posted: number };
  dynamoRequests: number;
}

/** The whole table read at the end. */
export interface Audit {
  items: number;
  /** Sum of the items' JSON sizes: what the in-memory table holds, roughly. */
  bytes: number;
  /** Items by key prefix (CALL, REC, USER, …). */
  byKind: Record<string, number>;
  liveCalls: { callId: string; sdkAppId: number; status: string }[];
  busyLines: { user: string; callId: string; since: number }[];
}

/** Timers count separately from the other active resources. */
export function splitResources(resources: Record<string, number>): { handles: number; timers: number } {
  let handles = 0;
  let timers = 0;
  for (const [type, n] of Object.entries(resources)) {
    if (type === 'Timeout' || type === 'Immediate') timers += n;
    else handles += n;
  }
  return { handles, timers };
}
