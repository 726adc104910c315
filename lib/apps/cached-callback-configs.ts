import type { CallbackConfigStore, CallbackConfigV1, CallbackConfigV4 } from '../ports/admin.ts';

type Configs = { v4?: CallbackConfigV4; v1?: CallbackConfigV1 };

/**
 * Callback configurations are read on every call change that has a callback: each process keeps
 * them for a short while (a change through the REST API takes effect within `ttlMs` everywhere, at once here).
 */
export class CachedCallbackConfigs implements CallbackConfigStore {
  private readonly cache = new Map<number, { value: Configs; until: number }>();

  constructor(
    private readonly inner: CallbackConfigStore,
    private readonly ttlMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  async get(sdkAppId: number): Promise<Configs> {
    const hit = this.cache.get(sdkAppId);
    if (hit && hit.until > this.now()) return hit.value;
    const value = await this.inner.get(sdkAppId);
    this.cache.set(sdkAppId, { value, until: this.now() + this.ttlMs });
    return value;
  }

  async put(sdkAppId: number, generation: 'v4' | 'v1', config: CallbackConfigV4 | CallbackConfigV1 | undefined): Promise<void> {
    this.cache.delete(sdkAppId);
    await this.inner.put(sdkAppId, generation, config);
  }
}
