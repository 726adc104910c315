import { InvitationHandledError } from '../calls/errors.ts';
import type { Deps } from './deps.ts';
import { liveDevicesCheck } from './liveness.ts';
import { endOfGrace, onCredentialTimer } from './presence.ts';
import { runCallCommand } from './run-command.ts';
import { executeEffects } from './execute-effects.ts';
import type { CallRef } from '../ports/store.ts';
import type { TimerMessage } from './timer-messages.ts';

/** A ring timer fired: invitations past their deadline stop ringing. A missing or ended call is fine. */
async function onRingTimer(deps: Deps, msg: Extract<TimerMessage, { type: 'ringTimeout' }>): Promise<void> {
  // A timer message SQS delivers again (its handler died after the write) redoes that transition's
  // effects, then ends what is due by now; the sweeper's look (at 0) has no key: each look may find new deadlines passed.
  const request = msg.at > 0 ? { key: () => `timer|ring|${msg.at}`, action: 'ringTimeout', answer: () => ({}), onlyChanges: true as const, actOnReplay: true as const } : undefined;
  try {
    await runCallCommand(deps, msg.sdkAppId, msg.callId, () => ({ type: 'timeout', now: deps.clock.now() }), request);
  } catch (err) {
    if (!(err instanceof InvitationHandledError)) throw err;
  }
}

/** One message of the timers queue. */
export async function onTimer(deps: Deps, msg: TimerMessage): Promise<void> {
  switch (msg.type) {
    case 'ringTimeout':
      return onRingTimer(deps, msg);
    case 'offlineGrace':
      return endOfGrace(deps, msg);
    case 'credentialExpiry':
      return onCredentialTimer(deps, msg);
    default:
      deps.log.warn('unknown timer message', { type: (msg as { type?: unknown }).type });
  }
}

/**
 * The sweeper (every minute): the backstop that ends every invitation whose deadline passed even
 * if its timer message was lost, takes members whose devices stopped heartbeating out of their
 * calls (DESIGN.md invariant 3), and settles calls that ended a minute ago.
 */
export async function sweep(deps: Deps): Promise<{ checked: number; settled: number }> {
  const now = deps.clock.now();
  const [due, ended] = await Promise.all([deps.calls.dueCalls(now, 100), deps.calls.endedCallsToSettle(now, 100)]);
  await Promise.all(
    ended.calls.map((ref) => settleEndedCall(deps, ref).catch((err: unknown) => deps.log.error('settling failed for call', { callId: ref.callId, error: String(err) }))),
  );
  await ended.done();
  await Promise.all(
    due.map(async (d) => {
      try {
        await onRingTimer(deps, { type: 'ringTimeout', sdkAppId: d.sdkAppId, callId: d.callId, at: 0 });
        await liveDevicesCheck(deps, d.sdkAppId, d.callId);
      } catch (err) {
        deps.log.error('sweep failed for call', { callId: d.callId, error: String(err) });
      }
    }),
  );
  return { checked: due.length, settled: ended.calls.length };
}

/**
 * A call ended a minute ago: if its record is missing, the handler that ended it died before
 * finishing its effects (the record is written after the lines and the callbacks), so the effects
 * kept in its outbox are carried out again, each safe to repeat. One read per call (its record), no
 * write; the call itself is read only when the record is missing.
 */
export async function settleEndedCall(deps: Deps, { sdkAppId, callId }: CallRef): Promise<void> {
  if (await deps.records.getRecord(sdkAppId, callId)) return;
  const stored = await deps.calls.getCall(sdkAppId, callId);
  if (!stored) return;
  deps.log.warn('ended call has no record: finishing the effects its handler left', { sdkAppId, callId, transitions: stored.outbox.length });
  deps.metrics.count('EndedCallFinishedBySweeper');
  for (const entry of stored.outbox) await executeEffects(deps, stored.call, entry);
}
