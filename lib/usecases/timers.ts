import { InvitationHandledError } from '../calls/errors.ts';
import type { Deps } from './deps.ts';
import type { TimerMessage } from './execute-effects.ts';
import { runCallCommand } from './run-command.ts';

/** A ring timer fired: invitations past their deadline stop ringing. A missing or ended call is fine. */
export async function onRingTimer(deps: Deps, msg: TimerMessage): Promise<void> {
  try {
    await runCallCommand(deps, msg.sdkAppId, msg.callId, () => ({ type: 'timeout', now: deps.clock.now() }));
  } catch (err) {
    if (!(err instanceof InvitationHandledError)) throw err;
  }
}

/**
 * The sweeper (every minute): the backstop that ends every invitation whose deadline passed even
 * if its timer message was lost (DESIGN.md invariant 3).
 */
export async function sweep(deps: Deps): Promise<{ checked: number }> {
  const due = await deps.calls.dueCalls(deps.clock.now(), 100);
  await Promise.all(
    due.map((d) =>
      runCallCommand(deps, d.sdkAppId, d.callId, () => ({ type: 'timeout', now: deps.clock.now() })).catch((err) =>
        deps.log.error('sweep failed for call', { callId: d.callId, error: String(err) }),
      ),
    ),
  );
  return { checked: due.length };
}
