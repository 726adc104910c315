/**
 * Service configuration, read and checked once (at cold start on Lambda, at start locally).
 * Timing values have the documented defaults; tests lower them without changing behaviour.
 */
export interface Timing {
  /** Shortest ring timeout a client may ask for (documented 10 s). */
  minRingTimeoutSec: number;
  maxRingTimeoutSec: number;
  /** Used when `timeout` is absent or 0. */
  defaultRingTimeoutSec: number;
  heartbeatIntervalSec: number;
  heartbeatTimeoutSec: number;
  disconnectGraceSec: number;
  sweeperPeriodSec: number;
  /** How long after a call ended the sweeper checks that its record was written (and finishes it if not). */
  settleCheckSec: number;
}

export const DEFAULT_TIMING: Timing = {
  minRingTimeoutSec: 10,
  maxRingTimeoutSec: 600,
  defaultRingTimeoutSec: 30,
  heartbeatIntervalSec: 30,
  heartbeatTimeoutSec: 90,
  disconnectGraceSec: 15,
  sweeperPeriodSec: 60,
  settleCheckSec: 60,
};

/** How callbacks are delivered (DESIGN.md: retries, SSRF rule); tests lower the retry scale. */
export interface CallbackPolicy {
  /** Loopback callback URLs are allowed (the local runtime's default). */
  allowLoopback: boolean;
  /** Host names trusted without the private-address check. */
  allowedHosts: string[];
  /** Multiplies the retry delays (1 in production). */
  retryScale: number;
  /** Each attempt's timeout. */
  timeoutMs: number;
}

export const DEFAULT_CALLBACK_POLICY: CallbackPolicy = { allowLoopback: false, allowedHosts: [], retryScale: 1, timeoutMs: 3000 };

/** Reads the callback delivery settings from the environment. */
export function callbackPolicyFromEnv(env: Record<string, string | undefined>): CallbackPolicy {
  const scale = env.CALLBACK_RETRY_SCALE === undefined ? 1 : Number(env.CALLBACK_RETRY_SCALE);
  if (!Number.isFinite(scale) || scale < 0) throw new ConfigError(`CALLBACK_RETRY_SCALE must be a non-negative number, got "${env.CALLBACK_RETRY_SCALE}"`);
  return {
    allowLoopback: env.CALLBACK_ALLOW_LOOPBACK === 'true',
    allowedHosts: (env.CALLBACK_ALLOWED_HOSTS ?? '').split(',').map((h) => h.trim()).filter(Boolean),
    retryScale: scale,
    timeoutMs: DEFAULT_CALLBACK_POLICY.timeoutMs,
  };
}

export interface Config {
  tableName: string;
  region?: string;
  /** DynamoDB endpoint override (the local runtime's dynalite). */
  dynamoEndpoint?: string;
  /** The WebSocket API's management endpoint (`https://{api}.execute-api.{region}.amazonaws.com/{stage}`). */
  wsManagementEndpoint: string;
  timersQueueUrl?: string;
  callbacksQueueUrl?: string;
  callbacksDlqUrl?: string;
  callbackPolicy: CallbackPolicy;
  timing: Timing;
  logLevel: string;
}

/** Raised at start when the environment is incomplete or wrong; names the variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const TIMING_ENV: Record<keyof Timing, string> = {
  minRingTimeoutSec: 'MIN_RING_TIMEOUT_SEC',
  maxRingTimeoutSec: 'MAX_RING_TIMEOUT_SEC',
  defaultRingTimeoutSec: 'DEFAULT_RING_TIMEOUT_SEC',
  heartbeatIntervalSec: 'HEARTBEAT_INTERVAL_SEC',
  heartbeatTimeoutSec: 'HEARTBEAT_TIMEOUT_SEC',
  disconnectGraceSec: 'DISCONNECT_GRACE_SEC',
  sweeperPeriodSec: 'SWEEPER_PERIOD_SEC',
  settleCheckSec: 'SETTLE_CHECK_SEC',
};

/** Reads the timing settings from the environment, defaults for what is absent. */
export function timingFromEnv(env: Record<string, string | undefined>): Timing {
  const timing = { ...DEFAULT_TIMING };
  for (const [key, name] of Object.entries(TIMING_ENV) as [keyof Timing, string][]) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) throw new ConfigError(`${name} must be a positive number of seconds, got "${raw}"`);
    timing[key] = value;
  }
  if (timing.minRingTimeoutSec > timing.maxRingTimeoutSec) throw new ConfigError('MIN_RING_TIMEOUT_SEC must not exceed MAX_RING_TIMEOUT_SEC');
  return timing;
}

function required(env: Record<string, string | undefined>, name: string): string {
  const value = env[name];
  if (!value) throw new ConfigError(`environment variable ${name} is required`);
  return value;
}

/** The Lambda functions' configuration from their environment. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  return {
    tableName: required(env, 'TABLE_NAME'),
    wsManagementEndpoint: required(env, 'WS_MANAGEMENT_ENDPOINT'),
    timing: timingFromEnv(env),
    callbackPolicy: callbackPolicyFromEnv(env),
    logLevel: env.LOG_LEVEL ?? 'INFO',
    ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
    ...(env.DYNAMODB_ENDPOINT ? { dynamoEndpoint: env.DYNAMODB_ENDPOINT } : {}),
    ...(env.TIMERS_QUEUE_URL ? { timersQueueUrl: env.TIMERS_QUEUE_URL } : {}),
    ...(env.CALLBACKS_QUEUE_URL ? { callbacksQueueUrl: env.CALLBACKS_QUEUE_URL } : {}),
    ...(env.CALLBACKS_DLQ_URL ? { callbacksDlqUrl: env.CALLBACKS_DLQ_URL } : {}),
  };
}
