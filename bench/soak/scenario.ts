import { StepError, type SoakClient, type SoakFrame } from './client.ts';
import type { Ledger } from './ledger.ts';
import type { Needs, Pool, VUser } from './pool.ts';

/** Ring timeouts and the disconnect grace the scenarios are written against (the server's timing). */
export interface SoakTimingView {
  /** Ring timeout of calls meant to be answered, rejected or cancelled (s). */
  ringSec: number;
  /** Ring timeout of calls meant to time out (s). */
  shortRingSec: number;
  /** The server's disconnect grace (s). */
  graceSec: number;
}

/** What a scenario works with. */
export interface Ctx {
  ledger: Ledger;
  pool: Pool;
  rng: () => number;
  timing: SoakTimingView;
}

/** One kind of traffic: how often it is picked, whom it needs, what it does (throws a StepError when the server misbehaves). */
export interface Scenario {
  name: string;
  weight: number;
  needs: Needs;
  run(ctx: Ctx, users: VUser[]): Promise<void>;
}

/** The open connection of a user's slot (a scenario brings every slot online before it runs). */
export function dev(user: VUser, slot = 0): SoakClient {
  const d = user.devices[slot];
  if (!d || d.closed) throw new StepError('device', `${user.id} slot ${slot} is not connected`);
  return d;
}

/** A random element. */
export const pick = <T>(rng: () => number, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
/** Waits. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** A short random pause: people do not answer or hang up at machine speed. */
export const pause = (ctx: Ctx, minMs: number, maxMs: number): Promise<void> => sleep(minMs + ctx.rng() * (maxMs - minMs));

/** The promise, or a StepError if it takes longer than `ms` (the timer never outlives it). */
export async function within<T>(promise: Promise<T>, ms: number, step: string, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new StepError(step, message)), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Throws unless the answer has the expected code (or one of them). */
export function expectCode(frame: SoakFrame, code: number | number[], step: string, callId?: string): SoakFrame {
  const codes = Array.isArray(code) ? code : [code];
  if (!codes.includes(frame.code ?? Number.NaN)) throw new StepError(step, `code ${frame.code} (expected ${codes.join(' or ')}): ${frame.message ?? ''}`, callId);
  return frame;
}

/** Options of a `calls` request. */
export interface CallOptions {
  mediaType?: 'Audio' | 'Video';
  timeoutSec?: number;
  /** A group call (`chatGroupId` makes it MULTI_CALL even with one invitee). */
  group?: boolean;
}

let groups = 0;

/** Places a call and books it as started; measures request→answer. */
export async function placeCall(ctx: Ctx, scenario: string, caller: VUser, callees: readonly VUser[], options: CallOptions = {}): Promise<string> {
  const params = { timeout: options.timeoutSec ?? ctx.timing.ringSec, ...(options.group ? { chatGroupId: `soak-${++groups}` } : {}) };
  const { sentAt, response } = dev(caller).send('calls', { userIdList: callees.map((u) => u.id), mediaType: options.mediaType ?? 'Audio', params });
  const answer = await response;
  ctx.ledger.latencySample('calls', scenario, sentAt, answer.at);
  expectCode(answer, 0, 'calls');
  const callId = String(answer.data.callId);
  if (answer.data.merged) throw new StepError('calls', 'merged into another call (glare): the pool gave a user to two scenarios', callId);
  ctx.ledger.callStarted(callId, scenario, caller.app.name);
  return callId;
}

/** Accepts on a device; measures request→answer. */
export async function accept(ctx: Ctx, scenario: string, device: SoakClient, callId: string): Promise<void> {
  const { sentAt, response } = device.send('accept', { callId });
  const answer = await response;
  expectCode(answer, 0, 'accept', callId);
  ctx.ledger.latencySample('accept', scenario, sentAt, answer.at);
}

/** Sends a request on a call and expects code 0. */
export async function act(device: SoakClient, action: string, callId: string, data: Record<string, unknown> = {}): Promise<SoakFrame> {
  return expectCode(await device.request(action, { callId, ...data }), 0, action, callId);
}

/** Waits for an event of the call on each device. */
export function eventOn(devices: readonly SoakClient[], name: string, callId: string, timeoutMs?: number): Promise<SoakFrame[]> {
  return Promise.all(devices.map((d) => d.event(name, callId, timeoutMs)));
}

/** A connected 1v1 call from `a` to `b` (rings, accepted, both begin). */
export async function connected1v1(ctx: Ctx, scenario: string, a: VUser, b: VUser, options: CallOptions = {}): Promise<string> {
  const callId = await placeCall(ctx, scenario, a, [b], options);
  await dev(b).event('onCallReceived', callId);
  await pause(ctx, 50, 400);
  await accept(ctx, scenario, dev(b), callId);
  await eventOn([dev(a), dev(b)], 'onCallBegin', callId);
  return callId;
}
