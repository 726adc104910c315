import type { Call, DeviceRef, Effect } from '../calls/types.ts';
import { buildCallbackMessages, enqueueCallbacks } from '../callbacks/enqueue.ts';
import type { OutboxEntry } from '../ports/store.ts';
import type { Deps } from './deps.ts';
import type { TimerMessage } from './timer-messages.ts';

type SendEffect = Extract<Effect, { kind: 'send' }>;

/** How long the callbacks of a call's end wait for its record (SQS delays by whole seconds). */
export const RECORD_FIRST_MS = 1_000;

/** The frame a device receives for a call event (ws-protocol.md "Event"). */
export function eventFrame(call: Call, e: SendEffect): string {
  return JSON.stringify({ type: 'event', event: e.event, callId: call.callId, seq: e.seq, time: e.time, data: e.data });
}


/**
 * Carries out a transition's effects after the call item was stored (the same effects are in its
 * outbox, so a retry or the sweeper can carry them out again: each step is safe to repeat). Lines
 * are freed and callbacks enqueued first, then timers, then the record; so a record that exists
 * means everything before it was done (`settleEndedCall` relies on it). Callbacks of a transition
 * that writes a record wait `RECORD_FIRST_MS`, so `get_record_by_callid` already finds the record
 * when AfterEndCall arrives. Events go last, sequentially per device (order matters to clients) and
 * concurrently across devices. A failed delivery never fails the action (invariant 7).
 */
export async function executeEffects(deps: Deps, call: Call, entry: Pick<OutboxEntry, 'effects' | 'callbacks'>): Promise<void> {
  const { effects } = entry;
  const now = deps.clock.now();
  const app = await deps.apps.getApp(call.sdkAppId);
  const writesRecord = effects.some((e) => e.kind === 'record');
  await Promise.all([
    ...effects.map((e) => (e.kind === 'releaseLine' ? deps.users.releaseLine(call.sdkAppId, e.userId, call.callId, e.since) : undefined)),
    enqueueCallbacks(deps, entry.callbacks, writesRecord ? RECORD_FIRST_MS : 0),
  ]);
  await Promise.all(
    effects.map((e) => {
      if (e.kind !== 'timer') return undefined;
      const body: TimerMessage = { type: 'ringTimeout', sdkAppId: call.sdkAppId, callId: call.callId, at: e.at };
      return deps.timers.send(JSON.stringify(body), { delayMs: Math.max(0, e.at - now) });
    }),
  );
  await Promise.all(
    effects.map((e) => (e.kind === 'record' ? deps.records.putRecord(call.sdkAppId, e.record, app?.recordRetentionDays ?? 90, e.details) : undefined)),
  );
  for (const e of effects) {
    if (e.kind === 'callback' && e.command === 'Call.CallbackAfterStartCall') deps.metrics.count('CallStarted', { dimensions: { CallType: call.callType } });
    if (e.kind === 'record') deps.metrics.count('CallEnded', { dimensions: { Result: e.record.CallResult } });
  }
  await deliver(deps, call, effects.filter((e): e is SendEffect => e.kind === 'send'));
}

/**
 * A transition's outbox entry: its effects and its callback messages, built now from the call it
 * produced. Events keep only their recipients' connection ids (all a delivery needs): the entry is
 * written with the call item, and into both of its indexes, so every byte counts several times.
 */
export async function outboxEntryOf(deps: Deps, call: Call, key: string, effects: Effect[]): Promise<OutboxEntry> {
  const compact = effects.map((e) => (e.kind === 'send' ? { ...e, to: e.to.map((d) => ({ connectionId: d.connectionId }) as DeviceRef) } : e));
  return { key, effects: compact, callbacks: await buildCallbackMessages(deps, call, effects) };
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

/**
 * A gone connection is removed from its user's devices (invariant 7). The event may be about the
 * very transition that took the device out of the call (it stopped ringing), so when no member
 * has it any more, it is removed under every member (connection ids are unique: the others are no-ops).
 */
async function forgetDevice(deps: Deps, call: Call, connectionId: string): Promise<void> {
  const member = call.members.find((m) => m.device?.connectionId === connectionId || m.ringing.some((d) => d.connectionId === connectionId));
  deps.log.info('connection gone', { callId: call.callId, connectionId });
  const users = member ? [member.userId] : call.members.map((m) => m.userId);
  await Promise.all(users.map((userId) => deps.users.removeDevice(call.sdkAppId, userId, connectionId).catch(() => undefined)));
}
