import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { startLocalRuntime, type LocalRuntime } from '../lib/local/runtime.ts';
import { DynamoMeter, type MeterSnapshot } from './capacity.ts';
import type { Target } from './client.ts';
import { sleep } from './stats.ts';

export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** An in-process local runtime with its DynamoDB client metered. */
export interface BenchStack {
  rt: LocalRuntime;
  meter: DynamoMeter;
  target: Target;
  close(): Promise<void>;
}

/** Virtual users call far faster than people: with the abuse limits on, benchmarks would measure them. */
const BENCH_LIMITS = { callsPerMinute: 1_000_000, wsFramesPerSec: 1_000_000 };

/**
 * Starts the whole stack in this process on free ports, with the documented timing except: no sweeper
 * tick and no heartbeat expiry while a benchmark runs (its virtual users do not heartbeat), and a 1 s
 * ring-timeout floor.
 */
export async function startStack(): Promise<BenchStack> {
  const meter = new DynamoMeter();
  const rt = await startLocalRuntime({
    httpPort: 0,
    wsPort: 0,
    dynamoPort: 0,
    logLevel: 'ERROR',
    timing: { minRingTimeoutSec: 1, sweeperPeriodSec: 3600, heartbeatTimeoutSec: 3600 },
    demo: { sdkAppId: 1400000001, settings: BENCH_LIMITS },
    instrumentDynamo: meter.instrument,
  });
  // Warm the per-process caches, as on a warm Lambda.
  await rt.deps.apps.getApp(rt.demoApp.sdkAppId);
  await rt.deps.callbackConfigs.get(rt.demoApp.sdkAppId);
  return { rt, meter, target: { wsUrl: rt.wsUrl, sdkAppId: rt.demoApp.sdkAppId, secretKey: rt.demoApp.secretKeys[0] ?? '' }, close: () => rt.close() };
}

/** Everything counted in one stack at an instant. */
export interface Counts {
  dynamo: MeterSnapshot;
  /** Requests dynalite served, by operation (the server's own count). */
  served: Record<string, number>;
  framesIn: number;
  framesAnswered: number;
  framesPosted: number;
  timers: number;
  callbacks: number;
}

export function counts(s: BenchStack): Counts {
  const f = s.rt.wsFrames;
  return {
    dynamo: s.meter.snapshot(),
    served: Object.fromEntries(s.rt.dynamoRequests),
    framesIn: f.in,
    framesAnswered: f.answered,
    framesPosted: f.posted,
    timers: s.rt.timersQueue.sent,
    callbacks: s.rt.callbacksQueue.sent,
  };
}

const activity = (s: BenchStack) => {
  const c = counts(s);
  const q = [s.rt.timersQueue.size(), s.rt.callbacksQueue.size()];
  const busy = q.reduce((n, x) => n + x.visible + x.inFlight, 0);
  return { key: `${c.framesIn}/${c.framesAnswered}/${c.framesPosted}/${c.dynamo.reads}/${c.dynamo.writes}/${c.timers}/${c.callbacks}`, busy };
};

/** Waits until nothing moves: no frame, DynamoDB request or queue message for a few consecutive polls, no queue busy. */
export async function settle(s: BenchStack, quietMs = 60): Promise<void> {
  let last = activity(s);
  let quietSince = performance.now();
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline) {
    await sleep(10);
    const now = activity(s);
    if (now.key !== last.key || now.busy > 0) {
      last = now;
      quietSince = performance.now();
    } else if (performance.now() - quietSince >= quietMs) return;
  }
  throw new Error('the stack did not settle within 30 s');
}

/** A local stack in a child process (`npm start`'s entry point), for the separate-process variant. */
export interface ChildStack {
  target: Target;
  child: ChildProcess;
  close(): Promise<void>;
}

/** Starts `lib/local/main.ts` in its own Node process on free ports and waits for its ready line. */
export async function startChildStack(): Promise<ChildStack> {
  const secretKey = randomBytes(32).toString('hex');
  const child = spawn(process.execPath, ['--import', 'tsx', 'lib/local/main.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, HTTP_PORT: '0', WS_PORT: '0', DYNAMO_PORT: '0', DEMO_SECRET_KEY: secretKey, DEMO_CALLS_PER_MINUTE: String(BENCH_LIMITS.callsPerMinute), DEMO_WS_FRAMES_PER_SEC: String(BENCH_LIMITS.wsFramesPerSec), LOG_LEVEL: 'ERROR', SWEEPER_PERIOD_SEC: '3600', HEARTBEAT_TIMEOUT_SEC: '3600', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const close = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.once('exit', () => (clearTimeout(kill), resolve()));
      child.kill('SIGTERM');
    });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      let err = '';
      const timer = setTimeout(() => reject(new Error(`the child stack did not start in 60 s: ${err || out}`)), 60_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const ready = out.split('\n').find((l) => l.includes('local stack ready'));
        if (ready) {
          clearTimeout(timer);
          resolve(ready);
        }
      });
      child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
      child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`the child stack exited (${code}): ${err || out}`))));
    });
    const ws = /\bws (ws:\/\/\S+)/.exec(line)?.[1];
    const sdkAppId = Number(/\bsdkappid (\d+)/.exec(line)?.[1]);
    if (!ws || !sdkAppId) throw new Error(`unexpected ready line: ${line}`);
    return { target: { wsUrl: ws, sdkAppId, secretKey }, child, close };
  } catch (err) {
    await close();
    throw err;
  }
}
