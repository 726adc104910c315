import type { CallbackPolicy, Timing } from '../config.ts';
import type { DeadLetters } from '../ports/dead-letters.ts';
import type { Metrics } from '../ports/metrics.ts';
import type { Clock, Ids } from '../ports/clock.ts';
import type { Connections } from '../ports/connections.ts';
import type { Queue } from '../ports/queue.ts';
import type { Once } from '../ports/once.ts';
import type { CallbackConfigStore, RateLimiter } from '../ports/admin.ts';
import type { AppStore, CallStore, RecordStore, UserStore } from '../ports/store.ts';

/** The little a use case needs from a logger (Powertools Logger satisfies it). */
export interface Log {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
  /** Keys added to every later line of this invocation (Powertools Logger has it). */
  appendKeys?(keys: Record<string, unknown>): void;
  /** Drops the keys appended for the previous invocation. */
  resetKeys?(): void;
}

/** Everything the use cases touch, behind ports; built once per process by `wire()`. */
export interface Deps {
  apps: AppStore;
  calls: CallStore;
  users: UserStore;
  records: RecordStore;
  connections: Connections;
  timers: Queue;
  /** Callbacks on their way to app servers (SQS; the worker retries by re-enqueueing with a delay). */
  callbacks: Queue;
  deadLetters: DeadLetters;
  /** Work done at most once per key across instances (callback deliveries). */
  once: Once;
  callbackPolicy: CallbackPolicy;
  metrics: Metrics;
  rateLimiter: RateLimiter;
  callbackConfigs: CallbackConfigStore;
  clock: Clock;
  ids: Ids;
  timing: Timing;
  log: Log;
}

/** The authenticated speaker of a WebSocket frame (from the authorizer context). */
export interface Speaker {
  sdkAppId: number;
  userId: string;
  loginId: string;
  connectionId: string;
  ip: string;
  credentialExpiresAt: number;
}
