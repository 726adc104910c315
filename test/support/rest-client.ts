import { genUserSig } from '../../lib/auth/usersig.ts';
import type { App } from '../../lib/apps/app.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';

/** Options of one admin REST call (defaults: the demo app, `administrator`, a fresh valid UserSig). */
export interface RestCallOptions {
  app?: App;
  identifier?: string;
  usersig?: string;
  query?: Record<string, string>;
  method?: string;
  /** The raw body text (instead of JSON of `body`). */
  rawBody?: string;
}

/** Calls an admin REST endpoint of the local stack over real HTTP; answers the HTTP status and the parsed body. */
export async function rest(rt: LocalRuntime, path: string, body: unknown = {}, options: RestCallOptions = {}): Promise<{ status: number; body: Record<string, any> }> {
  const app = options.app ?? rt.demoApp;
  const identifier = options.identifier ?? 'administrator';
  const usersig = options.usersig ?? genUserSig({ sdkAppId: app.sdkAppId, userId: identifier, key: app.secretKeys[0] ?? '', expireSec: 600 });
  const q = new URLSearchParams({ sdkappid: String(app.sdkAppId), identifier, usersig, random: '99999999', contenttype: 'json', ...options.query });
  const res = await fetch(`${rt.httpUrl}/${path}?${q}`, {
    method: options.method ?? 'POST',
    headers: { 'content-type': 'application/json' },
    ...((options.method ?? 'POST') === 'POST' ? { body: options.rawBody ?? JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/** Reads a fixture copied from the spec (`test/fixtures/spec/`). */
export async function fixture(name: string): Promise<any> {
  const { readFile } = await import('node:fs/promises');
  return JSON.parse(await readFile(new URL(`../fixtures/spec/${name}`, import.meta.url), 'utf8'));
}
