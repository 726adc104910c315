/** 1v1 scenarios: answered (with a media switch sometimes), rejected, cancelled, ring timeout, busy, several devices. */
import { StepError } from './client.ts';
import { act, connected1v1, dev, eventOn, expectCode, pause, pick, placeCall, type Scenario } from './scenario.ts';

/** Talk time of an answered call. */
const TALK: [number, number] = [200, 2_500];

/** Answered, half of the video calls switched to audio, hung up by either side. */
export const answered: Scenario = {
  name: '1v1 answered, hung up',
  weight: 24,
  needs: { app: 'multi', solo: 2 },
  async run(ctx, [a, b]) {
    const video = ctx.rng() < 0.5;
    const callId = await connected1v1(ctx, this.name, a!, b!, { mediaType: video ? 'Video' : 'Audio' });
    const both = [dev(a!), dev(b!)];
    if (video && ctx.rng() < 0.5) {
      await act(pick(ctx.rng, both), 'switchCallMediaType', callId, { mediaType: 'Audio' });
      await eventOn(both, 'onCallMediaTypeChanged', callId);
      ctx.ledger.count('media switches');
    }
    await pause(ctx, ...TALK);
    const [hanger, other] = ctx.rng() < 0.5 ? both : [both[1]!, both[0]!];
    await act(hanger!, 'hangup', callId);
    await eventOn([hanger!, other!], 'onCallEnd', callId);
  },
};

/** Rejected by the callee. */
export const rejected: Scenario = {
  name: '1v1 rejected',
  weight: 8,
  needs: { app: 'multi', solo: 2 },
  async run(ctx, [a, b]) {
    const callId = await placeCall(ctx, this.name, a!, [b!]);
    await dev(b!).event('onCallReceived', callId);
    await pause(ctx, 50, 800);
    await act(dev(b!), 'reject', callId);
    await Promise.all([dev(a!).event('onUserReject', callId), eventOn([dev(a!), dev(b!)], 'onCallNotConnected', callId)]);
  },
};

/** Cancelled by the caller while it rings. */
export const cancelled: Scenario = {
  name: '1v1 cancelled by the caller',
  weight: 8,
  needs: { app: 'multi', solo: 2 },
  async run(ctx, [a, b]) {
    const callId = await placeCall(ctx, this.name, a!, [b!]);
    await dev(b!).event('onCallReceived', callId);
    await pause(ctx, 0, 1_000);
    await act(dev(a!), 'hangup', callId);
    await eventOn([dev(a!), dev(b!)], 'onCallNotConnected', callId);
  },
};

/** Nobody answers within the 2 s ring timeout (half the callees press ignore). */
export const ringTimeout: Scenario = {
  name: '1v1 ring timeout',
  weight: 6,
  needs: { app: 'multi', solo: 2 },
  async run(ctx, [a, b]) {
    const timeoutSec = ctx.timing.shortRingSec;
    const callId = await placeCall(ctx, this.name, a!, [b!], { timeoutSec });
    await dev(b!).event('onCallReceived', callId);
    // Half the callees press "ignore": their device goes quiet and hears nothing more of the call.
    // On a busy machine the ring event may come so late that the 2 s invitation has already timed
    // out: `ignore` then rightly answers 8010, and the device is told NoResponse like the others.
    let ignores = ctx.rng() < 0.5;
    if (ignores) ignores = expectCode(await dev(b!).request('ignore', { callId }), [0, 8010], 'ignore', callId).code === 0;
    const wait = (timeoutSec + 10) * 1000;
    await Promise.all([dev(a!).event('onUserNoResponse', callId, wait), dev(a!).event('onCallNotConnected', callId, wait), ignores ? undefined : dev(b!).event('onCallNotConnected', callId, wait)]);
  },
};

/** A third user calls a callee already in a call: CallBusy; then the first call ends. */
export const busy: Scenario = {
  name: '1v1 busy (callee already in a call)',
  weight: 5,
  needs: { app: 'multi', solo: 3 },
  async run(ctx, [a, b, c]) {
    const first = await connected1v1(ctx, this.name, a!, b!);
    const second = await placeCall(ctx, this.name, c!, [b!]);
    await Promise.all([dev(c!).event('onUserLineBusy', second), dev(c!).event('onCallNotConnected', second)]);
    await act(dev(a!), 'hangup', first);
    await eventOn([dev(a!), dev(b!)], 'onCallEnd', first);
  },
};

/** A call to a user on three devices: all ring; all answer at once (one wins), one answers, or one rejects for all. */
export const multiDevice: Scenario = {
  name: '1v1 to a user on 3 devices',
  weight: 12,
  needs: { app: 'multi', solo: 1, multi: 1 },
  async run(ctx, [a, m]) {
    const devices = m!.devices.map((_, s) => dev(m!, s));
    const callId = await placeCall(ctx, this.name, a!, [m!], { mediaType: 'Video' });
    await eventOn(devices, 'onCallReceived', callId);
    await pause(ctx, 50, 600);
    const variant = ctx.rng();
    if (variant < 0.25) {
      // One device rejects for the user: the others stop ringing (OtherDeviceReject).
      const rejecter = pick(ctx.rng, devices);
      await act(rejecter, 'reject', callId);
      await Promise.all([dev(a!).event('onUserReject', callId), eventOn(devices.filter((d) => d !== rejecter), 'onCallNotConnected', callId)]);
      return;
    }
    // Either every device answers at the same instant (exactly one may win) or one does.
    const racers = variant < 0.75 ? devices : [pick(ctx.rng, devices)];
    const sent = racers.map((d) => ({ d, ...d.send('accept', { callId }) }));
    const answers = await Promise.all(sent.map(async (s) => ({ ...s, answer: await s.response })));
    const winners = answers.filter((x) => x.answer.code === 0);
    if (winners.length !== 1) throw new StepError('accept race', `${winners.length} devices won (codes ${answers.map((x) => x.answer.code).join(',')})`, callId);
    if (answers.some((x) => x.answer.code !== 0 && x.answer.code !== 8010)) throw new StepError('accept race', `a loser got ${answers.map((x) => x.answer.code).join(',')}`, callId);
    const winner = winners[0]!;
    ctx.ledger.latencySample('accept', this.name, winner.sentAt, winner.answer.at);
    await Promise.all([eventOn(devices.filter((d) => d !== winner.d), 'onCallNotConnected', callId), eventOn([dev(a!), winner.d], 'onCallBegin', callId)]);
    await pause(ctx, 200, 1_500);
    await act(ctx.rng() < 0.5 ? dev(a!) : winner.d, 'hangup', callId);
    await eventOn([dev(a!), winner.d], 'onCallEnd', callId);
  },
};

/** The 1v1 scenarios, in report order. */
export const ONE_TO_ONE: readonly Scenario[] = [answered, rejected, cancelled, ringTimeout, busy, multiDevice];
