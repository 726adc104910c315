import { createServer } from 'node:http';
import { listen } from '../lib/local/listen.ts';
import { V4_CALLBACK_COMMANDS } from '../lib/rest/v4-callback.ts';
import { diffMeter, type MeterSnapshot } from './capacity.ts';
import { BenchClient } from './client.ts';
import { counts, settle, type BenchStack, type Counts } from './stack.ts';

/** A counted scenario: a 1v1 call or a group call, each user on `devices` devices (multi-device on when > 1). */
export interface WorkScenario {
  name: string;
  /** Members of the call, the caller included (2 = 1v1). */
  members: number;
  devices: number;
  /** Whether the app has a v4 callback URL with every command configured. */
  callbacks: boolean;
}

/** Counted work: what a scenario cost, from the first frame to the last queue message handled. */
export interface Work {
  dynamo: MeterSnapshot;
  /** Requests dynalite itself served meanwhile (must equal the middleware's count). */
  served: number;
  framesIn: number;
  framesOut: number;
  framesAnswered: number;
  framesPosted: number;
  timers: number;
  callbacks: number;
  /** Lambda invocations on AWS: one per frame in, per timer and per callback message (batches of one, the upper bound). */
  invocations: number;
}

export function workBetween(after: Counts, before: Counts): Work {
  const framesIn = after.framesIn - before.framesIn;
  const framesAnswered = after.framesAnswered - before.framesAnswered;
  const framesPosted = after.framesPosted - before.framesPosted;
  const timers = after.timers - before.timers;
  const callbacks = after.callbacks - before.callbacks;
  const sum = (c: Counts) => Object.values(c.served).reduce((a, b) => a + b, 0);
  return {
    dynamo: diffMeter(after.dynamo, before.dynamo),
    served: sum(after) - sum(before),
    framesIn,
    framesOut: framesAnswered + framesPosted,
    framesAnswered,
    framesPosted,
    timers,
    callbacks,
    invocations: framesIn + timers + callbacks,
  };
}

const PLATFORMS = ['Web', 'iOS', 'Android', 'Mac'];
let runs = 0;

/** A callback receiver that accepts everything (`ErrorCode` 0), so each callback is delivered once. */
export async function startReceiver(): Promise<{ url: string; received: () => number; close: () => Promise<void> }> {
  let received = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ActionStatus: 'OK', ErrorCode: 0, ErrorInfo: '' }));
    });
  });
  const port = await listen(server, 0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${port}/callsignal`,
    received: () => received,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

/**
 * Runs one scenario and counts its work: the caller invites everyone; each invitee accepts on her
 * first device, one after the other; then members hang up one after the other (the caller first)
 * until the call ends; then the ring timers are released (they find the call ended, as they would
 * at the deadline) and every queue drains. Each step settles before the next, so the counts are
 * deterministic (concurrent accepts would add version-conflict retries). Logins are not counted.
 */
export async function measureWork(stack: BenchStack, scenario: WorkScenario, callbackUrl?: string): Promise<Work> {
  const { rt } = stack;
  const sdkAppId = rt.demoApp.sdkAppId;
  const prefix = `w${++runs}`;
  await rt.deps.callbackConfigs.put(sdkAppId, 'v4', scenario.callbacks && callbackUrl ? { Url: callbackUrl, CallbackCommandList: [...V4_CALLBACK_COMMANDS] } : undefined);
  await rt.deps.callbackConfigs.get(sdkAppId);
  const users = Array.from({ length: scenario.members }, (_, i) => `${prefix}-u${i}`);
  const devices: BenchClient[][] = [];
  for (const u of users) {
    const mine: BenchClient[] = [];
    for (let d = 0; d < scenario.devices; d++) mine.push(await BenchClient.login(stack.target, u, PLATFORMS[d % PLATFORMS.length]));
    if (scenario.devices > 1) await mine[0]!.request('enableMultiDeviceAbility', { enable: true });
    devices.push(mine);
  }
  const first = (i: number) => devices[i]![0]!;
  try {
    await settle(stack);
    const before = counts(stack);
    const placed = await first(0).request('calls', { userIdList: users.slice(1), mediaType: 'Audio', params: { timeout: 300 } });
    if (placed.code !== 0) throw new Error(`calls failed: ${placed.code}`);
    const callId = String(placed.data.callId);
    await settle(stack);
    for (let i = 1; i < users.length; i++) {
      await first(i).event('onCallReceived', callId);
      const answer = await first(i).request('accept', { callId });
      if (answer.code !== 0) throw new Error(`accept by ${users[i]} failed: ${answer.code}`);
      await settle(stack);
    }
    for (let i = 0; i < users.length - 1; i++) {
      const answer = await first(i).request('hangup', { callId });
      if (answer.code !== 0) throw new Error(`hangup by ${users[i]} failed: ${answer.code}`);
      await settle(stack);
    }
    await first(users.length - 1).event('onCallEnd', callId);
    rt.timersQueue.releaseDelayed();
    await settle(stack);
    const work = workBetween(counts(stack), before);
    const record = await rt.deps.records.getRecord(sdkAppId, callId);
    if (!record) throw new Error(`no record for ${callId}`);
    return work;
  } finally {
    await Promise.all(devices.flat().map((c) => c.close()));
    await settle(stack);
  }
}

/** What one device costs apart from calls: a session (connect + login + disconnect), and one heartbeat. */
export async function measureDevice(stack: BenchStack): Promise<{ session: Work; heartbeat: Work }> {
  await settle(stack);
  const before = counts(stack);
  const c = await BenchClient.login(stack.target, `dev-${++runs}`);
  await settle(stack);
  const loggedIn = counts(stack);
  const hb = await c.request('heartbeat');
  if (hb.code !== 0) throw new Error(`heartbeat failed: ${hb.code}`);
  await settle(stack);
  const beat = counts(stack);
  await c.close();
  await settle(stack);
  const heartbeat = workBetween(beat, loggedIn);
  const session = subtractWork(workBetween(counts(stack), before), heartbeat);
  // The authorizer and $connect at the handshake, one per frame in (login), $disconnect.
  return { session: { ...session, invocations: 2 + session.framesIn + 1 }, heartbeat };
}

function subtractWork(a: Work, b: Work): Work {
  const requests: Record<string, number> = { ...a.dynamo.requests };
  for (const [k, v] of Object.entries(b.dynamo.requests)) requests[k] = (requests[k] ?? 0) - v;
  const d = (k: Exclude<keyof MeterSnapshot, 'requests' | 'byTarget'>) => a.dynamo[k] - b.dynamo[k];
  return {
    dynamo: { requests, byTarget: {}, reads: d('reads'), writes: d('writes'), readUnits: d('readUnits'), tableWriteUnits: d('tableWriteUnits'), indexWriteUnits: d('indexWriteUnits'), conditionFailures: d('conditionFailures') },
    served: a.served - b.served,
    framesIn: a.framesIn - b.framesIn,
    framesOut: a.framesOut - b.framesOut,
    framesAnswered: a.framesAnswered - b.framesAnswered,
    framesPosted: a.framesPosted - b.framesPosted,
    timers: a.timers - b.timers,
    callbacks: a.callbacks - b.callbacks,
    invocations: a.invocations - b.invocations,
  };
}

/** The scenarios of the report: 1v1 on one and three devices, groups of 3, 6 and 9; each without and with callbacks. */
export function workScenarios(sizes: { groups: readonly number[]; multiDevice: boolean }): WorkScenario[] {
  const base: Omit<WorkScenario, 'callbacks'>[] = [
    { name: '1v1, 1 device each', members: 2, devices: 1 },
    ...(sizes.multiDevice ? [{ name: '1v1, 3 devices each (multi-device on)', members: 2, devices: 3 }] : []),
    ...sizes.groups.map((n) => ({ name: `group of ${n}, 1 device each`, members: n, devices: 1 })),
  ];
  return base.flatMap((s) => [
    { ...s, callbacks: false },
    { ...s, callbacks: true },
  ]);
}

/** The 1v1 one-device budget (issue 9). */
export const BUDGET_1V1 = { writes: 10, reads: 6, framesOut: 10 } as const;
