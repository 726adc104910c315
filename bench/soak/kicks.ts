/** Kicks and drops: login elsewhere (single-device app), the platform limit, REST `kick`, connections lost mid-call or while ringing. */
import { StepError, type SoakClient } from './client.ts';
import type { Ctx } from './scenario.ts';
import { act, connected1v1, dev, pause, pick, placeCall, within, type Scenario } from './scenario.ts';
import type { VUser } from './pool.ts';
import { restOk } from './rest.ts';

let kicks = 0;

/**
 * Expects the device to be told it was kicked for `reason`, and closed. The device is taken before
 * the kick: the server may close it before the kicking request is even answered.
 */
async function expectKicked(ctx: Ctx, user: VUser, old: SoakClient, event: string, reason?: string): Promise<void> {
  const told = await old.event(event);
  if (reason && told.data.reason !== reason) throw new StepError(event, `reason ${told.data.reason}, expected ${reason}`);
  await within(old.whenClosed(), 10_000, 'kicked close', `${user.id}: still open 10 s after ${event}`);
  ctx.ledger.count(`kicks (${reason ?? event})`);
}

/** A new login under the single-device policy kicks the old device (LoginElsewhere), in a call or idle. */
export const loginElsewhere: Scenario = {
  name: 'kick: login elsewhere (single-device app)',
  weight: 6,
  needs: { app: 'single', solo: 2 },
  async run(ctx, [a, b]) {
    const inCall = ctx.rng() < 0.6;
    const callId = inCall ? await connected1v1(ctx, this.name, a!, b!) : undefined;
    const spec = { platform: pick(ctx.rng, ['Web', 'iOS', 'Android']), deviceId: `${b!.id}-k${++kicks}` };
    const old = dev(b!);
    const fresh = await ctx.pool.connect(b!, spec);
    await expectKicked(ctx, b!, old, 'onKickedOffline', 'LoginElsewhere');
    b!.slots[0] = spec;
    b!.devices[0] = fresh;
    // The kicked device was the call's: the user left it, so the 1v1 call ends.
    if (callId) await dev(a!).event('onCallEnd', callId);
  },
};

/** A fifth Web device of a multi-device user kicks her oldest Web device (PlatformLimit). */
export const platformLimit: Scenario = {
  name: 'kick: 5th Web device (platform limit 4)',
  weight: 3,
  needs: { app: 'multi', solo: 0, multi: 1 },
  async run(ctx, [m]) {
    // Three more Web devices make four (the limit); a fifth pushes out the oldest Web one (slot 0).
    const web0 = dev(m!, 0);
    const extra = [];
    for (let i = 0; i < 4; i++) extra.push(await ctx.pool.connect(m!, { platform: 'Web', deviceId: `${m!.id}-x${++kicks}` }));
    await expectKicked(ctx, m!, web0, 'onKickedOffline', 'PlatformLimit');
    const newest = extra.pop()!;
    await Promise.all(extra.map((d) => d.close()));
    m!.slots[0] = newest.device;
    m!.devices[0] = newest;
  },
};

/** REST `kick` revokes the user's credentials: her device is closed (onUserSigExpired); a fresh UserSig works again. */
export const restKick: Scenario = {
  name: 'kick: REST kick (credentials revoked)',
  weight: 5,
  needs: { app: 'multi', solo: 2 },
  async run(ctx, [a, b]) {
    const inCall = ctx.rng() < 0.5;
    const callId = inCall ? await connected1v1(ctx, this.name, a!, b!) : undefined;
    const old = dev(b!);
    await restOk(b!.app, 'v4/im_open_login_svc/kick', { UserID: b!.id });
    await expectKicked(ctx, b!, old, 'onUserSigExpired');
    b!.devices[0] = undefined;
    // Her call device is gone: after the disconnect grace she is Offline and the 1v1 call ends.
    if (callId) await dev(a!).event('onCallEnd', callId, (ctx.timing.graceSec + 10) * 1000);
    // A UserSig issued now is accepted again.
    b!.devices[0] = await ctx.pool.connect(b!, b!.slots[0]!);
  },
};

/** A connected 1v1 call loses one side abruptly: half come back within the grace and hang up, the rest go Offline. */
export const dropMidCall: Scenario = {
  name: 'drop: connection lost mid-call',
  weight: 8,
  needs: { app: 'multi', solo: 2 },
  async run(ctx, [a, b]) {
    const callId = await connected1v1(ctx, this.name, a!, b!);
    const [lost, other] = ctx.rng() < 0.5 ? [a!, b!] : [b!, a!];
    dev(lost).drop();
    lost.devices[0] = undefined;
    ctx.ledger.count('abrupt drops');
    if (ctx.rng() < 0.5) {
      // Back within the grace period on the same device: the call follows her; she hangs up from there.
      await pause(ctx, 200, 1_000);
      const back = await ctx.pool.connect(lost, lost.slots[0]!);
      lost.devices[0] = back;
      const sync = await back.request('syncCall');
      if (sync.data.call?.callId !== callId) throw new StepError('syncCall', `after reconnecting: ${JSON.stringify(sync.data.call?.callId ?? null)}`, callId);
      await act(back, 'hangup', callId);
      ctx.ledger.count('resumed after a drop');
    }
    await dev(other).event('onCallEnd', callId, (ctx.timing.graceSec + 10) * 1000);
  },
};

/** A ringing 1v1 call loses the caller or the callee abruptly; the other side is told it did not connect. */
export const dropWhileRinging: Scenario = {
  name: 'drop: connection lost while ringing',
  weight: 5,
  needs: { app: 'multi', solo: 2 },
  async run(ctx, [a, b]) {
    const timeoutSec = ctx.timing.shortRingSec + 1;
    const callId = await placeCall(ctx, this.name, a!, [b!], { timeoutSec });
    await dev(b!).event('onCallReceived', callId);
    const [lost, other] = ctx.rng() < 0.5 ? [a!, b!] : [b!, a!];
    dev(lost).drop();
    lost.devices[0] = undefined;
    ctx.ledger.count('abrupt drops');
    // Whether the ring timeout or the lost caller's grace ends it first, the other side is told it did not connect.
    await dev(other).event('onCallNotConnected', callId, (Math.max(timeoutSec, ctx.timing.graceSec) + 10) * 1000);
  },
};

/** The kick and drop scenarios, in report order. */
export const KICKS_AND_DROPS: readonly Scenario[] = [loginElsewhere, platformLimit, restKick, dropMidCall, dropWhileRinging];
