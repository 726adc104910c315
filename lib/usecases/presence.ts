import { CallRuleError } from '../calls/errors.ts';
import type { CallCommand } from '../calls/commands.ts';
import type { StoredCall } from '../ports/store.ts';
import type { Deps, Speaker } from './deps.ts';
import type { KickReason } from './login-policy.ts';
import { runCallCommand } from './run-command.ts';
import { MAX_TIMER_DELAY_MS, type TimerMessage } from './timer-messages.ts';

type Who = Pick<Speaker, 'sdkAppId' | 'userId' | 'connectionId'>;

/** Runs a command on the user's call if she has one; a call that ended or refuses it is fine. */
async function onUsersCall(
  deps: Deps,
  who: Who,
  callId: string | undefined,
  build: (stored: StoredCall) => CallCommand | undefined,
  /** A replay key when the trigger may come again (a queue message): its effects are then redone. */
  replayKey?: string,
): Promise<void> {
  if (!callId) return;
  try {
    await runCallCommand(deps, who.sdkAppId, callId, build, replayKey === undefined ? undefined : { key: () => replayKey, action: 'timer', answer: () => ({}), onlyChanges: true });
  } catch (err) {
    if (!(err instanceof CallRuleError)) throw err;
  }
}

/**
 * The device leaves the user's call as if it had hung up (kicked while connected, or logged out),
 * or, if it was ringing, stops ringing and is told why.
 */
export async function leaveCallOnDevice(deps: Deps, who: Who, callId: string | undefined, ringingReason: 'Unknown' | undefined): Promise<void> {
  await onUsersCall(deps, who, callId, (stored) => {
    const now = deps.clock.now();
    const member = stored.call.members.find((m) => m.userId === who.userId);
    if (member?.state === 'joined' && member.device?.connectionId === who.connectionId) return { type: 'hangup', now, userId: who.userId, device: member.device };
    if (!member?.ringing.some((d) => d.connectionId === who.connectionId)) return undefined;
    return { type: 'deviceGone', now, connectionId: who.connectionId, ...(ringingReason ? { notifyReason: ringingReason } : {}) };
  });
}

/** Sends one event that belongs to no call (`onKickedOffline`, `onUserSigExpired`) to a connection. */
export async function postSessionEvent(deps: Deps, connectionId: string, event: 'onKickedOffline' | 'onUserSigExpired', data: Record<string, unknown>): Promise<void> {
  await deps.connections.post(connectionId, JSON.stringify({ type: 'event', event, time: deps.clock.now(), data })).catch(() => 'gone');
}

/**
 * Removes a device by the server's decision: it leaves its call (or stops ringing), gets
 * `onKickedOffline {reason}`, is forgotten, and its connection is closed.
 */
export async function kickDevice(deps: Deps, who: Who, reason: KickReason, callId: string | undefined): Promise<void> {
  await leaveCallOnDevice(deps, who, callId, 'Unknown');
  await postSessionEvent(deps, who.connectionId, 'onKickedOffline', { reason });
  await deps.users.removeDevice(who.sdkAppId, who.userId, who.connectionId);
  await deps.connections.close(who.connectionId);
}

/** The device's credential expired while connected: it is told (`onUserSigExpired`) and closed. */
export async function expireCredential(deps: Deps, who: Who): Promise<void> {
  await postSessionEvent(deps, who.connectionId, 'onUserSigExpired', {});
  await deps.connections.close(who.connectionId);
}

/** Schedules the precise credential-expiry timer when it falls within SQS's delay range (heartbeats catch later ones). */
export async function scheduleCredentialExpiry(deps: Deps, who: Who, expiresAtSec: number): Promise<void> {
  const at = expiresAtSec * 1000;
  const delayMs = at - deps.clock.now();
  if (!expiresAtSec || delayMs > MAX_TIMER_DELAY_MS) return;
  const msg: TimerMessage = { type: 'credentialExpiry', sdkAppId: who.sdkAppId, userId: who.userId, connectionId: who.connectionId, at };
  await deps.timers.send(JSON.stringify(msg), { delayMs: Math.max(0, delayMs) });
}

/**
 * `$disconnect`: the device is forgotten. If it was the user's call device, a grace timer starts:
 * reconnecting within it keeps her in the call, otherwise she goes `Offline`. A ringing device just stops ringing.
 */
export async function disconnect(deps: Deps, who: Who): Promise<void> {
  const view = await deps.users.getUser(who.sdkAppId, who.userId);
  await deps.users.removeDevice(who.sdkAppId, who.userId, who.connectionId);
  const callId = view.line?.callId;
  const stored = callId ? await deps.calls.getCall(who.sdkAppId, callId) : undefined;
  const member = stored?.call.members.find((m) => m.userId === who.userId);
  if (!stored || !member || stored.call.status === 'ended') return;
  if (member.state === 'joined' && member.device?.connectionId === who.connectionId) {
    const at = deps.clock.now() + deps.timing.disconnectGraceSec * 1000;
    const msg: TimerMessage = { type: 'offlineGrace', sdkAppId: who.sdkAppId, callId: stored.call.callId, userId: who.userId, connectionId: who.connectionId, at };
    await deps.timers.send(JSON.stringify(msg), { delayMs: deps.timing.disconnectGraceSec * 1000 });
  } else if (member.ringing.some((d) => d.connectionId === who.connectionId)) {
    await leaveCallOnDevice(deps, who, stored.call.callId, undefined);
  }
}

/** The grace period after a disconnect is over: unless the call moved to a new connection of hers, she is offline. */
export async function endOfGrace(deps: Deps, msg: Extract<TimerMessage, { type: 'offlineGrace' }>): Promise<void> {
  await onUsersCall(
    deps,
    msg,
    msg.callId,
    () => ({ type: 'memberOffline', now: deps.clock.now(), userId: msg.userId, connectionId: msg.connectionId }),
    `timer|grace|${msg.connectionId}|${msg.at}`,
  );
}

/** The credential timer fired: if the device is still connected on it, it is expired now. */
export async function onCredentialTimer(deps: Deps, msg: Extract<TimerMessage, { type: 'credentialExpiry' }>): Promise<void> {
  const device = await deps.users.getDevice(msg.sdkAppId, msg.userId, msg.connectionId);
  if (device && device.credentialExpiresAt * 1000 <= deps.clock.now()) await expireCredential(deps, msg);
}
