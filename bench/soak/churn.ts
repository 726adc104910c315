/**
 * Connect/disconnect churn beside the calls: idle users' devices drop abruptly or close and come
 * back, log out and in again, and newcomers connect once and leave. Users are checked out of the
 * pool meanwhile, so churn never hits a device in a scenario.
 */
import { SoakClient, type AppTarget } from './client.ts';
import type { Ctx } from './scenario.ts';
import { pause, pick } from './scenario.ts';

let newcomers = 0;

type ChurnOp = 'drop and reconnect' | 'close and reconnect' | 'logout and login' | 'newcomer';
const OPS: [ChurnOp, number][] = [
  ['drop and reconnect', 40],
  ['close and reconnect', 25],
  ['logout and login', 10],
  ['newcomer', 25],
];

function chooseOp(rng: () => number): ChurnOp {
  let r = rng() * OPS.reduce((n, [, w]) => n + w, 0);
  for (const [op, w] of OPS) if ((r -= w) < 0) return op;
  return 'newcomer';
}

/** One churn operation; failures are booked under the scenario "churn". */
export async function churnOnce(ctx: Ctx, apps: AppTarget[]): Promise<void> {
  const op = chooseOp(ctx.rng);
  const scenario = ctx.ledger.scenario('churn');
  scenario.ran += 1;
  try {
    if (op === 'newcomer') await newcomer(ctx, pick(ctx.rng, apps));
    else if (!(await cycleOneDevice(ctx, op))) {
      scenario.ran -= 1;
      scenario.skipped += 1;
      return;
    }
    ctx.ledger.count(`churn: ${op}`);
    scenario.ok += 1;
  } catch (err) {
    ctx.ledger.failed('churn', err);
  }
}

/** A user seen once: connects, logs in, maybe heartbeats, and leaves (half of them abruptly). */
async function newcomer(ctx: Ctx, app: AppTarget): Promise<void> {
  ctx.ledger.count('connects');
  const c = await SoakClient.connect(app, `newcomer-${++newcomers}`, { platform: pick(ctx.rng, ['Web', 'Android', 'iOS']), deviceId: `newcomer-${newcomers}` });
  await pause(ctx, 0, 1_500);
  if (ctx.rng() < 0.5) await c.request('heartbeat');
  if (ctx.rng() < 0.5) c.drop();
  else await c.close();
}

/** Takes one device of an idle user offline (abruptly, politely or by logout) and brings it back. */
async function cycleOneDevice(ctx: Ctx, op: Exclude<ChurnOp, 'newcomer'>): Promise<boolean> {
  const multi = ctx.rng() < 0.3;
  const users = ctx.pool.take(multi ? { app: 'multi', solo: 0, multi: 1 } : { app: ctx.rng() < 0.75 ? 'multi' : 'single', solo: 1 });
  const user = users?.[0];
  if (!user) return false;
  try {
    const slot = Math.floor(ctx.rng() * user.slots.length);
    const device = user.devices[slot];
    if (device && !device.closed) {
      if (op === 'drop and reconnect') device.drop();
      else if (op === 'close and reconnect') await device.close();
      else {
        // The server answers and closes the connection itself.
        const closed = device.whenClosed();
        await device.request('logout');
        await closed;
      }
    }
    user.devices[slot] = undefined;
    await pause(ctx, 100, 1_500);
    user.devices[slot] = await ctx.pool.connect(user, user.slots[slot]!);
    return true;
  } finally {
    ctx.pool.release([user]);
  }
}
