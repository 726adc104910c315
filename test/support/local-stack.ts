import { afterAll, beforeAll } from 'vitest';
import { newApp, type App } from '../../lib/apps/app.ts';
import { genUserSig } from '../../lib/auth/usersig.ts';
import { startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '../../lib/local/runtime.ts';

/** Timing lowered for tests: 1 s minimum ring timeout, fast heartbeats; behaviour is otherwise the documented one. */
export const TEST_TIMING = { minRingTimeoutSec: 1, heartbeatIntervalSec: 1, heartbeatTimeoutSec: 30, disconnectGraceSec: 1, sweeperPeriodSec: 3600 };

/** Starts a whole local stack on free ports (its sweeper tick effectively off: tests call `sweepNow`). */
export function startTestStack(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  return startLocalRuntime({ httpPort: 0, wsPort: 0, dynamoPort: 0, logLevel: 'ERROR', timing: TEST_TIMING, ...options });
}

/** A UserSig for a user of the stack's demo app (or of another app of the stack). */
export function sigFor(rt: LocalRuntime, userId: string, expireSec = 3600, app: App = rt.demoApp): string {
  return genUserSig({ sdkAppId: app.sdkAppId, userId, key: app.secretKeys[0] ?? '', expireSec });
}

let nextAppId = 1_500_000_000;
/** Creates another app in the stack with some settings (tests of per-app policies use their own app). */
export async function createApp(rt: LocalRuntime, settings: Partial<App> = {}): Promise<App> {
  nextAppId += 1;
  const app = { ...newApp({ sdkAppId: nextAppId, name: `test app ${nextAppId}`, secretKey: `secret-${nextAppId}`, callbackSecret: `callback-secret-${nextAppId}`, now: Date.now() }), ...settings };
  await rt.deps.apps.createApp(app);
  return app;
}

/** The WebSocket URL a user connects to. */
export function wsUrlFor(rt: LocalRuntime, userId: string, credential: { usersig?: string; token?: string; sdkAppId?: number } = {}): string {
  const q = new URLSearchParams({ sdkappid: String(credential.sdkAppId ?? rt.demoApp.sdkAppId), userid: userId });
  if (credential.token) q.set('token', credential.token);
  else q.set('usersig', credential.usersig ?? sigFor(rt, userId));
  return `${rt.wsUrl}/?${q}`;
}

/** The WebSocket URL of a user of a given app of the stack. */
export function urlIn(rt: LocalRuntime, app: App, userId: string): string {
  return wsUrlFor(rt, userId, { sdkAppId: app.sdkAppId, usersig: sigFor(rt, userId, 3600, app) });
}

/** Starts a local stack before a test file's tests and stops it after them; `ready` receives it. */
export function useTestStack(ready: (rt: LocalRuntime) => void, options: LocalRuntimeOptions = {}): void {
  let started: LocalRuntime | undefined;
  beforeAll(async () => {
    started = await startTestStack(options);
    ready(started);
  });
  afterAll(async () => {
    await started?.close();
  });
}
