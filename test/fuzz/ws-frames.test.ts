import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeHandler } from '../../functions/ws-message.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import type { Deps } from '../../lib/usecases/deps.ts';
import { useTestStack } from '../support/local-stack.ts';
import { assertPrototypeClean, DANGEROUS_KEYS, FUZZ_RUNS, FUZZ_SEED, nastyValue, nest, prototypeSnapshot, STACK_TRACE, toJsonText, withRawNumbers } from './fuzz-support.ts';

/** The codes the client protocol documents (ws-protocol.md, client-api.md §9). 101001 is not one: it means a crash. */
const DOCUMENTED = new Set([0, -1201, -1202, -1203, -1204, -1205, 8010, 8021, 101004, 6206]);

const SPEAKER = 'fuzz-speaker';
/** Valid user ids that never logged in: calling them must be refused with nothing created. */
const GHOSTS = ['ghost-1', 'ghost-2', 'ghost_3'];
const NO_CALL = 'no-such-call-0001';

/** A valid frame's data for every action, aimed at ghosts and a nonexistent call. */
const VALID: Record<string, Record<string, unknown>> = {
  login: { platform: 'Web', deviceId: 'fuzz-device', sdkVersion: '1.0.0' },
  logout: {},
  heartbeat: {},
  syncCall: {},
  setSelfInfo: { nickname: 'Fuzzy', avatar: 'https://example.com/a.png' },
  enableMultiDeviceAbility: { enable: true },
  getUserStatus: { userIdList: ['ghost-1', SPEAKER] },
  calls: { userIdList: ['ghost-1'], mediaType: 'Audio', params: { roomId: 4242, timeout: 30, userData: 'u', chatGroupId: 'g', offlinePushInfo: { title: 't' } } },
  inviteUser: { callId: NO_CALL, userIdList: ['ghost-2'], params: { timeout: 30, userData: 'u', offlinePushInfo: {} } },
  join: { callId: NO_CALL },
  switchCallMediaType: { callId: NO_CALL, mediaType: 'Video' },
  accept: { callId: NO_CALL },
  reject: { callId: NO_CALL },
  ignore: { callId: NO_CALL },
  hangup: { callId: NO_CALL, reason: 'Interrupt' },
};
const ACTIONS = Object.keys(VALID);

type Json = Record<string, unknown>;
type Mutation = (frame: Json) => void;

const dataOf = (frame: Json): Json => {
  if (typeof frame.data !== 'object' || frame.data === null || Array.isArray(frame.data)) frame.data = {};
  return frame.data as Json;
};
const fieldName = (action: string) => fc.oneof(fc.constantFrom(...Object.keys(VALID[action] ?? {}), 'userIdList', 'callId', 'params', 'mediaType', 'platform'), fc.string({ maxLength: 10 }), fc.constantFrom(...DANGEROUS_KEYS));

/** A copy of a generated value: a mutation writes into what an earlier one placed, and fast-check replays values when it shrinks. */
const fresh = <T,>(value: T): T => structuredClone(value);

/** Mutations of a valid frame of `action`. */
const mutation = (action: string): fc.Arbitrary<Mutation> =>
  fc.oneof(
    fc.tuple(fieldName(action), nastyValue).map(([k, v]): Mutation => (f) => void (dataOf(f)[k] = fresh(v))),
    fieldName(action).map((k): Mutation => (f) => void delete dataOf(f)[k]),
    fc.tuple(fc.constantFrom('roomId', 'timeout', 'userData', 'chatGroupId', 'offlinePushInfo', ...DANGEROUS_KEYS), nastyValue).map(([k, v]): Mutation => (f) => {
      const data = dataOf(f);
      const params = typeof data.params === 'object' && data.params !== null && !Array.isArray(data.params) ? (data.params as Json) : (data.params = {});
      (params as Json)[k] = fresh(v);
    }),
    fc.array(nastyValue, { maxLength: 10 }).map((list): Mutation => (f) => void (dataOf(f).userIdList = fresh(list))),
    fc.array(fc.constantFrom(...GHOSTS, 'ghost-9', ''), { maxLength: 12 }).map((list): Mutation => (f) => void (dataOf(f).userIdList = list)),
    nastyValue.map((v): Mutation => (f) => void (f.data = fresh(v))),
    nastyValue.map((v): Mutation => (f) => void (f.action = fresh(v))),
    fc.constantFrom(...ACTIONS.map((a) => a.toUpperCase()), ' login', 'calls\u0000', 'Calls', 'toString', '__proto__', 'constructor', 'hasOwnProperty').map((a): Mutation => (f) => void (f.action = a)),
    fc.oneof(nastyValue, fc.constant('r'.repeat(65)), fc.constant('')).map((v): Mutation => (f) => void (f.requestId = fresh(v))),
    fc.constantFrom('action', 'requestId', 'data').map((k): Mutation => (f) => void delete f[k]),
    fc.tuple(fc.constantFrom(...DANGEROUS_KEYS), nastyValue).map(([k, v]): Mutation => (f) => void (f[k] = fresh(v))),
    fc.tuple(fc.integer({ min: 1, max: 800 }), fc.constantFrom<'array' | 'object'>('array', 'object')).map(([d, kind]): Mutation => (f) => void (dataOf(f).params = nest(d, kind))),
  );

/** A frame's JSON text: random text, random JSON, or a mutated valid frame of some action. */
const frameText: fc.Arbitrary<string> = fc.oneof(
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...ACTIONS), fc.jsonValue()).map(([action, data]) => JSON.stringify({ action, requestId: 'x', data })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 20_000 }).map((d) => `{"action":"calls","requestId":"deep","data":${'['.repeat(d)}${']'.repeat(d)}}`) },
  { weight: 1, arbitrary: fc.integer({ min: 32_700, max: 33_500 }).map((n) => JSON.stringify({ action: 'heartbeat', requestId: 'big', data: { pad: 'x'.repeat(n) } })) },
  {
    weight: 12,
    arbitrary: fc
      .constantFrom(...ACTIONS)
      .chain((action) => fc.tuple(fc.constant(action), fc.array(mutation(action), { minLength: 1, maxLength: 3 })))
      .map(([action, mutations]) => {
        const frame: Json = { action, requestId: 'REQ', data: structuredClone(VALID[action]) };
        for (const m of mutations) m(frame);
        return withRawNumbers(toJsonText(frame));
      }),
  },
);

describe('fuzzing WebSocket frames (ws-message handler)', () => {
  let rt: LocalRuntime;
  useTestStack((r) => (rt = r));

  let handle: ReturnType<typeof makeHandler>;
  let deps: Deps;
  let posted: string[] = [];
  let connectionSeq = 0;
  let connectionId = '';
  let requestSeq = 0;
  const event = (body: string) => ({
    requestContext: {
      connectionId,
      authorizer: { sdkAppId: rt.demoApp.sdkAppId, userId: SPEAKER, loginId: `login-${connectionId}`, credentialExpiresAt: Math.floor(Date.now() / 1000) + 86_400 },
    },
    body,
  });

  /** Logs the speaker in on a fresh connection (again after a fuzzed `logout` succeeded). */
  async function loginFresh(): Promise<void> {
    connectionSeq += 1;
    connectionId = `fuzz-conn-${connectionSeq}`;
    const result = await handle(event(JSON.stringify({ action: 'login', requestId: `login-${connectionSeq}`, data: { platform: 'Web' } })));
    const answer = JSON.parse(result.body ?? posted.at(-1) ?? '{}');
    expect(answer).toMatchObject({ type: 'response', action: 'login', code: 0 });
  }

  beforeAll(async () => {
    deps = {
      ...rt.deps,
      // The fuzzed connection ids are not real sockets: keep what the handler posts for the checks.
      connections: { ...rt.deps.connections, post: async (_id: string, frame: string) => (posted.push(frame), 'sent' as const), close: async () => {} },
    } as Deps;
    // The fuzzer is one fast connection: the abuse limits are tested elsewhere (test/integration/abuse-limits.test.ts).
    await rt.deps.apps.putApp({ ...rt.demoApp, wsFramesPerSec: 1_000_000, callsPerMinute: 1_000_000 });
    handle = makeHandler(deps);
    await loginFresh();
  });

  /** Every frame the client would receive for one request must be documented, explained, and free of stack traces. */
  function checkAnswer(frameText: string): { code: number; action?: string } {
    expect(frameText).not.toMatch(STACK_TRACE);
    const frame = JSON.parse(frameText) as Json;
    if (frame.type === 'response') {
      const code = frame.code as number;
      if (!DOCUMENTED.has(code)) throw new Error(`undocumented code ${code} (${String(frame.message)}) for action ${String(frame.action)}`);
      if (code !== 0) expect(typeof frame.message === 'string' && frame.message.length > 0, `code ${code} has no message`).toBe(true);
      return { code, action: frame.action as string };
    }
    expect(frame.type).toBe('event');
    if (frame.event === 'onError') {
      const { code, message } = frame.data as { code: number; message: string };
      if (!DOCUMENTED.has(code)) throw new Error(`undocumented onError code ${code} (${message})`);
      expect(typeof message === 'string' && message.length > 0).toBe(true);
      return { code };
    }
    return { code: 0 };
  }

  it(`answers ${FUZZ_RUNS} random and mutated frames with documented codes, no crash, no state change when refused`, async () => {
    const proto = prototypeSnapshot();
    let stats = { ok: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(frameText, async (text0) => {
        // Unique request ids, so the idempotent replay of a requestId never hides a case.
        requestSeq += 1;
        const text = text0.split('"REQ"').join(JSON.stringify(`fz-${requestSeq}`));
        const before = await deps.users.getUser(rt.demoApp.sdkAppId, SPEAKER);
        posted = [];
        const result = await handle(event(text)); // a throw fails the property
        expect(result.statusCode).toBe(200);
        const frames = [...(result.body !== undefined ? [result.body] : []), ...posted];
        expect(frames.length, 'the request got no answer at all').toBeGreaterThan(0);
        const answers = frames.map(checkAnswer);
        assertPrototypeClean(proto);
        const after = await deps.users.getUser(rt.demoApp.sdkAppId, SPEAKER);
        expect(after.line, 'the speaker line was taken').toBeUndefined();
        const first = answers[0]!;
        if (first.code !== 0) {
          stats.refused += 1;
          expect(after, `refused input (code ${first.code}) changed the speaker's state`).toEqual(before);
        } else {
          stats.ok += 1;
          if (!after.devices.some((d) => d.connectionId === connectionId)) await loginFresh();
        }
      }),
      { numRuns: FUZZ_RUNS, ...(FUZZ_SEED !== undefined ? { seed: FUZZ_SEED } : {}) },
    );
    // Nothing created for the ghosts the fuzzed calls aimed at.
    for (const ghost of GHOSTS) expect((await deps.users.getUser(rt.demoApp.sdkAppId, ghost)).line).toBeUndefined();
    console.info(`ws fuzz: ${FUZZ_RUNS} cases, ${stats.ok} accepted, ${stats.refused} refused`);
    stats = { ok: 0, refused: 0 };
  }, 600_000);
});
