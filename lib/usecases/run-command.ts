import { applyCommand } from '../calls/machine.ts';
import { type CallRuleError, InvitationHandledError } from '../calls/errors.ts';
import { nextDeadline } from '../calls/timeout.ts';
import type { CallCommand } from '../calls/commands.ts';
import type { Call } from '../calls/types.ts';
import { VersionConflictError, type OutboxEntry, type StoredCall } from '../ports/store.ts';
import type { Timing } from '../config.ts';
import type { Deps } from './deps.ts';
import { ContentionError } from './errors.ts';
import { executeEffects, outboxEntryOf } from './execute-effects.ts';

const MAX_ATTEMPTS = 8;

/** A client request whose successful answer is stored on the call, so a repeat replays it. */
export interface ReplayableRequest {
  /** The replay key (it names the acting device, which may take the stored call to find). */
  key: (stored: StoredCall) => string | Promise<string>;
  action: string;
  answer: (call: Call) => Record<string, unknown>;
  /**
   * Keep the answer only when the request changed the call. For triggers that come again at their
   * own time (timer messages): one that came early and found nothing due must still act when due.
   */
  onlyChanges?: true;
  /**
   * After replaying, still apply the command as a new look (no answer kept): a ring timer SQS
   * delivers again, late, must end the invitations whose deadlines have passed since.
   */
  actOnReplay?: true;
}

/**
 * When the sweeper must look at a call next. A live call: its earliest ring deadline, and at the
 * latest one heartbeat timeout from now, to check that its connected members' devices are still
 * alive. An ended call: once, `settleCheckSec` after its end, to check its record was written (a
 * handler that died after the ending write is finished by the sweeper, `settleEndedCall`).
 */
export function sweepAtOf(call: Call, now: number, timing: Timing): number | undefined {
  if (call.status === 'ended') return (call.endedAt ?? now) + timing.settleCheckSec * 1000;
  return Math.min(nextDeadline(call) ?? Infinity, call.livenessCheckAt ?? now + timing.heartbeatTimeoutSec * 1000);
}

/**
 * The next liveness check after a transition: never later than one already due (so a change of the
 * call cannot postpone the check of a member who went silent), and at the latest one heartbeat
 * timeout from now (a member who just joined showed she was alive).
 */
export function scheduleLiveness(call: Call, before: Call | undefined, now: number, timing: Timing): Call {
  if (call.status === 'ended' || !call.members.some((m) => m.state === 'joined')) {
    const { livenessCheckAt: _, ...rest } = call;
    return rest;
  }
  return { ...call, livenessCheckAt: Math.min(before?.livenessCheckAt ?? Infinity, now + timing.heartbeatTimeoutSec * 1000) };
}

/** How many transitions' effects a call item keeps for retries (the latest ones). */
export const OUTBOX_ENTRIES = 4;

/** The outbox after a transition: its entry added, the oldest dropped beyond `OUTBOX_ENTRIES`. */
export const nextOutbox = (outbox: readonly OutboxEntry[], entry: OutboxEntry): OutboxEntry[] => [...outbox, entry].slice(-OUTBOX_ENTRIES);

/**
 * A request came again after its transition was stored: its handler may have died before it
 * finished the effects, so they are carried out again. Each is safe to repeat: lines are freed
 * only by their call, the record is written once, callbacks are delivered once per event (the
 * worker's `once`), timers that find nothing due do nothing, clients drop events by `seq`.
 */
export async function redoEffects(deps: Deps, stored: StoredCall, key: string): Promise<void> {
  const entry = stored.outbox.find((e) => e.key === key);
  if (!entry) return;
  deps.metrics.count('EffectsRedone');
  // A line freed by that transition may have been taken again for this very call since (she was
  // invited back): only the lines of users who are not in the call now are freed again.
  const live = new Set(stored.call.members.filter((m) => m.state === 'ringing' || m.state === 'joined').map((m) => m.userId));
  const effects = entry.effects.filter((e) => e.kind !== 'releaseLine' || !live.has(e.userId));
  await executeEffects(deps, stored.call, { effects, callbacks: entry.callbacks });
}

const backoff = (attempt: number) => new Promise((r) => setTimeout(r, Math.random() * 5 * 2 ** attempt));

/**
 * Loads a call, applies one command and stores the result with a conditional write on its
 * version; on a conflict it reloads and re-applies (bounded, with jitter). Effects run only after
 * the write won, so concurrent accepts produce exactly one winner.
 */
export async function runCallCommand(
  deps: Deps,
  sdkAppId: number,
  callId: string,
  /** Builds the command from the stored call; `undefined` means there is nothing to do. */
  build: (stored: StoredCall) => CallCommand | undefined | Promise<CallCommand | undefined>,
  request?: ReplayableRequest,
  /** The refusal when the call does not exist (8010 for invitations, 101004 for calls as a whole). */
  missing: () => CallRuleError = () => new InvitationHandledError(`call ${callId} does not exist or has ended`),
): Promise<Record<string, unknown>> {
  let lastConflict: unknown;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const stored = await deps.calls.getCall(sdkAppId, callId);
    if (!stored) throw missing();
    let key = await request?.key(stored);
    const replay = key === undefined ? undefined : stored.requests[key];
    if (replay && replay.action === request?.action && key !== undefined) {
      await redoEffects(deps, stored, key);
      if (!request?.actOnReplay) return replay.data;
      key = undefined;
    }
    const cmd = await build(stored);
    if (cmd === undefined) return {};
    const applied = applyCommand(stored.call, cmd);
    const { effects } = applied;
    const unchanged = effects.length === 0 && JSON.stringify(applied.call) === JSON.stringify(stored.call);
    const call = unchanged ? applied.call : scheduleLiveness(applied.call, stored.call, deps.clock.now(), deps.timing);
    const answer = request?.answer(call) ?? {};
    // A request that changed nothing still keeps its answer, so its retry gets the same one.
    if (unchanged && (key === undefined || request?.onlyChanges)) return answer;
    const outboxEntry = await outboxEntryOf(deps, call, key ?? `v${stored.version + 1}`, effects);
    try {
      const entry = request && key !== undefined ? { key, answer: { action: request.action, data: answer } } : undefined;
      const outbox = unchanged ? undefined : nextOutbox(stored.outbox, outboxEntry);
      await deps.calls.saveCall(call, stored.version, sweepAtOf(call, deps.clock.now(), deps.timing), entry, outbox);
    } catch (err) {
      if (!(err instanceof VersionConflictError)) throw err;
      lastConflict = err;
      await backoff(attempt);
      continue;
    }
    await executeEffects(deps, call, outboxEntry);
    return answer;
  }
  throw new ContentionError(callId, { cause: lastConflict });
}
