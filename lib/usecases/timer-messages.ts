/** Messages on the timers queue (SQS with per-message delay): what must happen, and when. */
export type TimerMessage =
  /** An invitation's ring deadline. */
  | { type: 'ringTimeout'; sdkAppId: number; callId: string; at: number }
  /** A call device disconnected: unless the user is back on it by then, she goes offline in the call. */
  | { type: 'offlineGrace'; sdkAppId: number; callId: string; userId: string; connectionId: string; at: number }
  /** A connected device's UserSig/JWT expires now. */
  | { type: 'credentialExpiry'; sdkAppId: number; userId: string; connectionId: string; at: number };

/** SQS delays messages by at most 15 minutes; later moments are caught by other means (heartbeats, the sweeper). */
export const MAX_TIMER_DELAY_MS = 900_000;
