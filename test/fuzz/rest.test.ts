import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import * as v from 'valibot';
import { beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../lib/apps/app.ts';
import { genUserSig } from '../../lib/auth/usersig.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { makeHttpApi } from '../../lib/rest/http-api.ts';
import { ALL_ROUTES } from '../../lib/rest/routes.ts';
import type { Deps } from '../../lib/usecases/deps.ts';
import { createApp, useTestStack } from '../support/local-stack.ts';
import { assertPrototypeClean, DANGEROUS_KEYS, FUZZ_RUNS, FUZZ_SEED, nastyValue, prototypeSnapshot, STACK_TRACE, toJsonText, withRawNumbers } from './fuzz-support.ts';

/** Documented REST codes (public and per-endpoint). 101001 (v4 internal) is not among them: it means a crash. */
const DOCUMENTED = (code: number) =>
  code === 0 ||
  (code >= 60002 && code <= 60012) ||
  (code >= 70001 && code <= 70011) ||
  code === 999 ||
  code === 101002 ||
  code === 101004 ||
  code === 101050 ||
  (code >= 100001 && code <= 100301) ||
  code === 70107 ||
  code === 70402 ||
  (code >= 40001 && code <= 40610) ||
  (code >= 90001 && code <= 90011);

const ADMIN = 'administrator';
const PATHS = ALL_ROUTES.map((r) => `/${r.generation}/${r.path}`);

/** The top-level body fields a route's schema names (through pipes/optionals). */
function fieldsOf(schema: unknown): string[] {
  let s = schema as { entries?: Record<string, unknown>; pipe?: unknown[]; wrapped?: unknown } | undefined;
  for (let i = 0; i < 5 && s && !s.entries; i += 1) s = (s.pipe?.[0] ?? s.wrapped) as typeof s;
  return Object.keys(s?.entries ?? {});
}
const FIELDS = [...new Set(ALL_ROUTES.flatMap((r) => fieldsOf(r.body)))];

/** Plausible values: the right shapes with ghost users, nonexistent calls and harmless URLs. */
const plausible: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom('ghost-1', 'ghost_2', 'no-such-call', 'https://127.0.0.1:9/cb', 'http://localhost:9/x', 'Tag_Profile_IM_Nick', 'Tag_Profile_Custom_abc', '2024-01-01', '20240101', 'json'),
  fc.constantFrom(['ghost-1'], [{ UserID: 'ghost-1' }], [{ Tag: 'Tag_Profile_IM_Nick', Value: 'n' }], ['Tag_Profile_IM_Nick'], ['callStart'], [], 1, 100, 0, 1_700_000_000, 1_700_086_400),
  fc.integer({ min: 0, max: 2 ** 32 }),
);

const body: fc.Arbitrary<Record<string, unknown>> = fc.dictionary(
  fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...FIELDS) }, { weight: 1, arbitrary: fc.string({ maxLength: 10 }) }, { weight: 1, arbitrary: fc.constantFrom(...DANGEROUS_KEYS) }),
  fc.oneof(plausible, nastyValue),
  { maxKeys: 5 },
);

const bodyText: fc.Arbitrary<{ text?: string; base64?: boolean }> = fc.oneof(
  { weight: 12, arbitrary: body.map((b) => ({ text: withRawNumbers(toJsonText(b)) })) },
  { weight: 1, arbitrary: fc.constant({}) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 100 }).map((text) => ({ text })) },
  { weight: 1, arbitrary: fc.jsonValue().map((j) => ({ text: JSON.stringify(j) })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => ({ text: Buffer.from(b).toString('base64'), base64: true })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 20_000 }).map((d) => ({ text: `{"To_Account":${'['.repeat(d)}${']'.repeat(d)}}` })) },
);

const path: fc.Arbitrary<string> = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...PATHS) },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.constantFrom(...PATHS), fc.constantFrom('/', '//', '%00', '.json', '/..', '?')).map(([p, s]) => p + s),
  },
  { weight: 1, arbitrary: fc.constantFrom(...PATHS).map((p) => p.toUpperCase()) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('/v4/', '/v1/', '/v4//', '/v1/../v4/'), fc.string({ maxLength: 30 })).map(([a, b]) => a + b) },
  { weight: 1, arbitrary: fc.constantFrom('/v4/__proto__', '/v4/constructor', '/v1/toString', '/v4/call_engine_http_srv/hasOwnProperty', '/health', '/openapi.json', '/', '/v2/x') },
);

type Query = Record<string, string | undefined>;
const queryValue = (valid: string) =>
  fc.oneof(
    { weight: 10, arbitrary: fc.constant(valid) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom('', ' ', '0', '-1', 'NaN', 'Infinity', '1e3', '0x10', '1400000001', '9007199254740993', '99999999999', '4294967296', '4294967295', 'JSON', 'xml', 'a.b.c', 'eyJhbGciOiJub25lIn0.e30.', valid + 'x', valid.slice(1)) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  );

describe('fuzzing the admin REST API (payload 2.0 events)', () => {
  let rt: LocalRuntime;
  useTestStack((r) => (rt = r));
  let app: App;
  let api: ReturnType<typeof makeHttpApi>;
  let internalErrors: unknown[] = [];

  beforeAll(async () => {
    app = await createApp(rt, { restRatePerSec: 1_000_000 });
    const log = rt.deps.log;
    const deps = {
      ...rt.deps,
      // An error logged by the REST handler is an exception it did not expect (a crash behind the envelope).
      log: { ...log, debug: log.debug.bind(log), info: log.info.bind(log), warn: log.warn.bind(log), error: (message: string, ...extra: Record<string, unknown>[]) => internalErrors.push({ message, extra }) },
    } as Deps;
    api = makeHttpApi(deps, ALL_ROUTES);
  });

  const query = () => {
    const sig = genUserSig({ sdkAppId: app.sdkAppId, userId: ADMIN, key: app.secretKeys[0] ?? '', expireSec: 3600 });
    const valid: Query = { sdkappid: String(app.sdkAppId), identifier: ADMIN, usersig: sig, random: '99999999', contenttype: 'json' };
    // Mostly a valid query, so that most cases reach the body and the endpoint.
    return fc.oneof(
      { weight: 3, arbitrary: fc.constant(valid) },
      {
        weight: 2,
        arbitrary: fc.record({
          sdkappid: queryValue(String(app.sdkAppId)),
          identifier: queryValue(ADMIN),
          usersig: queryValue(sig),
          random: queryValue('99999999'),
          contenttype: queryValue('json'),
        }),
      },
    );
  };

  /** Builds the event the local HTTP gateway would (`toEventV2`). */
  function eventOf(method: string, rawPath: string, q: Query, b: { text?: string; base64?: boolean }): APIGatewayProxyEventV2 {
    const params = Object.fromEntries(Object.entries(q).filter((e): e is [string, string] => e[1] !== undefined));
    const rawQueryString = new URLSearchParams(params).toString();
    const now = Date.now();
    return {
      version: '2.0',
      routeKey: '$default',
      rawPath,
      rawQueryString,
      headers: { 'content-type': 'application/json' },
      ...(Object.keys(params).length ? { queryStringParameters: params } : {}),
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        domainName: '127.0.0.1',
        domainPrefix: 'local',
        http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'fuzz' },
        requestId: 'fuzz',
        routeKey: '$default',
        stage: '$default',
        time: new Date(now).toUTCString(),
        timeEpoch: now,
      },
      ...(b.text !== undefined && b.text.length ? { body: b.text } : {}),
      isBase64Encoded: Boolean(b.base64 && b.text),
    };
  }

  it(`answers ${FUZZ_RUNS} random requests with a documented envelope, no crash, no stack trace`, async () => {
    const proto = prototypeSnapshot();
    const codes = new Map<number, number>();
    const method = fc.oneof({ weight: 12, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'OPTIONS', 'post', 'HEAD') });
    await fc.assert(
      fc.asyncProperty(method, path, query(), bodyText, async (m, p, q, b) => {
        internalErrors = [];
        const res = await api(eventOf(m, p, q, b)); // a throw fails the property
        const text = typeof res.body === 'string' ? res.body : '';
        expect(text).not.toMatch(STACK_TRACE);
        assertPrototypeClean(proto);
        if (internalErrors.length) throw new Error(`unexpected exception behind the envelope: ${JSON.stringify(internalErrors).slice(0, 1_000)}`);
        if (m === 'OPTIONS') {
          expect(res.statusCode, 'CORS preflight').toBe(204);
          return;
        }
        if (!p.startsWith('/v4/') && !p.startsWith('/v1/')) {
          expect([200, 204, 404]).toContain(res.statusCode);
          return;
        }
        expect(res.statusCode).toBe(200);
        const env = JSON.parse(text) as Record<string, unknown>;
        let code: number;
        if (p.startsWith('/v4/')) {
          expect(Object.keys(env)).toEqual(expect.arrayContaining(['ActionStatus', 'ErrorInfo', 'ErrorCode', 'RequestId']));
          code = env.ErrorCode as number;
          expect(env.ActionStatus).toBe(code === 0 ? 'OK' : 'FAIL');
          expect(env.RequestId).toMatch(/^Id-[0-9a-f]{32}-O-Seq-\d+$/);
          if (code !== 0) expect((env.ErrorInfo as string).length, `code ${code} without ErrorInfo`).toBeGreaterThan(0);
        } else {
          expect(Object.keys(env).sort()).toEqual(['data', 'errorCode', 'errorMessage', 'requestId']);
          code = env.errorCode as number;
          expect(env.requestId).toMatch(/^[0-9a-f]{32}$/);
          expect((env.errorMessage as string).length).toBeGreaterThan(0);
        }
        if (!Number.isInteger(code) || !DOCUMENTED(code)) throw new Error(`undocumented code ${code} (${String(env.ErrorInfo ?? env.errorMessage)}) for ${m} ${p}`);
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }),
      { numRuns: FUZZ_RUNS, ...(FUZZ_SEED !== undefined ? { seed: FUZZ_SEED } : {}) },
    );
    console.info(`rest fuzz: ${FUZZ_RUNS} cases; codes ${JSON.stringify(Object.fromEntries([...codes].sort((a, b) => b[1] - a[1])))}`);
  }, 600_000);

  it('the schemas the fuzzer reads are valibot objects (the field list is not empty)', () => {
    expect(FIELDS.length).toBeGreaterThan(10);
    expect(v.is(v.array(v.string()), FIELDS)).toBe(true);
  });
});
