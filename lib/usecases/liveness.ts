import { CallRuleError } from '../calls/errors.ts';
import { VersionConflictError } from '../ports/store.ts';
import type { Deps } from './deps.ts';
import { isLive } from './login-policy.ts';
import { runCallCommand, sweepAtOf } from './run-command.ts';

/**
 * Checks that the devices connected in a live call still heartbeat: members whose device is gone
 * or silent past the heartbeat timeout go `Offline`; if everyone is alive, the next check is scheduled.
 */
export async function liveDevicesCheck(deps: Deps, sdkAppId: number, callId: string): Promise<void> {
  const stored = await deps.calls.getCall(sdkAppId, callId);
  if (!stored || stored.call.status === 'ended') return;
  const now = deps.clock.now();
  const joined = stored.call.members.filter((m) => m.state === 'joined' && m.device);
  const devices = await Promise.all(joined.map((m) => deps.users.getDevice(sdkAppId, m.userId, m.device?.connectionId ?? '')));
  const dead = joined.filter((_, i) => {
    const d = devices[i];
    return !d || !isLive(d, now, deps.timing.heartbeatTimeoutSec);
  });
  for (const m of dead) {
    await runCallCommand(deps, sdkAppId, callId, () => ({ type: 'memberOffline', now: deps.clock.now(), userId: m.userId, connectionId: m.device?.connectionId ?? '' })).catch((err) => {
      if (!(err instanceof CallRuleError)) throw err;
    });
  }
  if (dead.length > 0) return;
  // Everyone is alive: look again one heartbeat timeout from now (a lost race just means an early look).
  await deps.calls.saveCall(stored.call, stored.version, sweepAtOf(stored.call, now, deps.timing)).catch((err: unknown) => {
    if (!(err instanceof VersionConflictError)) throw err;
  });
}
