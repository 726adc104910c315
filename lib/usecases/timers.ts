import { InvitationHandledError } from '../calls/errors.ts';
import type { Deps } from './deps.ts';
import { liveDevicesCheck } from './liveness.ts';
import { endOfGrace, onCredentialTimer } from './presence.ts';
import { runCallCommand } from './run-command.ts';
import type { TimerMessage } from './timer-messages.ts';

/** A ring timer fired: invitations past their deadline stop ringing. A missing or ended call is fine. */
async function onRingTimer(deps: Deps, msg: Extract<TimerMessage, { type: 'ringTimeout' }>): Promise<void> {
  try {
    await runCallCommand(deps, msg.sdkAppId, msg.callId, () => ({ type: 'timeout', now: deps.clock.now() }));
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
 * if its timer message was lost, and takes members whose devices stopped heartbeating out of their
 * calls (DESIGN.md invariant 3).
 */
export async function sweep(deps: Deps): Promise<{ checked: number }> {
  const due = await deps.calls.dueCalls(deps.clock.now(), 100);
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
  return { checked: due.length };
}
