import { diffMeter } from './capacity.ts';
import { BenchClient } from './client.ts';
import { counts, settle, startStack } from './stack.ts';
import { median, percentiles, type Percentiles } from './stats.ts';

export interface FanoutPoint {
  /** Members of the call, the caller included. */
  members: number;
  /** Devices of each invitee (multi-device on when > 1). */
  devices: number;
  /** Devices that ring: (members − 1) × devices. */
  deliveries: number;
  /** From `calls` sent to the first and to the last ringing device (ms). */
  firstRing: Percentiles;
  lastRing: Percentiles;
  /** DynamoDB requests and frames posted by the invite (median over repetitions; deterministic). */
  dynamoRequests: number;
  framesPosted: number;
}

const PLATFORMS = ['Web', 'iOS', 'Android', 'Mac'];

/**
 * A group invite as members × devices grow: the caller invites everyone at once; the time until the
 * last device rings is measured, then the caller cancels and every device settles before the next try.
 */
export async function fanout(points: readonly (readonly [members: number, devices: number])[], reps: number): Promise<FanoutPoint[]> {
  const stack = await startStack();
  const out: FanoutPoint[] = [];
  try {
    for (const [members, devices] of points) {
      const prefix = `f${members}x${devices}`;
      const caller = await BenchClient.login(stack.target, `${prefix}-c`);
      const invitees: { userId: string; devices: BenchClient[] }[] = [];
      for (let i = 1; i < members; i++) {
        const userId = `${prefix}-u${i}`;
        const mine: BenchClient[] = [];
        for (let d = 0; d < devices; d++) mine.push(await BenchClient.login(stack.target, userId, PLATFORMS[d]));
        if (devices > 1) await mine[0]!.request('enableMultiDeviceAbility', { enable: true });
        invitees.push({ userId, devices: mine });
      }
      const all = invitees.flatMap((u) => u.devices);
      const first: number[] = [];
      const last: number[] = [];
      const requests: number[] = [];
      const posted: number[] = [];
      try {
        for (let r = 0; r < reps + 1; r++) {
          await settle(stack);
          for (const c of [caller, ...all]) c.reset();
          const before = counts(stack);
          const invite = caller.send('calls', { userIdList: invitees.map((u) => u.userId), mediaType: 'Audio', params: { timeout: 300 } });
          const rings = await Promise.all(all.map((c) => c.event('onCallReceived')));
          const placed = await invite.response;
          if (placed.code !== 0) throw new Error(`calls failed: ${placed.code}`);
          await settle(stack);
          const after = counts(stack);
          if (r > 0) {
            // The first repetition warms up and is not kept.
            first.push(Math.min(...rings.map((f) => f.at)) - invite.sentAt);
            last.push(Math.max(...rings.map((f) => f.at)) - invite.sentAt);
            const d = diffMeter(after.dynamo, before.dynamo);
            requests.push(d.reads + d.writes);
            posted.push(after.framesPosted - before.framesPosted);
          }
          const callId = String(placed.data.callId);
          await caller.request('hangup', { callId });
          await Promise.all(all.map((c) => c.event('onCallNotConnected', callId)));
        }
      } finally {
        await Promise.all([caller, ...all].map((c) => c.close()));
        await settle(stack);
      }
      out.push({ members, devices, deliveries: all.length, firstRing: percentiles(first), lastRing: percentiles(last), dynamoRequests: median(requests), framesPosted: median(posted) });
    }
  } finally {
    await stack.close();
  }
  return out;
}
