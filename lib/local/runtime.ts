import { Logger } from '@aws-lambda-powertools/logger';
import type { ScheduledEvent } from 'aws-lambda';
import { randomBytes, randomUUID } from 'node:crypto';
import { makeHandler as makeAuthorizer } from '../../functions/ws-authorizer.ts';
import { makeHandler as makeConnect } from '../../functions/ws-connect.ts';
import { makeHandler as makeDisconnect } from '../../functions/ws-disconnect.ts';
import { makeHandler as makeMessage } from '../../functions/ws-message.ts';
import { makeHandler as makeTimers } from '../../functions/timers.ts';
import { makeHandler as makeSweeper } from '../../functions/sweeper.ts';
import { makeHandler as makeHttp } from '../../functions/http.ts';
import { makeHandler as makeCallbacks } from '../../functions/callbacks.ts';
import { newApp, type App } from '../apps/app.ts';
import { DEFAULT_CALLBACK_POLICY, DEFAULT_TIMING, type CallbackPolicy, type Timing } from '../config.ts';
import { MemoryMetrics } from '../adapters/metrics.ts';
import { LocalDeadLetters } from './local-dead-letters.ts';
import type { Deps } from '../usecases/deps.ts';
import { ACTION_SCHEMAS } from '../ws/schemas.ts';
import { dynamoClient, wire } from '../wiring.ts';
import { PowertoolsOnce } from '../adapters/powertools-once.ts';
import { ensureTable, startDynalite } from './dynamo.ts';
import { LocalHttpGateway } from './http-gateway.ts';
import { LocalQueue } from './local-queue.ts';
import { LocalWebSocketGateway } from './ws-gateway.ts';
import type { FrameCounts } from './connections-endpoint.ts';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { makeWebRoutes } from './web-routes.ts';

export interface LocalRuntimeOptions {
  host?: string;
  httpPort?: number;
  wsPort?: number;
  dynamoPort?: number;
  /** Persist the table to this folder; in memory when absent. */
  dataDir?: string;
  timing?: Partial<Timing>;
  /** API Gateway's connection limits, emulated (defaults 600 s idle, 7200 s lifetime). */
  connectionLimits?: { idleTimeoutSec?: number; maxLifetimeSec?: number };
  /** Callback delivery: loopback URLs are allowed locally; tests lower the retry scale. */
  callbackPolicy?: Partial<CallbackPolicy>;
  /** The demo app to provision (its secret is generated when not given). */
  demo?: { sdkAppId: number; secretKey?: string; settings?: Partial<Pick<App, 'callsPerMinute' | 'wsFramesPerSec' | 'wsRefusalsBeforeClose'>> };
  logLevel?: string;
  /** Called with each DynamoDB client of the handlers (the shared one, the callbacks worker's idempotency one), to add SDK middleware (benchmarks count requests and consumed capacity). */
  instrumentDynamo?: (client: DynamoDBDocumentClient | DynamoDBClient) => void;
  /** Serve the demo page, the records dashboard and `/demo/usersig` on the HTTP port (default true; local only). */
  web?: boolean;
}

export interface LocalRuntime {
  httpUrl: string;
  wsUrl: string;
  dynamoEndpoint: string;
  /** DynamoDB requests served so far, by operation (GetItem, Query, PutItem, UpdateItem, …). */
  dynamoRequests: Map<string, number>;
  /** WebSocket frames in and out so far (out = answered + posted), live counts. */
  wsFrames: FrameCounts;
  tableName: string;
  demoApp: App;
  deps: Deps;
  timersQueue: LocalQueue;
  callbacksQueue: LocalQueue;
  callbacksDlq: LocalQueue;
  metrics: MemoryMetrics;
  /** Cuts a connection as a network failure would (no close frame); API Gateway then runs `$disconnect`. */
  dropConnection(connectionId: string): boolean;
  /** Runs the sweeper once now (tests; the tick runs it every `sweeperPeriodSec`). */
  sweepNow(): Promise<{ checked: number; settled: number }>;
  close(): Promise<void>;
}

export const LOCAL_TABLE = 'callsignal';
export const LOCAL_STAGE = 'local';

/** Creates the demo app, or keeps the persisted one (adopting `secretKey` if a different one is asked for). */
async function provisionDemoApp(deps: Deps, demo: NonNullable<LocalRuntimeOptions['demo']>): Promise<App> {
  const existing = await deps.apps.getApp(demo.sdkAppId);
  const settings = demo.settings ?? {};
  if (existing) {
    const same = Object.entries(settings).every(([k, v]) => existing[k as keyof App] === v);
    if ((!demo.secretKey || existing.secretKeys[0] === demo.secretKey) && existing.callbackSecret && same) return existing;
    const updated = { ...existing, ...settings, secretKeys: demo.secretKey ? [demo.secretKey] : existing.secretKeys, callbackSecret: existing.callbackSecret || randomBytes(32).toString('hex') };
    await deps.apps.putApp(updated);
    return updated;
  }
  const app = { ...newApp({ sdkAppId: demo.sdkAppId, name: 'Demo app', secretKey: demo.secretKey ?? randomBytes(32).toString('hex'), callbackSecret: randomBytes(32).toString('hex'), now: Date.now() }), ...settings };
  await deps.apps.createApp(app);
  return app;
}

/**
 * The whole stack on localhost: dynalite, the WebSocket API (authorizer, routes, `@connections`),
 * the HTTP API, the timers queue and the sweeper tick, all running the real Lambda handlers.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const host = options.host ?? '127.0.0.1';
  const timing: Timing = { ...DEFAULT_TIMING, ...options.timing };
  const log = new Logger({ serviceName: 'callsignal-local', logLevel: (options.logLevel ?? 'WARN') as 'WARN' });
  const onError = (message: string, err: unknown) => log.error(message, { error: err instanceof Error ? err.stack ?? err.message : String(err) });
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch((err) => onError('shutdown step failed', err));
  };
  try {
    const dynamo = await startDynalite({ port: options.dynamoPort ?? 0, host, ...(options.dataDir ? { dataDir: options.dataDir } : {}) });
    closers.push(dynamo.close);
    await ensureTable(dynamo.endpoint, LOCAL_TABLE);

    const timersDlq = new LocalQueue({ name: 'timers-dlq' });
    const timersQueue = new LocalQueue({ name: 'timers', visibilityTimeoutMs: 30_000, maxReceiveCount: 5, deadLetterQueue: timersDlq });
    // Like the stack: the worker retries by re-enqueueing; SQS's own redrive only catches crashes.
    const callbacksDlq = new LocalQueue({ name: 'callbacks-dlq' });
    const callbacksQueue = new LocalQueue({ name: 'callbacks', visibilityTimeoutMs: 30_000, maxReceiveCount: 3, deadLetterQueue: callbacksDlq });
    const metrics = new MemoryMetrics();
    let deps: Deps | undefined;
    // Built once, like a warm Lambda instance: the message handler keeps per-connection frame budgets.
    let onMessage: ReturnType<typeof makeMessage> | undefined;
    const gateway = new LocalWebSocketGateway(
      {
        authorizer: (e) => makeAuthorizer({ apps: need(deps).apps, users: need(deps).users, now: () => Date.now(), newLoginId: randomUUID, log })(e),
        connect: makeConnect(),
        disconnect: (e) => makeDisconnect(need(deps))(e),
        message: (e) => (onMessage ??= makeMessage(need(deps)))(e),
        actions: Object.keys(ACTION_SCHEMAS),
      },
      {
        stage: LOCAL_STAGE,
        onError,
        idleTimeoutMs: (options.connectionLimits?.idleTimeoutSec ?? 600) * 1000,
        maxLifetimeMs: (options.connectionLimits?.maxLifetimeSec ?? 7200) * 1000,
      },
    );
    const wsPort = await gateway.start(options.wsPort ?? 0, host);
    closers.push(() => gateway.close());
    const config = {
      tableName: LOCAL_TABLE,
      dynamoEndpoint: dynamo.endpoint,
      wsManagementEndpoint: gateway.managementEndpoint(),
      timing,
      callbackPolicy: { ...DEFAULT_CALLBACK_POLICY, allowLoopback: true, ...options.callbackPolicy },
      logLevel: 'WARN',
      local: true,
    };
    const onceClient = dynamoClient(config);
    const once = new PowertoolsOnce(onceClient, LOCAL_TABLE);
    deps = wire(config, { timers: timersQueue, callbacks: callbacksQueue, deadLetters: new LocalDeadLetters(callbacksDlq), metrics, log, once });
    const ready = deps;
    if (options.instrumentDynamo) {
      options.instrumentDynamo(sharedDynamoClient(ready));
      options.instrumentDynamo(onceClient);
    }
    timersQueue.consume(makeTimers(ready));
    callbacksQueue.consume(makeCallbacks(ready));
    closers.push(async () => {
      for (const q of [timersQueue, timersDlq, callbacksQueue, callbacksDlq]) await q.close();
    });

    const demo = options.demo ?? { sdkAppId: 1400000001 };
    const web = options.web === false ? undefined : makeWebRoutes({ demoSdkAppId: demo.sdkAppId, apps: ready.apps, wsPort, onError });
    const http = new LocalHttpGateway(makeHttp(ready), onError, web);
    const httpPort = await http.start(options.httpPort ?? 0, host);
    closers.push(() => http.close());

    const sweeper = makeSweeper(ready);
    const sweepNow = () => sweeper(scheduledEvent());
    const tick = setInterval(() => void sweepNow().catch((err) => onError('sweeper failed', err)), timing.sweeperPeriodSec * 1000);
    closers.push(async () => clearInterval(tick));

    const demoApp = await provisionDemoApp(ready, demo);
    const shown = host === '127.0.0.1' || host === '0.0.0.0' ? 'localhost' : host;
    return {
      httpUrl: `http://${shown}:${httpPort}`,
      wsUrl: `ws://${shown}:${wsPort}`,
      dynamoEndpoint: dynamo.endpoint,
      dynamoRequests: dynamo.requests,
      wsFrames: gateway.frames,
      tableName: LOCAL_TABLE,
      demoApp,
      deps: ready,
      timersQueue,
      callbacksQueue,
      callbacksDlq,
      metrics,
      dropConnection: (connectionId) => {
        const conn = gateway.connections.get(connectionId);
        conn?.ws.terminate();
        return conn !== undefined;
      },
      sweepNow,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The one document client `wire` gives every store (they share it; the call store holds it as `db`). */
function sharedDynamoClient(deps: Deps): DynamoDBDocumentClient {
  const db = (deps.calls as unknown as { db?: DynamoDBDocumentClient }).db;
  if (!db?.middlewareStack) throw new Error('instrumentDynamo: the call store no longer exposes its DynamoDB client as `db`');
  return db;
}

function need(deps: Deps | undefined): Deps {
  if (!deps) throw new Error('the local runtime is still starting');
  return deps;
}

/** The EventBridge scheduled event the sweeper receives on AWS. */
function scheduledEvent(): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: new Date().toISOString(),
    region: 'local',
    resources: ['arn:aws:events:local:000000000000:rule/callsignal-sweeper'],
    detail: {},
  };
}
