import type { Call, DeviceRef } from '../calls/types.ts';
import type { Deps, Speaker } from './deps.ts';
import { requestKeyOf, requireDevice } from './devices.ts';
import { runCallCommand } from './run-command.ts';

export type CallAction = 'accept' | 'reject' | 'ignore' | 'hangup';

/** A device this connection has in the call (ringing or connected): proof it logged in, with no extra read. */
function deviceInCall(call: Call, who: Speaker): DeviceRef | undefined {
  for (const m of call.members) {
    if (m.userId !== who.userId) continue;
    if (m.device?.connectionId === who.connectionId) return m.device;
    const ringing = m.ringing.find((d) => d.connectionId === who.connectionId);
    if (ringing) return ringing;
  }
  return undefined;
}

/**
 * `accept` / `reject` / `ignore` / `hangup` on a call by one of the speaker's devices. The answer of
 * a successful request is stored on the call so a repeated requestId replays it and does nothing twice.
 */
export async function actOnCall(
  deps: Deps,
  who: Speaker,
  action: CallAction,
  input: { callId: string; reason?: 'Interrupt' },
  requestId: string,
): Promise<Record<string, unknown>> {
  let device: DeviceRef | undefined;
  return runCallCommand(
    deps,
    who.sdkAppId,
    input.callId,
    async (stored) => {
      device ??= deviceInCall(stored.call, who) ?? (await requireDevice(deps, who, action));
      const base = { now: deps.clock.now(), userId: who.userId, device };
      return action === 'hangup' ? { type: 'hangup', ...base, ...(input.reason ? { reason: input.reason } : {}) } : { type: action, ...base };
    },
    // `build` runs first, so the acting device is known when the replay key is asked for.
    { key: () => requestKeyOf(device ?? { deviceId: who.loginId }, requestId), action, answer: () => ({}) },
  );
}
