import type { DeviceRef } from '../calls/types.ts';
import type { DeviceItem } from '../ports/store.ts';
import type { Deps, Speaker } from './deps.ts';
import { NotLoggedInError } from './errors.ts';

/**
 * The key under which a device's request answers are kept: a retry from a reconnected device finds
 * them. It names the user too: device ids and request ids come from clients, so without it another
 * user who sent the same pair would be handed this user's answer (tenancy test).
 */
export const requestKeyOf = (userId: string, device: Pick<DeviceRef, 'deviceId'>, requestId: string) => `${userId}|${device.deviceId}|${requestId}`;

/** The device reference events are addressed to. */
export function toDeviceRef(d: DeviceItem): DeviceRef {
  return { connectionId: d.connectionId, loginId: d.loginId, deviceId: d.deviceId, platform: d.platform, ...(d.ip ? { ip: d.ip } : {}) };
}

/** The speaker's logged-in device, or -1201 when this connection has not logged in. */
export async function requireDevice(deps: Deps, who: Speaker, action: string): Promise<DeviceRef> {
  const device = await deps.users.getDevice(who.sdkAppId, who.userId, who.connectionId);
  if (!device) throw new NotLoggedInError(action);
  return toDeviceRef(device);
}
