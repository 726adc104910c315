import type { Call, Effect } from '../calls/types.ts';
import { enqueueCallbacks } from '../callbacks/enqueue.ts';
import type { Deps } from './deps.ts';
import type { TimerMessage } from './timer-messages.ts';

type SendEffect = Extract<Effect, { kind: 'send' }>;

/** The frame a device receives for a call event (ws-protocol.md "Event"). */
export function eventFrame(call: Call, e: SendEffect): string {
  return JSON.stringify({ type: 'event', event: e.event, callId: call.callId, seq: e.seq, time: e.time, data: e.data });
}


/**
 * Carries out a transition's effects after the call item was stored. Storage first (lines freed,
 * record written) so a client reacting to an event already sees the new state; then timers; then
 * events, sequentially per device (order matters to clients) and concurrently across devices.
 * A failed delivery never fails the action (invariant 7).
 */
export async function executeEffects(deps: Deps, call: Call, effects: readonly Effect[]): Promise<void> {
  const now = deps.clock.now();
  const app = await deps.apps.getApp(call.sdkAppId);
  await Promise.all(
    effects.map((e) => {
      if (e.kind === 'releaseLine') return deps.users.releaseLine(call.sdkAppId, e.userId, call.callId);
      if (e.kind === 'record') return deps.records.putRecord(call.sdkAppId, e.record, app?.recordRetentionDays ?? 90, e.details);
      return undefined;
    }),
  );
  await Promise.all(
    effects.map((e) => {
      if (e.kind !== 'timer') return undefined;
      const body: TimerMessage = { type: 'ringTimeout', sdkAppId: call.sdkAppId, callId: call.callId, at: e.at };
      return deps.timers.send(JSON.stringify(body), { delayMs: Math.max(0, e.at - now) });
    }),
  );
  // After the record is written, so `get_record_by_callid` already finds it when AfterEndCall arrives.
  await enqueueCallbacks(deps, call, effects);
  for (const e of effects) {
    if (e.kind === 'callback' && e.command === 'Call.CallbackAfterStartCall') deps.metrics.count('CallStarted', { dimensions: { CallType: call.callType } });
    if (e.kind === 'record') deps.metrics.count('CallEnded', { dimensions: { Result: e.record.CallResult } });
  }
  await deliver(deps, call, effects.filter((e): e is SendEffect => e.kind === 'send'));
}

/** Sends events: one chain per device keeps each device's order; chains run concurrently. */
export async function deliver(deps: Deps, call: Call, sends: SendEffect[]): Promise<void> {
  const perDevice = new Map<string, string[]>();
  for (const e of sends) {
    const frame = eventFrame(call, e);
    for (const d of e.to) perDevice.set(d.connectionId, [...(perDevice.get(d.connectionId) ?? []), frame]);
  }
  await Promise.all([...perDevice].map(([connectionId, frames]) => deliverTo(deps, call, connectionId, frames)));
}

async function deliverTo(deps: Deps, call: Call, connectionId: string, frames: string[]): Promise<void> {
  for (const frame of frames) {
    try {
      if ((await deps.connections.post(connectionId, frame)) === 'gone') {
        await forgetDevice(deps, call, connectionId);
        return;
      }
    } catch (err) {
      deps.metrics.count('EventDeliveryFailed');
      deps.log.error('event delivery failed', { callId: call.callId, connectionId, error: String(err) });
    }
  }
}

/** A gone connection is removed from its user's devices (invariant 7). */
async function forgetDevice(deps: Deps, call: Call, connectionId: string): Promise<void> {
  const member = call.members.find((m) => m.device?.connectionId === connectionId || m.ringing.some((d) => d.connectionId === connectionId));
  deps.log.info('connection gone', { callId: call.callId, connectionId });
  if (member) await deps.users.removeDevice(call.sdkAppId, member.userId, connectionId).catch(() => undefined);
}
