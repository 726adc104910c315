import type { CallCommand, DeviceAction } from '../calls/commands.ts';
import type { CallRuleError } from '../calls/errors.ts';
import type { Call, DeviceRef } from '../calls/types.ts';
import type { StoredCall } from '../ports/store.ts';
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

/** What a client request on a call needs: who acts, which action, and how the command and answer are made. */
export interface DeviceRequest {
  callId: string;
  action: string;
  requestId: string;
  command: (stored: StoredCall, base: DeviceAction) => CallCommand | Promise<CallCommand>;
  answer?: (call: Call) => Record<string, unknown>;
  missing?: () => CallRuleError;
}

/**
 * Runs a client request on a call: finds the acting device (in the call, else her logged-in device:
 * -1201 if none), replays a repeated requestId from the same device, otherwise applies the command.
 */
export async function runDeviceRequest(deps: Deps, who: Speaker, req: DeviceRequest): Promise<Record<string, unknown>> {
  let device: DeviceRef | undefined;
  const deviceOf = async (stored: StoredCall) => (device ??= deviceInCall(stored.call, who) ?? (await requireDevice(deps, who, req.action)));
  return runCallCommand(
    deps,
    who.sdkAppId,
    req.callId,
    async (stored) => req.command(stored, { now: deps.clock.now(), userId: who.userId, device: await deviceOf(stored) }),
    { key: async (stored) => requestKeyOf(who.userId, await deviceOf(stored), req.requestId), action: req.action, answer: req.answer ?? (() => ({})) },
    req.missing,
  );
}

/**
 * `accept` / `reject` / `ignore` / `hangup` on a call by one of the speaker's devices. The answer of
 * a successful request is stored on the call so a repeated requestId replays it and does nothing twice.
 */
export function actOnCall(deps: Deps, who: Speaker, action: CallAction, input: { callId: string; reason?: 'Interrupt' }, requestId: string): Promise<Record<string, unknown>> {
  return runDeviceRequest(deps, who, {
    callId: input.callId,
    action,
    requestId,
    command: (_stored, base) => (action === 'hangup' ? { type: 'hangup', ...base, ...(input.reason ? { reason: input.reason } : {}) } : { type: action, ...base }),
  });
}
