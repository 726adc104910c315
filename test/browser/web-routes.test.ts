import { describe, expect, it } from 'vitest';
import { verifyUserSig } from '../../lib/auth/usersig.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { startTestStack, useTestStack } from '../support/local-stack.ts';
import { RawClient } from '../support/raw-client.ts';
import { rest } from '../support/rest-client.ts';

let rt: LocalRuntime;
useTestStack((r) => (rt = r));

const get = (path: string, init?: RequestInit) => fetch(`${rt.httpUrl}${path}`, init);

describe('the local pages (served by the local runtime only)', () => {
  it('serves the demo at /, the dashboard at /dashboard and their files under /web/, with a strict CSP', async () => {
    for (const [path, marker] of [['/', 'CallSignal demo'], ['/dashboard', 'Call records dashboard']] as const) {
      const res = await get(path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(await res.text()).toContain(marker);
    }
    for (const file of ['demo.js', 'demo-view.js', 'demo-events.js', 'dashboard.js', 'dashboard-records.js', 'admin-api.js', 'chart.js', 'style.css']) expect((await get(`/web/${file}`)).status, file).toBe(200);
    expect((await get('/web/demo.js')).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });

  it('never serves files outside web/ or hidden ones', async () => {
    for (const path of ['/web/../package.json', '/web/%2e%2e/package.json', '/web/..%2fpackage.json', '/web/.gitignore', '/web/nothing.js', '/web/']) {
      const res = await get(path);
      expect([404, 400], path).toContain(res.status);
      expect(await res.text(), path).not.toContain('"devDependencies"');
    }
  });

  it('serves the client SDK as one browser ES module at /client.js', async () => {
    const res = await get('/client.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const code = await res.text();
    expect(code).toMatch(/export\s*\{[^}]*CallEngine/);
    expect(code).not.toMatch(/\bimport\s*["'{*]/); // bundled: nothing left to fetch
  });

  it('mints a UserSig for a user of the demo app that the WebSocket API accepts, and tells the WebSocket URL', async () => {
    const res = await get('/demo/usersig?userid=alice');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as { sdkAppId: number; userId: string; userSig: string; wsUrl: string };
    expect(body).toMatchObject({ sdkAppId: rt.demoApp.sdkAppId, userId: 'alice', wsUrl: rt.wsUrl });
    const q = new URLSearchParams({ sdkappid: String(body.sdkAppId), userid: 'alice', usersig: body.userSig });
    const client = await RawClient.login(`${body.wsUrl}/?${q}`, 'alice');
    await client.close();
  });

  it("mints the administrator's UserSig, which the admin REST API accepts", async () => {
    const body = (await (await get(`/demo/usersig?userid=administrator&sdkappid=${rt.demoApp.sdkAppId}`)).json()) as { userSig: string };
    expect(verifyUserSig(body.userSig, { sdkAppId: rt.demoApp.sdkAppId, userId: 'administrator', keys: rt.demoApp.secretKeys, nowSec: Math.floor(Date.now() / 1000) }).ok).toBe(true);
    const answer = await rest(rt, 'v4/openim/query_online_status', { To_Account: ['alice'] }, { usersig: body.userSig });
    expect(answer.body.ErrorCode).toBe(0);
  });

  it('refuses other apps and invalid user ids with 400 and a message, and methods other than GET', async () => {
    for (const path of ['/demo/usersig?userid=alice&sdkappid=1400000002', '/demo/usersig?userid=', '/demo/usersig', '/demo/usersig?userid=a%20b', `/demo/usersig?userid=${'x'.repeat(33)}`]) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      expect(((await res.json()) as { message: string }).message, path).toMatch(/demo app|UserID/);
    }
    expect((await get('/demo/usersig?userid=alice', { method: 'POST' })).status).toBe(405);
  });

  it('leaves every other path to the HTTP API (health, REST, 404s)', async () => {
    expect(await (await get('/health')).json()).toMatchObject({ status: 'ok' });
    expect((await rest(rt, 'v4/callsignal_stats_svc/get_daily_stats', { StartDay: '2026-01-01', EndDay: '2026-01-01' })).body.ErrorCode).toBe(0);
    const missing = await get('/favicon.ico');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ message: 'no route for GET /favicon.ico' });
  });

  it('can be turned off (web: false): then / is the HTTP API 404 again', async () => {
    const bare = await startTestStack({ web: false });
    try {
      const res = await fetch(`${bare.httpUrl}/`);
      expect(res.status).toBe(404);
      expect((await fetch(`${bare.httpUrl}/demo/usersig?userid=alice`)).status).toBe(404);
    } finally {
      await bare.close();
    }
  });
});
