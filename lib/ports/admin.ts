/** Per-key request budgets that hold across every Lambda instance (REST rate limits). */
export interface RateLimiter {
  /** Counts one request against `key`; false when `perSecond` requests were already counted this second. */
  take(key: string, perSecond: number): Promise<boolean>;
}

/** The v4 callback configuration (`call_config/set_callback`). */
export interface CallbackConfigV4 {
  Url: string;
  CallbackCommandList: string[];
}

/** The legacy v1 callback configuration (`v1/callback/set`). */
export interface CallbackConfigV1 {
  address: string;
  actions: string[];
}

/** An app's callback configurations: one per API generation. */
export interface CallbackConfigStore {
  get(sdkAppId: number): Promise<{ v4?: CallbackConfigV4; v1?: CallbackConfigV1 }>;
  /** Sets (or, with `undefined`, deletes) one generation's configuration. */
  put(sdkAppId: number, generation: 'v4' | 'v1', config: CallbackConfigV4 | CallbackConfigV1 | undefined): Promise<void>;
}
