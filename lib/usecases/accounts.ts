import { isValidUserId } from '../auth/user-id.ts';
import type { DeviceItem, ProfileItem } from '../ports/store.ts';
import type { Deps } from './deps.ts';
import { isLive, type KickReason } from './login-policy.ts';
import { expireCredential, kickDevice } from './presence.ts';

/** An account an admin imports: her UserID and, optionally, nickname and avatar. */
export interface AccountImport {
  userId: string;
  nickname?: string;
  avatar?: string;
}

/** One of a user's devices as presence sees it: live while it heartbeats (`isLive`). */
export type DevicePresence = DeviceItem & { live: boolean };

/** What a force-logout did: the connections it closed, or what it did not find. */
export type ForceLogoutOutcome = { ok: true; connectionIds: string[] } | { ok: false; missing: 'user' | 'device' };

/** Runs `fn` over `items` with at most `limit` in flight, answers in order (REST batches reach 500 users). */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Imports an account: it exists from now on (callable, no 8021) but has never logged in
 * (`getUserStatus` says UNLOGINED). Importing again changes only the nickname/avatar given.
 */
export async function importAccount(deps: Deps, sdkAppId: number, account: AccountImport): Promise<void> {
  const { userId, ...fields } = account;
  await deps.users.importUser(sdkAppId, userId, deps.clock.now(), fields);
}

/** The account's profile; none for a UserID that breaks the rule (it cannot have been created). */
export async function findAccount(deps: Deps, sdkAppId: number, userId: string): Promise<ProfileItem | undefined> {
  return isValidUserId(userId) ? deps.users.getProfile(sdkAppId, userId) : undefined;
}

/** Removes devices one by one by the server's decision: each leaves its call, is told why, and is closed. */
async function kickAll(deps: Deps, sdkAppId: number, userId: string, devices: readonly DeviceItem[], reason: KickReason, callId: string | undefined): Promise<void> {
  // One at a time: each kick may change the same call, and the devices of one user are few.
  for (const d of devices) await kickDevice(deps, { sdkAppId, userId, connectionId: d.connectionId }, reason, callId);
}

/**
 * `account_delete`: every device is kicked (`AccountDeleted`, leaving its call), then the profile
 * and devices are deleted. `false` when there was no such account.
 */
export async function deleteAccount(deps: Deps, sdkAppId: number, userId: string): Promise<boolean> {
  if (!isValidUserId(userId)) return false;
  const view = await deps.users.getUser(sdkAppId, userId);
  if (!view.profile) return false;
  await kickAll(deps, sdkAppId, userId, view.devices, 'AccountDeleted', view.line?.callId);
  await deps.users.deleteUser(sdkAppId, userId);
  return true;
}

/**
 * REST `kick`: every credential issued before this second stops working at connect, and every
 * connection of the user is told `onUserSigExpired` and closed (her call then sees her go offline,
 * as when a credential expires). `false` when there is no such account.
 */
export async function revokeLogins(deps: Deps, sdkAppId: number, userId: string): Promise<boolean> {
  if (!isValidUserId(userId)) return false;
  // Second granularity, like the credentials' issue times: one issued in this very second still works,
  // so an app server may hand out a fresh UserSig right after kicking.
  const validAfter = Math.floor(deps.clock.now() / 1000);
  if (!(await deps.users.updateProfile(sdkAppId, userId, { credentialsValidAfter: validAfter }))) return false;
  // Devices are read after the revocation is stored, so a handshake racing with it is either refused or listed here.
  const view = await deps.users.getUser(sdkAppId, userId);
  await Promise.all(
    view.devices.map(async (d) => {
      const who = { sdkAppId, userId, connectionId: d.connectionId };
      await expireCredential(deps, who);
      await deps.users.removeDevice(sdkAppId, userId, d.connectionId);
    }),
  );
  return true;
}

/** The user's devices, oldest login first, each marked live or not; undefined when the account does not exist. */
export async function devicesOf(deps: Deps, sdkAppId: number, userId: string): Promise<DevicePresence[] | undefined> {
  if (!isValidUserId(userId)) return undefined;
  const view = await deps.users.getUser(sdkAppId, userId);
  if (!view.profile) return undefined;
  const now = deps.clock.now();
  return view.devices.sort((a, b) => a.loginAt - b.loginAt).map((d) => ({ ...d, live: isLive(d, now, deps.timing.heartbeatTimeoutSec) }));
}

/**
 * Admin force-logout (our device-management extension): one connection, or every one of the user's.
 * Each gets `onKickedOffline {reason: 'AdminKick'}`, leaves its call and is closed; credentials stay valid.
 */
export async function forceLogout(deps: Deps, sdkAppId: number, userId: string, connectionId?: string): Promise<ForceLogoutOutcome> {
  if (!isValidUserId(userId)) return { ok: false, missing: 'user' };
  const view = await deps.users.getUser(sdkAppId, userId);
  if (!view.profile) return { ok: false, missing: 'user' };
  const devices = connectionId === undefined ? view.devices : view.devices.filter((d) => d.connectionId === connectionId);
  if (connectionId !== undefined && devices.length === 0) return { ok: false, missing: 'device' };
  await kickAll(deps, sdkAppId, userId, devices, 'AdminKick', view.line?.callId);
  return { ok: true, connectionIds: devices.map((d) => d.connectionId) };
}
