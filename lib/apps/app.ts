/** An application (tenant): its credentials and the settings DESIGN.md lists. Lives in the table. */
export interface App {
  sdkAppId: number;
  name: string;
  /** HMAC keys for UserSigs and HS256 JWTs; two may be active while rotating, the first signs. */
  secretKeys: string[];
  /** Signs the callbacks sent to the app server (`X-CallSignal-Signature`); shown and rotated by the CLI. */
  callbackSecret: string;
  /** PEM public keys accepted for RS256 JWTs. */
  jwtPublicKeys: string[];
  /** Admin identifiers allowed to call the REST API (at most 10; `administrator` always stays). */
  admins: string[];
  loginPolicy: 'multi' | 'single';
  maxDevicesPerPlatform: number;
  groupJoinPolicy: 'open' | 'invited';
  recordRetentionDays: number;
  /** Overrides every REST endpoint's documented rate (requests per second for this app), e.g. for a bigger plan. */
  restRatePerSec?: number;
  /** Abuse limit: `calls` a user may place per minute (counted on her line item, across all instances). */
  callsPerMinute: number;
  /** Abuse limit: frames a WebSocket connection may send per second (a token bucket of twice this size). */
  wsFramesPerSec: number;
  /** A connection whose frames were refused this many times within 10 s is closed. */
  wsRefusalsBeforeClose: number;
  createdAt: number;
}

/** Defaults for a new app (DESIGN.md "Configuration"). */
export const APP_DEFAULTS = {
  admins: ['administrator'],
  loginPolicy: 'multi',
  maxDevicesPerPlatform: 4,
  groupJoinPolicy: 'open',
  recordRetentionDays: 90,
  jwtPublicKeys: [],
  callsPerMinute: 30,
  wsFramesPerSec: 20,
  wsRefusalsBeforeClose: 50,
} as const satisfies Partial<App>;

/** Builds a complete app from the required fields and the defaults. */
export function newApp(input: { sdkAppId: number; name: string; secretKey: string; callbackSecret: string; now: number }): App {
  return {
    sdkAppId: input.sdkAppId,
    name: input.name,
    secretKeys: [input.secretKey],
    callbackSecret: input.callbackSecret,
    jwtPublicKeys: [...APP_DEFAULTS.jwtPublicKeys],
    admins: [...APP_DEFAULTS.admins],
    loginPolicy: APP_DEFAULTS.loginPolicy,
    maxDevicesPerPlatform: APP_DEFAULTS.maxDevicesPerPlatform,
    groupJoinPolicy: APP_DEFAULTS.groupJoinPolicy,
    recordRetentionDays: APP_DEFAULTS.recordRetentionDays,
    callsPerMinute: APP_DEFAULTS.callsPerMinute,
    wsFramesPerSec: APP_DEFAULTS.wsFramesPerSec,
    wsRefusalsBeforeClose: APP_DEFAULTS.wsRefusalsBeforeClose,
    createdAt: input.now,
  };
}
