import { describe, expect, it } from 'vitest';
import { makeHandler } from '../../functions/ws-message.ts';
import { DEFAULT_TIMING } from '../../lib/config.ts';
import type { Deps } from '../../lib/usecases/deps.ts';

/** Deps where only the connection, the clock and the app's limits matter: the handler must refuse before any use case runs. */
function fakeDeps(now: number) {
  const posted: { connectionId: string; frame: Record<string, unknown> }[] = [];
  const closed: string[] = [];
  const unused = new Proxy({}, { get: () => () => Promise.reject(new Error('a use case ran')) });
  const deps = {
    apps: { getApp: async () => undefined },
    metrics: { count() {} },
    calls: unused,
    users: unused,
    records: unused,
    timers: unused,
    ids: unused,
    connections: {
      post: async (connectionId: string, frame: string) => (posted.push({ connectionId, frame: JSON.parse(frame) }), 'sent' as const),
      close: async (connectionId: string) => void closed.push(connectionId),
    },
    clock: { now: () => now },
    timing: DEFAULT_TIMING,
    log: { debug() {}, info() {}, warn() {}, error() {} },
  } as unknown as Deps;
  return { deps, posted, closed };
}

const event = (body: string, credentialExpiresAt: number) => ({
  requestContext: { connectionId: 'conn-1', authorizer: { sdkAppId: 1400000001, userId: 'alice', loginId: 'l-1', credentialExpiresAt } },
  body,
});

describe('the WebSocket message handler', () => {
  it('answers 6206 to any frame once the credential has expired, then says onUserSigExpired and closes', async () => {
    const { deps, posted, closed } = fakeDeps(2_000_000);
    const result = await makeHandler(deps)(event(JSON.stringify({ action: 'heartbeat', requestId: 'r1', data: {} }), 1_999));
    expect(result).toEqual({ statusCode: 200 });
    expect(posted.map((p) => p.frame)).toEqual([
      expect.objectContaining({ type: 'response', requestId: 'r1', code: 6206 }),
      expect.objectContaining({ type: 'event', event: 'onUserSigExpired' }),
    ]);
    expect(closed).toEqual(['conn-1']);
  });

  it('answers invalid JSON with onError in the route response, touching nothing else', async () => {
    const { deps, posted } = fakeDeps(1_000);
    const result = await makeHandler(deps)(event('{oops', 9_999));
    expect(JSON.parse(result.body ?? '')).toMatchObject({ type: 'event', event: 'onError', data: { code: -1202 } });
    expect(posted).toEqual([]);
  });
});
