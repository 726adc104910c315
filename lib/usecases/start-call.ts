import { startCall } from '../calls/start.ts';
import { InvalidParameterError, RefusedInStateError } from '../calls/errors.ts';
import type { DeviceRef, MediaType, OfflinePushInfo, RoomIdType } from '../calls/types.ts';
import type { DeviceItem, LineAttempt, UserView } from '../ports/store.ts';
import { callIdFor } from './call-id.ts';
import type { Deps, Speaker } from './deps.ts';
import { RateLimitedError, UnknownUserError } from './errors.ts';
import { APP_DEFAULTS } from '../apps/app.ts';
import { executeEffects, outboxEntryOf } from './execute-effects.ts';
import { requestKeyOf, requireDevice, toDeviceRef } from './devices.ts';
import { redoEffects, runCallCommand, scheduleLiveness, sweepAtOf } from './run-command.ts';
import { releaseTaken, takeLine } from './lines.ts';
import { isLive } from './login-policy.ts';

/** Validated `calls` data. */
export interface CallsRequest {
  userIdList: string[];
  mediaType: MediaType;
  roomId?: number | string;
  timeoutSec: number;
  userData: string;
  chatGroupId: string;
  offlinePushInfo?: OfflinePushInfo;
}

export interface CallsAnswer extends Record<string, unknown> {
  callId: string;
  roomId: number | string;
  roomIdType: RoomIdType;
  merged?: true;
}

/** Who rings for an invitee: every live device with multi-device ability on, else only the newest login. */
export function ringTargets(view: UserView, now: number, heartbeatTimeoutSec: number): DeviceRef[] {
  const devices = view.devices.filter((d) => isLive(d, now, heartbeatTimeoutSec)).sort((a, b) => b.loginAt - a.loginAt);
  const chosen: DeviceItem[] = view.profile?.multiDeviceAbility ? devices : devices.slice(0, 1);
  return chosen.map(toDeviceRef);
}

/**
 * `calls`: creates a call (or, on glare, accepts the callee's ringing call to us). Lines are busy
 * markers taken by conditional writes; the call id derives from the request so a retry is idempotent.
 */
export async function placeCall(deps: Deps, who: Speaker, req: CallsRequest, requestId: string): Promise<CallsAnswer> {
  const { sdkAppId } = who;
  if (req.userIdList.includes(who.userId)) throw new InvalidParameterError('userIdList: you cannot call yourself');
  const [device, ...views] = await Promise.all([
    requireDevice(deps, who, 'calls'),
    ...req.userIdList.map((u) => deps.users.getUser(sdkAppId, u)),
  ]);
  const now = deps.clock.now();
  const app = await deps.apps.getApp(sdkAppId);
  const callId = callIdFor(app?.secretKeys[0] ?? '', who.userId, device.deviceId, requestId);
  const requestKey = requestKeyOf(who.userId, device, requestId);
  const unknown = views.findIndex((v) => !v.profile);
  if (unknown >= 0) {
    // A retry after the callee's account was deleted still gets its first answer.
    const replayed = await replayIfPlaced(deps, sdkAppId, callId, requestKey);
    if (replayed) return replayed;
    throw new UnknownUserError(req.userIdList[unknown] ?? '');
  }
  const stamp = deps.ids.lineStamp(now);
  const own = await takeOwnLine(deps, who, callId, stamp, app?.callsPerMinute ?? APP_DEFAULTS.callsPerMinute);
  if (own.kind === 'other') {
    // A retry of a `calls` whose call exists (maybe ended, her line now held by another call) replays it.
    return (await replayIfPlaced(deps, sdkAppId, callId, requestKey)) ?? answerHeldCall(deps, who, device, own.heldBy, req, { callId, requestKey });
  }
  const lines = await Promise.all(req.userIdList.map((u) => takeLine(deps, sdkAppId, u, callId, stamp)));
  const roomId = req.roomId ?? deps.ids.roomId();
  const started = startCall({
    type: 'start',
    now,
    callId,
    sdkAppId,
    caller: { userId: who.userId, device },
    invitees: req.userIdList.map((userId, i) => ({ userId, ringTargets: ringTargets(views[i] ?? { devices: [] }, now, deps.timing.heartbeatTimeoutSec), busy: !lines[i]?.acquired })),
    mediaType: req.mediaType,
    callType: req.userIdList.length > 1 || req.chatGroupId ? 'MultiCall' : 'SingleCall',
    roomId,
    roomIdType: typeof roomId === 'number' ? 1 : 2,
    timeoutSec: req.timeoutSec,
    userData: req.userData,
    chatGroupId: req.chatGroupId,
    ...(req.offlinePushInfo ? { offlinePushInfo: req.offlinePushInfo } : {}),
    lineSince: stamp,
  });
  const { effects } = started;
  const call = scheduleLiveness(started.call, undefined, now, deps.timing);
  const entry = await outboxEntryOf(deps, call, requestKey, effects);
  const created = await deps.calls.createCall(call, { deviceId: device.deviceId, requestId }, sweepAtOf(call, now, deps.timing), [entry]);
  if (!created) {
    // A repeated request (maybe running at the same time as its first attempt): the lines it took
    // are given up unless the call that exists needs them, and the first answer is replayed.
    const taken = [{ userId: who.userId, line: own as LineAttempt }, ...req.userIdList.map((userId, i) => ({ userId, line: lines[i] }))];
    await releaseTaken(deps, sdkAppId, callId, new Map(taken.filter(({ line }) => line?.acquired && !line.alreadyOurs).map(({ userId }) => [userId, stamp])));
    const replayed = await replayIfPlaced(deps, sdkAppId, callId, requestKey);
    if (!replayed) throw new RefusedInStateError(`calls: call ${callId} could not be created; retry with a new requestId`);
    return replayed;
  }
  await executeEffects(deps, call, entry);
  return { callId, roomId: call.roomId, roomIdType: call.roomIdType };
}

type OwnLine = { kind: 'ours'; acquired: true; alreadyOurs: boolean } | { kind: 'other'; acquired: false; heldBy: string };

/**
 * Takes the caller's own line, counting the call against her calls-per-minute limit; a line held by
 * a call that has ended is stale and taken over.
 */
async function takeOwnLine(deps: Deps, who: Speaker, callId: string, stamp: number, callsPerMinute: number): Promise<OwnLine> {
  const attempt = await takeLine(deps, who.sdkAppId, who.userId, callId, stamp, { callsPerMinute });
  if (attempt.acquired) return { kind: 'ours', acquired: true, alreadyOurs: attempt.alreadyOurs };
  if ('limitedForMs' in attempt) {
    deps.metrics.count('CallsRateLimited');
    throw new RateLimitedError(`calls: at most ${callsPerMinute} calls per minute per user; retry in ${Math.ceil(attempt.limitedForMs / 1000)} s`);
  }
  return { kind: 'other', acquired: false, heldBy: attempt.heldBy };
}

/**
 * The caller's line is held by another call: a replay of this very request, glare (the callee is
 * calling us right now: accept her call instead, ws-protocol.md "Glare"), or a refusal. A merge is
 * noted at this request's call id, so a retry after the merged call ended still finds its answer.
 */
async function answerHeldCall(deps: Deps, who: Speaker, device: DeviceRef, heldBy: string, req: CallsRequest, ids: { callId: string; requestKey: string }): Promise<CallsAnswer> {
  const { requestKey } = ids;
  const held = await deps.calls.getCall(who.sdkAppId, heldBy);
  const replay = held?.requests[requestKey];
  if (held && replay?.action === 'calls') {
    await redoEffects(deps, held, requestKey);
    await deps.calls.markMerged(who.sdkAppId, ids.callId, heldBy, deps.clock.now());
    return replay.data as CallsAnswer;
  }
  const call = held?.call;
  const me = call?.members.find((m) => m.userId === who.userId);
  const glare = call?.callType === 'SingleCall' && req.userIdList.length === 1 && call.callerId === req.userIdList[0] && me?.state === 'ringing';
  if (!call || !glare) throw new RefusedInStateError(`calls: you are already in call ${heldBy}; hang up first`);
  const answer = (c: typeof call): CallsAnswer => ({ callId: c.callId, roomId: c.roomId, roomIdType: c.roomIdType, merged: true });
  const merged = (await runCallCommand(deps, who.sdkAppId, heldBy, () => ({ type: 'accept', now: deps.clock.now(), userId: who.userId, device }), {
    key: () => requestKey,
    action: 'calls',
    answer,
  })) as CallsAnswer;
  await deps.calls.markMerged(who.sdkAppId, ids.callId, heldBy, deps.clock.now());
  return merged;
}

/**
 * A repeated `calls` whose call exists: the first answer again, and the creation's effects again in
 * case its handler died before finishing them; or, when it was merged into the callee's call (glare),
 * that first answer. `undefined` when no call was placed for it.
 */
async function replayIfPlaced(deps: Deps, sdkAppId: number, callId: string, requestKey: string): Promise<CallsAnswer | undefined> {
  const stored = await deps.calls.getPlaced(sdkAppId, callId);
  if (!stored) return undefined;
  if ('mergedInto' in stored) {
    const into = await deps.calls.getCall(sdkAppId, stored.mergedInto);
    const replay = into?.requests[requestKey];
    if (!into || replay?.action !== 'calls') return undefined;
    await redoEffects(deps, into, requestKey);
    return replay.data as CallsAnswer;
  }
  await redoEffects(deps, stored, requestKey);
  return { callId, roomId: stored.call.roomId, roomIdType: stored.call.roomIdType };
}

/** Checks the ring timeout against the configured range (0 or absent → the default). */
export function ringTimeoutSec(deps: Pick<Deps, 'timing'>, timeout: number | undefined): number {
  const { minRingTimeoutSec: min, maxRingTimeoutSec: max, defaultRingTimeoutSec } = deps.timing;
  if (timeout === undefined || timeout === 0) return defaultRingTimeoutSec;
  if (!Number.isFinite(timeout) || timeout < min || timeout > max) {
    throw new InvalidParameterError(`params.timeout must be 0 (default ${defaultRingTimeoutSec} s) or between ${min} and ${max} seconds, got ${timeout}`);
  }
  return timeout;
}
