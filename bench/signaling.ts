import { spawn } from 'node:child_process';
import { UpdateCommand, PutCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import WebSocket from 'ws';
import { ensureTable, startDynalite } from '../lib/local/dynamo.ts';
import { LOCAL_CREDENTIALS } from '../lib/wiring.ts';
import { BenchClient, type Target } from './client.ts';
import { startRelay } from './relay.ts';
import { REPO_ROOT, startChildStack, startStack } from './stack.ts';
import { mapLimit, percentiles, type Percentiles } from './stats.ts';

/** Ring timeout of benchmark calls: long enough that no ring timer fires while a step runs. */
const RING_TIMEOUT_SEC = 300;

export interface LifecycleSample {
  ring: number;
  begin: number;
  end: number;
}

/**
 * One 1v1 lifecycle over real WebSockets: `calls` → ring → `accept` → begin → `hangup` → end.
 * Each latency is measured to the *other* party (the hop a user waits for): invite→ring at the callee,
 * accept→begin at the caller, hangup→end at the callee.
 */
export async function lifecycle(caller: BenchClient, callee: BenchClient, ringTimeoutSec = RING_TIMEOUT_SEC): Promise<LifecycleSample> {
  caller.reset();
  callee.reset();
  const calls = caller.send('calls', { userIdList: [callee.userId], mediaType: 'Audio', params: { timeout: ringTimeoutSec } });
  const ring = await callee.event('onCallReceived');
  const callId = ring.callId ?? '';
  const placed = await calls.response;
  if (placed.code !== 0) throw new Error(`calls failed: ${placed.code}`);
  const accept = callee.send('accept', { callId });
  const begin = await caller.event('onCallBegin', callId);
  const accepted = await accept.response;
  if (accepted.code !== 0) throw new Error(`accept failed: ${accepted.code}`);
  await callee.event('onCallBegin', callId);
  const hangup = caller.send('hangup', { callId });
  const end = await callee.event('onCallEnd', callId);
  await Promise.all([hangup.response, caller.event('onCallEnd', callId)]);
  return { ring: ring.at - calls.sentAt, begin: begin.at - accept.sentAt, end: end.at - hangup.sentAt };
}

export interface SignalingStep {
  concurrency: number;
  lifecycles: number;
  errors: number;
  wallMs: number;
  perSecond: number;
  ring: Percentiles;
  begin: Percentiles;
  end: Percentiles;
  /** DynamoDB requests dynalite served per lifecycle in the step (in-process only). */
  dynamoPerLifecycle?: number;
}

/** Logs in M pairs, warms up, then runs `rounds` lifecycles per pair, all pairs at once. */
export async function signalingStep(target: Target, m: number, rounds: number, prefix: string, served?: () => number): Promise<SignalingStep> {
  const pairs = await mapLimit(Array.from({ length: m }, (_, i) => i), 8, async (i) => {
    const caller = await BenchClient.login(target, `${prefix}-${i}-a`);
    const callee = await BenchClient.login(target, `${prefix}-${i}-b`);
    return [caller, callee] as const;
  });
  try {
    // Warm-up (not measured): one lifecycle on up to 10 pairs.
    await Promise.all(pairs.slice(0, 10).map(([a, b]) => lifecycle(a, b)));
    const samples: LifecycleSample[] = [];
    let errors = 0;
    const before = served?.() ?? 0;
    const started = performance.now();
    await Promise.all(
      pairs.map(async ([a, b]) => {
        for (let r = 0; r < rounds; r++) {
          try {
            samples.push(await lifecycle(a, b));
          } catch {
            errors += 1;
            return; // the pair's state is unknown now; it stops
          }
        }
      }),
    );
    const wallMs = performance.now() - started;
    const requests = (served?.() ?? 0) - before;
    return {
      concurrency: m,
      lifecycles: samples.length,
      errors,
      wallMs,
      perSecond: samples.length / (wallMs / 1000),
      ring: percentiles(samples.map((s) => s.ring)),
      begin: percentiles(samples.map((s) => s.begin)),
      end: percentiles(samples.map((s) => s.end)),
      ...(served && samples.length ? { dynamoPerLifecycle: requests / samples.length } : {}),
    };
  } finally {
    await Promise.all(pairs.flatMap(([a, b]) => [a.close(), b.close()]));
  }
}

/** Every M in a fresh in-process stack (so no state or pending timer of one step weighs on the next). */
export async function signalingInProcess(concurrency: readonly number[], rounds: (m: number) => number): Promise<SignalingStep[]> {
  const steps: SignalingStep[] = [];
  for (const m of concurrency) {
    const stack = await startStack();
    try {
      const served = () => [...stack.rt.dynamoRequests.values()].reduce((a, b) => a + b, 0);
      steps.push(await signalingStep(stack.target, m, rounds(m), `in${m}`, served));
    } finally {
      await stack.close();
    }
  }
  return steps;
}

/** The same steps against a stack in its own Node process (clients here, the stack there: two cores in use). */
export async function signalingSeparateProcess(concurrency: readonly number[], rounds: (m: number) => number): Promise<SignalingStep[]> {
  const child = await startChildStack();
  try {
    // The child's code is cold (this process ran the same code in the in-process steps): warm it first.
    await signalingStep(child.target, 5, 6, 'spwarm');
    const steps: SignalingStep[] = [];
    for (const m of concurrency) steps.push(await signalingStep(child.target, m, rounds(m), `sp${m}`));
    return steps;
  } finally {
    await child.close();
  }
}

export interface RelayStep {
  concurrency: number;
  latency: Percentiles;
}

/** One-way latency through the relay: M pairs ping-pong `exchanges` times each, all pairs at once. */
export async function relaySteps(url: string, concurrency: readonly number[], exchanges: number): Promise<RelayStep[]> {
  const steps: RelayStep[] = [];
  for (const m of concurrency) {
    const open = (id: string) =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(`${url}/?id=${id}`);
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
      });
    const pairs = await mapLimit(Array.from({ length: m }, (_, i) => i), 16, async (i) => [await open(`r${m}-${i}-a`), await open(`r${m}-${i}-b`)] as const);
    const samples: number[] = [];
    const hop = (from: WebSocket, to: WebSocket, toId: string) =>
      new Promise<number>((resolve) => {
        to.once('message', () => resolve(performance.now() - sentAt));
        const sentAt = performance.now();
        from.send(JSON.stringify({ to: toId, action: 'calls', data: { userIdList: ['x'], mediaType: 'Audio' } }));
      });
    await Promise.all(
      pairs.map(async ([a, b], i) => {
        for (let k = 0; k < 2; k++) await hop(a, b, `r${m}-${i}-b`); // warm-up
        for (let k = 0; k < exchanges; k++) {
          samples.push(await hop(a, b, `r${m}-${i}-b`));
          samples.push(await hop(b, a, `r${m}-${i}-a`));
        }
      }),
    );
    for (const [a, b] of pairs) {
      a.terminate();
      b.terminate();
    }
    steps.push({ concurrency: m, latency: percentiles(samples) });
  }
  return steps;
}

export async function relayInProcess(concurrency: readonly number[], exchanges: number): Promise<RelayStep[]> {
  const relay = await startRelay();
  try {
    return await relaySteps(relay.url, concurrency, exchanges);
  } finally {
    await relay.close();
  }
}

export async function relaySeparateProcess(concurrency: readonly number[], exchanges: number): Promise<RelayStep[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/relay.ts'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('the relay did not start')), 30_000);
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /relay ready (\S+)/.exec(out);
        if (m?.[1]) (clearTimeout(timer), resolve(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`the relay exited (${code})`)));
    });
    return await relaySteps(url, concurrency, exchanges);
  } finally {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  }
}

export interface StorageFloor {
  sequentialPerSec: number;
  concurrentPerSec: number;
  concurrency: number;
}

/** dynalite's own conditional-update rate through the SDK client, sequential and with `concurrency` updaters. */
export async function storageFloor(durationMs: number, concurrency: number): Promise<StorageFloor> {
  const dynamo = await startDynalite({ port: 0, host: '127.0.0.1' });
  const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'local', credentials: LOCAL_CREDENTIALS });
  const db = DynamoDBDocumentClient.from(client);
  try {
    await ensureTable(dynamo.endpoint, 'floor');
    for (let i = 0; i < concurrency; i++) await db.send(new PutCommand({ TableName: 'floor', Item: { pk: `ITEM#${i}`, sk: 'X', version: 0, payload: 'x'.repeat(400) } }));
    const versions = new Array<number>(concurrency).fill(0);
    const run = async (workers: number) => {
      let ops = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: workers }, async (_, i) => {
          while (performance.now() - started < durationMs) {
            await db.send(
              new UpdateCommand({
                TableName: 'floor',
                Key: { pk: `ITEM#${i}`, sk: 'X' },
                UpdateExpression: 'SET version = :next, payload = :p',
                ConditionExpression: 'version = :expected',
                ExpressionAttributeValues: { ':next': versions[i]! + 1, ':expected': versions[i]!, ':p': `${'x'.repeat(399)}${versions[i]! % 10}` },
              }),
            );
            versions[i]! += 1;
            ops += 1;
          }
        }),
      );
      return ops / ((performance.now() - started) / 1000);
    };
    await run(4); // warm-up
    return { sequentialPerSec: await run(1), concurrentPerSec: await run(concurrency), concurrency };
  } finally {
    client.destroy();
    await dynamo.close();
  }
}
