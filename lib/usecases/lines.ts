import type { Member } from '../calls/types.ts';
import type { LineAttempt, LineLimited } from '../ports/store.ts';
import type { Deps } from './deps.ts';

/** How long a line may be held for a call that does not exist yet before it counts as stale (its `calls` died). */
export const LINE_CREATION_GRACE_MS = 30_000;

/**
 * Takes a user's line, taking over a stale one (its call ended or vanished without freeing it).
 * `stamp` is the request's time made unique (`deps.ids.lineStamp`): the line's `since`, and the
 * `lineSince` of the member the request makes of her. With `callsPerMinute` (the caller's own
 * line), the call counts against her limit.
 */
export async function takeLine(deps: Deps, sdkAppId: number, userId: string, callId: string, stamp: number, options?: { freshSince?: boolean }): Promise<LineAttempt>;
export async function takeLine(deps: Deps, sdkAppId: number, userId: string, callId: string, stamp: number, options: { callsPerMinute: number }): Promise<LineAttempt | LineLimited>;
export async function takeLine(deps: Deps, sdkAppId: number, userId: string, callId: string, stamp: number, options: { freshSince?: boolean; callsPerMinute?: number } = {}): Promise<LineAttempt | LineLimited> {
  const { callsPerMinute, freshSince } = options;
  const acquire = (stale?: { callId: string; since: number }) =>
    callsPerMinute === undefined
      ? deps.users.acquireLine(sdkAppId, userId, callId, stamp, { ...(stale ? { stale } : {}), ...(freshSince ? { freshSince } : {}) })
      : deps.users.acquireLine(sdkAppId, userId, callId, stamp, { ...(stale ? { stale } : {}), callsPerMinute });
  const attempt = await acquire();
  if (attempt.acquired || !('heldBy' in attempt)) return attempt;
  const holder = await deps.calls.getCall(sdkAppId, attempt.heldBy);
  const young = stamp - attempt.since < LINE_CREATION_GRACE_MS;
  // A `calls` takes lines before it creates its call: a young line without a call is being placed.
  if (!holder && young) return attempt;
  if (holder && holder.call.status !== 'ended') {
    const member = holder.call.members.find((m) => m.userId === userId);
    if (member && (member.state === 'ringing' || member.state === 'joined')) return attempt;
    // Stamped by a request of the live call that has not saved her part yet (inviteUser, join): not stale while young.
    if (member?.lineSince !== attempt.since && young) return attempt;
  }
  return acquire({ callId: attempt.heldBy, since: attempt.since });
}

/**
 * Whether a request that took a user's line for a call must free it if it fails (`releaseTaken`):
 * a line it found free, or one the call held for a part of hers that has ended but not freed it yet
 * (its own release no longer matches the new stamp). Not a line she holds for the call now, nor one
 * the call held with the stamp of another request still running (an `inviteUser` or `join` not saved
 * yet): freeing that one could leave her in the call without her line when that request saves.
 */
export function lineToFreeOnFailure(line: LineAttempt, member: Member | undefined): boolean {
  if (!line.acquired) return false;
  if (!line.alreadyOurs) return true;
  if (member?.state === 'ringing' || member?.state === 'joined') return false;
  return line.previousSince === undefined || line.previousSince === member?.lineSince;
}

/**
 * Frees the lines a failed request took (`taken`: user → the `since` it stamped). Another request on
 * the same call may have used the same line meanwhile (it found it held for the call): a user who is
 * ringing or connected in the call keeps hers, re-stamped with her part's `since`; a line another
 * request stamped since is left to it; one who became live while her line was being freed gets it back.
 */
export async function releaseTaken(deps: Deps, sdkAppId: number, callId: string, taken: ReadonlyMap<string, number>): Promise<void> {
  if (taken.size === 0) return;
  const partOf = async () => {
    const stored = await deps.calls.getCall(sdkAppId, callId);
    const live = stored?.call.status === 'ended' ? [] : (stored?.call.members ?? []).filter((m) => m.state === 'ringing' || m.state === 'joined');
    return (userId: string) => live.find((m) => m.userId === userId)?.lineSince;
  };
  const restamp = (userId: string, since: number) => deps.users.acquireLine(sdkAppId, userId, callId, since, { freshSince: true });
  const before = await partOf();
  await Promise.all(
    [...taken].map(([userId, stamp]) => {
      const since = before(userId);
      return since === undefined ? deps.users.releaseLine(sdkAppId, userId, callId, stamp) : restamp(userId, since);
    }),
  );
  const after = await partOf();
  await Promise.all(
    [...taken.keys()].map((userId) => {
      const since = after(userId);
      return before(userId) === undefined && since !== undefined ? restamp(userId, since) : undefined;
    }),
  );
}
