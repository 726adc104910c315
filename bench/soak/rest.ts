import { randomInt } from 'node:crypto';
import { genUserSig } from '../../lib/auth/usersig.ts';
import type { AppTarget } from './client.ts';

/** Calls an admin REST endpoint (`v4/…`) of an app as `administrator`; answers the envelope (HTTP errors throw). */
export async function rest(app: AppTarget, path: string, body: unknown): Promise<Record<string, any>> {
  const usersig = genUserSig({ sdkAppId: app.sdkAppId, userId: 'administrator', key: app.secretKey, expireSec: 3600 });
  const q = new URLSearchParams({ sdkappid: String(app.sdkAppId), identifier: 'administrator', usersig, random: String(randomInt(2 ** 31)), contenttype: 'json' });
  const res = await fetch(`${app.httpUrl}/${path}?${q}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as Record<string, any>;
}

/** Like `rest`, but a non-zero `ErrorCode` throws too. */
export async function restOk(app: AppTarget, path: string, body: unknown): Promise<Record<string, any>> {
  const answer = await rest(app, path, body);
  if (answer.ErrorCode !== 0) throw new Error(`${path}: ErrorCode ${answer.ErrorCode} ${answer.ErrorInfo ?? ''}`);
  return answer;
}
