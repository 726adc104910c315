import { snapshotFor, type CallSnapshot } from '../calls/snapshot.ts';
import type { Deps, Speaker } from './deps.ts';
import { requireDevice } from './devices.ts';
import { NotLoggedInError } from './errors.ts';
import { leaveCallOnDevice } from './presence.ts';

/** `logout`: the device is forgotten (and leaves its call); with no other device left the user is UNLOGINED. */
export async function logout(deps: Deps, who: Speaker): Promise<void> {
  await requireDevice(deps, who, 'logout');
  await deps.users.removeDevice(who.sdkAppId, who.userId, who.connectionId);
  const view = await deps.users.getUser(who.sdkAppId, who.userId);
  // Logging out of a call device hangs up; a ringing device just stops ringing.
  await leaveCallOnDevice(deps, who, view.line?.callId, undefined);
  if (view.devices.length === 0) await deps.users.setProfileFields(who.sdkAppId, who.userId, { loggedOut: true });
}

/** `heartbeat`: marks the device alive. */
export async function heartbeat(deps: Deps, who: Speaker): Promise<{ serverTime: number }> {
  const now = deps.clock.now();
  if (!(await deps.users.touchDevice(who.sdkAppId, who.userId, who.connectionId, now))) throw new NotLoggedInError('heartbeat');
  return { serverTime: now };
}

/** `setSelfInfo`: nickname and avatar on the profile (the fields REST reads as Tag_Profile_IM_Nick/Image). */
export async function setSelfInfo(deps: Deps, who: Speaker, data: { nickname?: string; avatar?: string }): Promise<void> {
  await requireDevice(deps, who, 'setSelfInfo');
  await deps.users.setProfileFields(who.sdkAppId, who.userId, data);
}

/** `enableMultiDeviceAbility`: whether every device of the user rings, or only the newest. */
export async function enableMultiDeviceAbility(deps: Deps, who: Speaker, enable: boolean): Promise<{ multiDeviceAbility: boolean }> {
  await requireDevice(deps, who, 'enableMultiDeviceAbility');
  await deps.users.setProfileFields(who.sdkAppId, who.userId, { multiDeviceAbility: enable });
  return { multiDeviceAbility: enable };
}

export type UserStatus = 'ONLINE' | 'OFFLINE' | 'UNLOGINED';

/** `getUserStatus`: ONLINE with a live device, OFFLINE if known but unreachable, UNLOGINED if never logged in or logged out. */
export async function getUserStatus(deps: Deps, who: Speaker, userIdList: string[]): Promise<{ statusList: { userId: string; status: UserStatus }[] }> {
  await requireDevice(deps, who, 'getUserStatus');
  const aliveAfter = deps.clock.now() - deps.timing.heartbeatTimeoutSec * 1000;
  const views = await Promise.all(userIdList.map((u) => deps.users.getUser(who.sdkAppId, u)));
  return {
    statusList: views.map((v, i) => {
      const status: UserStatus = !v.profile || v.profile.loggedOut ? 'UNLOGINED' : v.devices.some((d) => d.lastSeenAt >= aliveAfter) ? 'ONLINE' : 'OFFLINE';
      return { userId: userIdList[i] ?? '', status };
    }),
  };
}

/** `syncCall`: the user's live call, for a client that reconnected. */
export async function syncCall(deps: Deps, who: Speaker): Promise<{ call: CallSnapshot | null }> {
  await requireDevice(deps, who, 'syncCall');
  const view = await deps.users.getUser(who.sdkAppId, who.userId);
  if (!view.line) return { call: null };
  const stored = await deps.calls.getCall(who.sdkAppId, view.line.callId);
  return { call: stored ? snapshotFor(stored.call, who.userId, deps.clock.now()) : null };
}
