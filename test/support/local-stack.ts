import { genUserSig } from '../../lib/auth/usersig.ts';
import { startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '../../lib/local/runtime.ts';

/** Timing lowered for tests: 1 s minimum ring timeout, fast heartbeats; behaviour is otherwise the documented one. */
export const TEST_TIMING = { minRingTimeoutSec: 1, heartbeatIntervalSec: 1, heartbeatTimeoutSec: 3, disconnectGraceSec: 1, sweeperPeriodSec: 3600 };

/** Starts a whole local stack on free ports (its sweeper tick effectively off: tests call `sweepNow`). */
export function startTestStack(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  return startLocalRuntime({ httpPort: 0, wsPort: 0, dynamoPort: 0, logLevel: 'ERROR', timing: TEST_TIMING, ...options });
}

/** A UserSig for a user of the stack's demo app. */
export function sigFor(rt: LocalRuntime, userId: string, expireSec = 3600): string {
  return genUserSig({ sdkAppId: rt.demoApp.sdkAppId, userId, key: rt.demoApp.secretKeys[0] ?? '', expireSec });
}

/** The WebSocket URL a user connects to. */
export function wsUrlFor(rt: LocalRuntime, userId: string, credential: { usersig?: string; token?: string; sdkAppId?: number } = {}): string {
  const q = new URLSearchParams({ sdkappid: String(credential.sdkAppId ?? rt.demoApp.sdkAppId), userid: userId });
  if (credential.token) q.set('token', credential.token);
  else q.set('usersig', credential.usersig ?? sigFor(rt, userId));
  return `${rt.wsUrl}/?${q}`;
}
