import type { DeviceRef } from '../calls/types.ts';
import type { DeviceItem } from '../ports/store.ts';
import type { Deps, Speaker } from './deps.ts';
import { NotLoggedInError } from './errors.ts';

/** The key under which a device's request answers are kept: a retry from a reconnected device finds them. */
export const requestKeyOf = (device: Pick<DeviceRef, 'deviceId'>, requestId: string) => `${device.deviceId}|${requestId}`;

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
