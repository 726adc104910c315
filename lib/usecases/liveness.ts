import { CallRuleError } from '../calls/errors.ts';
import type { Member } from '../calls/types.ts';
import { VersionConflictError, type DeviceItem } from '../ports/store.ts';
import type { Deps } from './deps.ts';
import { runCallCommand, sweepAtOf } from './run-command.ts';

/** A member's last sign of life: her device's last heartbeat or login, or her (latest) joining, whichever is later. */
function lastSignOfLife(member: Member, device: DeviceItem): number {
  return Math.max(device.lastSeenAt, member.segments.at(-1)?.from ?? member.joinedAt ?? 0);
}

/**
 * Checks that the devices connected in a live call still heartbeat: members whose device is gone
 * or silent past the heartbeat timeout go `Offline`; if everyone is alive, the next check is when
 * the member silent the longest would time out (DESIGN.md invariant 3: timeout + one sweeper period).
 */
export async function liveDevicesCheck(deps: Deps, sdkAppId: number, callId: string): Promise<void> {
  const stored = await deps.calls.getCall(sdkAppId, callId);
  if (!stored || stored.call.status === 'ended') return;
  const now = deps.clock.now();
  const timeoutMs = deps.timing.heartbeatTimeoutSec * 1000;
  const joined = stored.call.members.filter((m) => m.state === 'joined' && m.device);
  const devices = await Promise.all(joined.map((m) => deps.users.getDevice(sdkAppId, m.userId, m.device?.connectionId ?? '')));
  const signs = joined.map((m, i) => {
    const d = devices[i];
    return d ? lastSignOfLife(m, d) : -Infinity;
  });
  // Silent for the whole timeout is out (at the boundary too: the next look would come a period late).
  const dead = joined.filter((_, i) => (signs[i] ?? -Infinity) + timeoutMs <= now);
  for (const m of dead) {
    await runCallCommand(deps, sdkAppId, callId, () => ({ type: 'memberOffline', now: deps.clock.now(), userId: m.userId, connectionId: m.device?.connectionId ?? '' })).catch((err) => {
      if (!(err instanceof CallRuleError)) throw err;
    });
  }
  if (dead.length > 0) return;
  // Everyone is alive: look again when the one silent the longest would time out (a lost race just means an early look).
  const call = { ...stored.call, livenessCheckAt: Math.max(now, Math.min(...signs) + timeoutMs) };
  await deps.calls.saveCall(call, stored.version, sweepAtOf(call, now, deps.timing)).catch((err: unknown) => {
    if (!(err instanceof VersionConflictError)) throw err;
  });
}
