import type { App } from '../apps/app.ts';
import type { DeviceItem } from '../ports/store.ts';

/** Why a device is removed by the server (`onKickedOffline.reason`). */
export type KickReason = 'LoginElsewhere' | 'PlatformLimit' | 'AdminKick' | 'AccountDeleted';

/**
 * Which of a user's other live devices a new login removes (DESIGN.md "Devices"): `single` keeps
 * only the new one; `multi` keeps at most `maxDevicesPerPlatform` per platform, removing the
 * oldest logins of the new device's platform. Devices on other platforms never kick each other.
 */
export function devicesToKick(app: Pick<App, 'loginPolicy' | 'maxDevicesPerPlatform'>, others: readonly DeviceItem[], device: DeviceItem): { device: DeviceItem; reason: KickReason }[] {
  if (app.loginPolicy === 'single') return others.map((d) => ({ device: d, reason: 'LoginElsewhere' }));
  const samePlatform = others.filter((d) => d.platform === device.platform).sort((a, b) => a.loginAt - b.loginAt);
  const excess = samePlatform.length + 1 - Math.max(1, app.maxDevicesPerPlatform);
  return samePlatform.slice(0, Math.max(0, excess)).map((d) => ({ device: d, reason: 'PlatformLimit' }));
}

/** A device counts as online while it heartbeats (its last sign of life is within the heartbeat timeout). */
export function isLive(device: Pick<DeviceItem, 'lastSeenAt'>, now: number, heartbeatTimeoutSec: number): boolean {
  return device.lastSeenAt >= now - heartbeatTimeoutSec * 1000;
}
