/** The group call scenario: invite, accept/reject, an invite mid-call, a join, a media switch, members leaving. */
import type { SoakClient } from './client.ts';
import { accept, act, dev, eventOn, pause, pick, placeCall, type Scenario } from './scenario.ts';

/** A group call of 3 invitees (some reject), one invited mid-call, one who joins, members leaving until it ends. */
export const group: Scenario = {
  name: 'group: invite, join, leave',
  weight: 10,
  needs: { app: 'multi', solo: 6 },
  async run(ctx, users) {
    const [caller, i1, i2, i3, late, joiner] = users;
    const invitees = [i1!, i2!, i3!];
    const video = ctx.rng() < 0.5;
    const callId = await placeCall(ctx, this.name, caller!, invitees, { group: true, mediaType: video ? 'Video' : 'Audio' });
    await eventOn(invitees.map((u) => dev(u)), 'onCallReceived', callId);

    // The first invitee accepts; each other one accepts or rejects, all at about the same time.
    const accepts = invitees.map((_, k) => k === 0 || ctx.rng() < 0.7);
    await Promise.all(
      invitees.map(async (u, k) => {
        await pause(ctx, 0, 500);
        if (accepts[k]) await accept(ctx, this.name, dev(u), callId);
        else await act(dev(u), 'reject', callId);
      }),
    );
    await dev(caller!).event('onCallBegin', callId);
    const inCall: SoakClient[] = [dev(caller!), ...invitees.filter((_, k) => accepts[k]).map((u) => dev(u))];

    // A member invites someone mid-call; she accepts. Someone else joins on her own.
    await act(pick(ctx.rng, inCall), 'inviteUser', callId, { userIdList: [late!.id], params: { timeout: ctx.timing.ringSec } });
    await dev(late!).event('onCallReceived', callId);
    await accept(ctx, this.name, dev(late!), callId);
    inCall.push(dev(late!));
    await act(dev(joiner!), 'join', callId);
    await dev(joiner!).event('onCallBegin', callId);
    inCall.push(dev(joiner!));

    if (video && ctx.rng() < 0.5) {
      await act(pick(ctx.rng, inCall), 'switchCallMediaType', callId, { mediaType: 'Audio' });
      await eventOn(inCall, 'onCallMediaTypeChanged', callId);
      ctx.ledger.count('media switches');
    }
    await pause(ctx, 300, 2_000);

    // Members leave one by one in a random order; the call ends for the last one when the others are gone.
    const order = [...inCall].sort(() => ctx.rng() - 0.5);
    const last = order.pop()!;
    for (const m of order) {
      await act(m, 'hangup', callId);
      await pause(ctx, 0, 300);
    }
    await last.event('onCallEnd', callId);
  },
};
