import type { App } from '../apps/app.ts';
import type { Platform } from '../calls/types.ts';
import type { DeviceItem, UserView } from '../ports/store.ts';
import type { Deps, Speaker } from './deps.ts';
import { toDeviceRef } from './devices.ts';
import { RepeatedRequestError } from './errors.ts';
import { devicesToKick, isLive } from './login-policy.ts';
import { kickDevice, scheduleCredentialExpiry } from './presence.ts';
import { runCallCommand } from './run-command.ts';
import { CallRuleError } from '../calls/errors.ts';

export interface LoginAnswer extends Record<string, unknown> {
  userId: string;
  loginId: string;
  serverTime: number;
  heartbeatIntervalSec: number;
  multiDeviceAbility: boolean;
}

/** A use case's answer, and work to do once the client has it (events that must follow the answer). */
export interface Answered<T> {
  answer: T;
  after?: () => Promise<void>;
}

/**
 * `login`: registers this connection as one of the user's devices (creating her profile on first
 * login). Once per connection: a repeat with the same requestId replays the answer, another is -1204.
 * After the answer: the login policy removes devices, and a ringing invitation or live call reaches this device.
 */
export async function login(deps: Deps, who: Speaker, data: { platform: Platform; deviceId?: string }, requestId: string): Promise<Answered<LoginAnswer>> {
  const [view, app] = await Promise.all([deps.users.getUser(who.sdkAppId, who.userId), deps.apps.getApp(who.sdkAppId)]);
  const existing = view.devices.find((d) => d.connectionId === who.connectionId);
  if (existing && existing.loginRequestId !== requestId) throw new RepeatedRequestError('login: this connection is already logged in');
  const now = existing?.loginAt ?? deps.clock.now();
  const profile = await deps.users.recordLogin(who.sdkAppId, who.userId, now);
  const answer: LoginAnswer = {
    userId: who.userId,
    loginId: who.loginId,
    serverTime: deps.clock.now(),
    heartbeatIntervalSec: deps.timing.heartbeatIntervalSec,
    multiDeviceAbility: profile.multiDeviceAbility,
  };
  if (existing) return { answer };
  const device: DeviceItem = {
    connectionId: who.connectionId,
    loginId: who.loginId,
    platform: data.platform,
    deviceId: data.deviceId ?? who.loginId,
    ip: who.ip,
    loginAt: now,
    lastSeenAt: now,
    credentialExpiresAt: who.credentialExpiresAt,
    loginRequestId: requestId,
  };
  await deps.users.putDevice(who.sdkAppId, who.userId, device);
  return { answer, after: () => afterLogin(deps, who, app, view, device) };
}

/**
 * The other devices: stale ones (no heartbeat) and older connections of this same device are
 * dropped silently, the login policy kicks what exceeds it; then the call follows the new device.
 */
async function afterLogin(deps: Deps, who: Speaker, app: App | undefined, view: UserView, device: DeviceItem): Promise<void> {
  const now = deps.clock.now();
  const callId = view.line?.callId;
  const others = view.devices.filter((d) => d.connectionId !== device.connectionId);
  const live = others.filter((d) => isLive(d, now, deps.timing.heartbeatTimeoutSec) && d.deviceId !== device.deviceId);
  const dropped = others.filter((d) => !live.includes(d));
  const kicks = app ? devicesToKick(app, live, device) : [];
  await Promise.all(
    dropped.map(async (d) => {
      await deps.users.removeDevice(who.sdkAppId, who.userId, d.connectionId);
      await deps.connections.close(d.connectionId);
    }),
  );
  for (const k of kicks) await kickDevice(deps, { ...who, connectionId: k.device.connectionId }, k.reason, callId);
  if (callId) {
    await runCallCommand(deps, who.sdkAppId, callId, () => ({ type: 'deviceOnline', now: deps.clock.now(), userId: who.userId, device: toDeviceRef(device) })).catch((err) => {
      if (!(err instanceof CallRuleError)) throw err;
    });
  }
  await scheduleCredentialExpiry(deps, who, device.credentialExpiresAt);
}
