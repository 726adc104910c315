import type { LineAttempt, LineLimited } from '../ports/store.ts';
import type { Deps } from './deps.ts';

/**
 * Takes a user's line, taking over a stale one (its call ended or vanished without freeing it).
 * With `callsPerMinute` (the caller's own line), the call counts against her limit.
 */
export async function takeLine(deps: Deps, sdkAppId: number, userId: string, callId: string, now: number): Promise<LineAttempt>;
export async function takeLine(deps: Deps, sdkAppId: number, userId: string, callId: string, now: number, callsPerMinute: number): Promise<LineAttempt | LineLimited>;
export async function takeLine(deps: Deps, sdkAppId: number, userId: string, callId: string, now: number, callsPerMinute?: number): Promise<LineAttempt | LineLimited> {
  const acquire = (stale?: string) =>
    callsPerMinute === undefined ? deps.users.acquireLine(sdkAppId, userId, callId, now, stale) : deps.users.acquireLine(sdkAppId, userId, callId, now, stale, callsPerMinute);
  const attempt = await acquire();
  if (attempt.acquired || !('heldBy' in attempt)) return attempt;
  const holder = await deps.calls.getCall(sdkAppId, attempt.heldBy);
  const live = holder?.call.members.some((m) => m.userId === userId && (m.state === 'ringing' || m.state === 'joined'));
  if (holder?.call.status !== 'ended' && live) return attempt;
  return acquire(attempt.heldBy);
}

/** Frees the lines a failed request took (never those its call already held). */
export async function releaseTaken(deps: Deps, sdkAppId: number, callId: string, taken: Iterable<string>): Promise<void> {
  await Promise.all([...taken].map((userId) => deps.users.releaseLine(sdkAppId, userId, callId)));
}
