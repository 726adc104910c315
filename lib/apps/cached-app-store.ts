import type { App } from './app.ts';
import type { AppStore } from '../ports/store.ts';

/**
 * Apps change rarely and are read on every handshake and call: each process keeps them for a
 * short while (a rotated key or new admin takes effect within `ttlMs`).
 */
export class CachedAppStore implements AppStore {
  private readonly cache = new Map<number, { app: App | undefined; until: number }>();

  constructor(
    private readonly inner: AppStore,
    private readonly ttlMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  async getApp(sdkAppId: number): Promise<App | undefined> {
    const hit = this.cache.get(sdkAppId);
    if (hit && hit.until > this.now()) return hit.app;
    const app = await this.inner.getApp(sdkAppId);
    this.cache.set(sdkAppId, { app, until: this.now() + (app ? this.ttlMs : Math.min(this.ttlMs, 2_000)) });
    return app;
  }

  async createApp(app: App): Promise<boolean> {
    this.cache.delete(app.sdkAppId);
    return this.inner.createApp(app);
  }

  async putApp(app: App): Promise<void> {
    this.cache.delete(app.sdkAppId);
    await this.inner.putApp(app);
  }
}
