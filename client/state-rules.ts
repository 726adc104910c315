/**
 * Which call-control method is allowed in which client call state (client-api.md §3, extended to
 * `calls`/`join`/`ignore`/`switchCallMediaType` as DESIGN.md says). The engine refuses a method
 * outside its row with ERROR_REQUEST_REFUSED (-1203) before anything is sent.
 */

import type { EngineStatus, RoleName } from './enums.ts';
import { CallEngineError, ErrorCode } from './errors.ts';

/** The methods the state table governs. */
export type CallControlMethod = 'calls' | 'join' | 'accept' | 'reject' | 'ignore' | 'hangup' | 'inviteUser' | 'switchCallMediaType';

/** The states each method is allowed in; `callee` rows also need this device to be the invited side. */
export const STATE_TABLE: Readonly<Record<CallControlMethod, { states: readonly EngineStatus[]; callee?: true }>> = {
  calls: { states: ['idle'] },
  join: { states: ['idle'] },
  accept: { states: ['calling'], callee: true },
  reject: { states: ['calling'], callee: true },
  ignore: { states: ['calling'], callee: true },
  hangup: { states: ['calling', 'connected'] },
  inviteUser: { states: ['calling', 'connected'] },
  switchCallMediaType: { states: ['connected'] },
};

/** True when `method` may run in `status` with this device's `role` in the current call. */
export function isAllowed(method: CallControlMethod, status: EngineStatus, role: RoleName | undefined): boolean {
  const row = STATE_TABLE[method];
  if (!row.states.includes(status)) return false;
  return !row.callee || role === 'Called';
}

/** Throws the documented -1203 refusal when `method` is not allowed now. */
export function assertAllowed(method: CallControlMethod, status: EngineStatus, role: RoleName | undefined): void {
  if (isAllowed(method, status, role)) return;
  const where = status === 'calling' && STATE_TABLE[method].callee ? 'calling as the caller' : status;
  throw new CallEngineError(ErrorCode.ERROR_REQUEST_REFUSED, `${method}: this API cannot be used in the current call state (${where})`, { action: method });
}

/**
 * The engine's gate in front of its methods: the state table, the login check, and one running
 * request per method (a second call while the first waits fails with -1204).
 */
export class MethodGate {
  private readonly running = new Set<string>();

  /** Not logged in → -1201; outside its row of the state table → -1203; nothing is sent in either case. */
  check(method: CallControlMethod, loggedIn: boolean, status: EngineStatus, role: RoleName | undefined): void {
    if (!loggedIn) {
      throw new CallEngineError(ErrorCode.ERROR_INIT_FAIL, `${method}: not logged in (call login first and wait for it)`, { action: method });
    }
    assertAllowed(method, status, role);
    // A `calls` or `join` still waiting for its answer already leaves idle in all but name.
    const other = method === 'calls' ? 'join' : method === 'join' ? 'calls' : undefined;
    if (other && this.running.has(other)) {
      throw new CallEngineError(ErrorCode.ERROR_REQUEST_REFUSED, `${method}: a ${other} is still running`, { action: method });
    }
  }

  /** Runs `run` unless `action` is already running (then -1204). */
  async exclusive<T>(action: string, run: () => Promise<T>): Promise<T> {
    if (this.running.has(action)) {
      throw new CallEngineError(ErrorCode.ERROR_REQUEST_REPEATED, `${action} is already running`, { action });
    }
    this.running.add(action);
    try {
      return await run();
    } finally {
      this.running.delete(action);
    }
  }
}
