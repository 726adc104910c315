import { CallEndedError, InvalidParameterError, RefusedInStateError } from '../calls/errors.ts';
import type { MediaType } from '../calls/types.ts';
import { runDeviceRequest } from './call-actions.ts';
import type { Deps, Speaker } from './deps.ts';
import { UnknownUserError } from './errors.ts';
import { lineToFreeOnFailure, releaseTaken, takeLine } from './lines.ts';
import { ringTargets } from './start-call.ts';

const ended = (action: string, callId: string) => () => new CallEndedError(action, callId);

/** Runs a request that may take users' lines, freeing the ones it took if it is refused. */
async function withLines<T>(deps: Deps, who: Speaker, callId: string, work: (taken: Map<string, number>) => Promise<T>): Promise<T> {
  const taken = new Map<string, number>();
  try {
    return await work(taken);
  } catch (err) {
    await releaseTaken(deps, who.sdkAppId, callId, taken);
    throw err;
  }
}

/**
 * `inviteUser`: a member in a group call invites more users. They must have logged in once (8021);
 * their lines are taken like at `calls` (a user in another call is busy); the 9-member limit holds.
 */
export async function inviteUsers(deps: Deps, who: Speaker, input: { callId: string; userIdList: string[]; timeoutSec: number }, requestId: string) {
  if (input.userIdList.includes(who.userId)) throw new InvalidParameterError('inviteUser: you cannot invite yourself');
  const views = await Promise.all(input.userIdList.map((u) => deps.users.getUser(who.sdkAppId, u)));
  return withLines(deps, who, input.callId, (taken) =>
    runDeviceRequest(deps, who, {
      callId: input.callId,
      action: 'inviteUser',
      requestId,
      missing: ended('inviteUser', input.callId),
      answer: () => ({ callId: input.callId }),
      command: async (stored, base) => {
        // Checked here, not before: a retry of a request that succeeded replays it even if an invitee's account is gone since.
        views.forEach((v, i) => {
          if (!v.profile) throw new UnknownUserError(input.userIdList[i] ?? '');
        });
        const inCall = (u: string) => stored.call.members.some((m) => m.userId === u && (m.state === 'ringing' || m.state === 'joined'));
        const stamp = deps.ids.lineStamp(base.now);
        const lines = await Promise.all(input.userIdList.map((u) => takeLine(deps, who.sdkAppId, u, input.callId, stamp, { freshSince: !inCall(u) })));
        input.userIdList.forEach((u, i) => {
          const line = lines[i];
          if (line && lineToFreeOnFailure(line, stored.call.members.find((m) => m.userId === u))) taken.set(u, stamp);
        });
        const invitees = input.userIdList.map((userId, i) => ({
          userId,
          ringTargets: ringTargets(views[i] ?? { devices: [] }, base.now, deps.timing.heartbeatTimeoutSec),
          busy: !lines[i]?.acquired,
        }));
        return { type: 'invite', ...base, invitees, timeoutSec: input.timeoutSec, lineSince: stamp };
      },
    }),
  );
}

/** `join`: enter a live group call by its id, under the app's `groupJoinPolicy`; her line is taken for it. */
export async function joinCall(deps: Deps, who: Speaker, input: { callId: string }, requestId: string) {
  const app = await deps.apps.getApp(who.sdkAppId);
  return withLines(deps, who, input.callId, (taken) =>
    runDeviceRequest(deps, who, {
      callId: input.callId,
      action: 'join',
      requestId,
      missing: ended('join', input.callId),
      answer: (call) => ({ callId: call.callId, roomId: call.roomId, roomIdType: call.roomIdType, mediaType: call.mediaType }),
      command: async (stored, base) => {
        const stamp = deps.ids.lineStamp(base.now);
        if (stored.call.status !== 'ended') {
          const inCall = stored.call.members.some((m) => m.userId === who.userId && (m.state === 'ringing' || m.state === 'joined'));
          const line = await takeLine(deps, who.sdkAppId, who.userId, input.callId, stamp, { freshSince: !inCall });
          if (!line.acquired) throw new RefusedInStateError(`join: you are already in call ${line.heldBy}; hang up first`);
          if (lineToFreeOnFailure(line, stored.call.members.find((m) => m.userId === who.userId))) taken.set(who.userId, stamp);
        }
        return { type: 'join', ...base, invitedOnly: app?.groupJoinPolicy === 'invited', lineSince: stamp };
      },
    }),
  );
}

/** `switchCallMediaType`: a connected member switches the call between audio and video. */
export function switchMediaType(deps: Deps, who: Speaker, input: { callId: string; mediaType: MediaType }, requestId: string) {
  return runDeviceRequest(deps, who, {
    callId: input.callId,
    action: 'switchCallMediaType',
    requestId,
    missing: ended('switchCallMediaType', input.callId),
    command: (_stored, base) => ({ type: 'switchMedia', ...base, mediaType: input.mediaType }),
  });
}
