import fc from 'fast-check';
import type { APIGatewayRequestAuthorizerEvent, ScheduledEvent, SQSEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeHandler as makeAuthorizer } from '../../functions/ws-authorizer.ts';
import { makeHandler as makeConnect } from '../../functions/ws-connect.ts';
import { makeHandler as makeDisconnect } from '../../functions/ws-disconnect.ts';
import { makeHandler as makeMessage } from '../../functions/ws-message.ts';
import { makeHandler as makeTimers } from '../../functions/timers.ts';
import { makeHandler as makeSweeper } from '../../functions/sweeper.ts';
import type { App } from '../../lib/apps/app.ts';
import { genUserSig } from '../../lib/auth/usersig.ts';
import { toRecord, type Call, type Member, type Platform } from '../../lib/calls/index.ts';
import type { UserView } from '../../lib/ports/store.ts';
import { RestError } from '../../lib/rest/errors.ts';
import { v4CallRoutes } from '../../lib/rest/v4-calls.ts';
import { deleteAccount, forceLogout, revokeLogins } from '../../lib/usecases/accounts.ts';
import type { WsEvent } from '../../lib/ws/speaker.ts';
import { fakeDeps, testApp, viewOf, type CallItem, type Fakes, type Partition, type Post, type QueuedMessage } from '../support/fakes.ts';

// Model-free property tests of the use-case layer: the real Lambda handlers (authorizer, $connect,
// $disconnect, messages, timers, sweeper) and the REST kick/end-call use cases run on in-memory fakes
// (test/support/fakes.ts), driven by random sequences of client frames, disconnects, clock moves, timer
// firings (due, early, late, twice, lost) and admin actions, across 1v1 and group calls with several devices
// per user. After every step the invariants of DESIGN.md 1–7 are checked against the fakes' state and what
// was posted (see `Checker`); every run ends with a drain (time passes, timers fire, the sweeper runs, nobody
// heartbeats) after which every call must have ended. A second property runs groups of steps concurrently,
// fast-check's scheduler interleaving every store, queue and @connections operation.
// FC_RUNS (default 10,000) is the total number of runs of both properties; FC_SEED (with FC_PATH, the
// counterexample itself) replays a failure's seed.
// FC_SKIP=<tag>,<tag> skips the checks of bugs already pinned by a regression example at the end of this file
// (tags: answer-post, sweep-bound, lines, gone-device, replays, redo-callback), to explore beyond them.
const RUNS = Number(process.env.FC_RUNS ?? 10_000);
const SEED = process.env.FC_SEED ? { seed: Number(process.env.FC_SEED), ...(process.env.FC_PATH ? { path: process.env.FC_PATH } : {}) } : {};
const SKIP = new Set((process.env.FC_SKIP ?? '').split(',').filter(Boolean));
type KnownBug = 'answer-post' | 'sweep-bound' | 'lines' | 'gone-device' | 'replays' | 'redo-callback';
const SEQUENTIAL_RUNS = Math.ceil(RUNS * 0.75);
const CONCURRENT_RUNS = RUNS - SEQUENTIAL_RUNS;

const APP_ID = 1400000001;
/** Another tenant with the same user names: nothing may leak between the two. */
const OTHER_APP_ID = 1400000002;
const T0 = 1_740_464_128_807;
/** A user of the app who never logged in (calling her is 8021). */
const GHOST = 'ghost';
/** Indexes of `userIndexes` that name the sender herself, and the ghost. */
const SELF = 90;
const NEVER_LOGGED_IN = 91;
/** Device i of user u is on PLATFORMS[(u + i) % 2]: a user's devices 0 and 2 share a platform (PlatformLimit). */
const PLATFORMS: Platform[] = ['Android', 'iOS'];
const CALLBACK_COMMANDS = ['Call.CallbackAfterStartCall', 'Call.CallbackAfterEndCall', 'Call.CallbackAfterMemberChanged', 'Call.CallbackOfflinePush'];

/** The codes each action may answer (ws-protocol.md, client-api.md §9); 6206 (credential expired) may answer any. */
const CODES: Record<string, number[]> = {
  login: [0, -1204],
  logout: [0, -1201],
  heartbeat: [0, -1201],
  syncCall: [0, -1201],
  getUserStatus: [0, -1201],
  enableMultiDeviceAbility: [0, -1201],
  // 8010: the glare merge (accepting the callee's call to us) found that invitation timed out; -1401: calls per minute.
  calls: [0, -1201, -1202, -1203, -1401, 8010, 8021],
  accept: [0, -1201, -1203, 8010],
  reject: [0, -1201, -1203, 8010],
  ignore: [0, -1201, -1203, 8010],
  hangup: [0, -1201, 8010],
  inviteUser: [0, -1201, -1202, -1203, -1205, 8021, 101004],
  join: [0, -1201, -1202, -1203, -1205, 101004],
  switchCallMediaType: [0, -1201, -1202, -1203, 101004],
};
/** -1401: a request lost the conditional write too many times in a row (only under concurrency). */
const CONTENTION = -1401;

// ---------------------------------------------------------------------------------------------------------------
// Scenarios: a small universe and abstract steps (indexes are taken modulo what exists when the step runs).

interface Universe {
  /** Devices per user (users u0..un-1), 1..3 each. */
  devices: number[];
  /** Users whose device 0 is connected and logged in at the start. */
  online: boolean[];
  /** Users who turn multi-device ability on at the start. */
  multiDevice: boolean[];
  loginPolicy: 'multi' | 'single';
  maxDevicesPerPlatform: number;
  groupJoinPolicy: 'open' | 'invited';
}

type FrameSpec =
  | { action: 'login' }
  | { action: 'calls'; to: number[]; group: boolean; timeout: number; media: 'Audio' | 'Video' }
  | { action: 'accept' | 'reject' | 'ignore' | 'hangup'; call: number; interrupt: boolean }
  | { action: 'inviteUser'; call: number; to: number[]; timeout: number }
  | { action: 'join'; call: number }
  | { action: 'switchCallMediaType'; call: number; media: 'Audio' | 'Video' }
  | { action: 'heartbeat' | 'syncCall' | 'logout' | 'getUserStatus' }
  | { action: 'enableMultiDeviceAbility'; enable: boolean };

type Step =
  /** A device connects (fresh credential, the user's first one again, or a short-lived one) and usually logs in. */
  | { kind: 'connect'; user: number; device: number; foreign: boolean; credential: 'fresh' | 'first' | 'short'; login: boolean; flaky: boolean }
  /** A frame from an open connection: any, or (for actions on a call) one ringing for it or in it. */
  | { kind: 'frame'; conn: number; by: By; frame: FrameSpec }
  /** The client retries its last frame with the same requestId. */
  | { kind: 'repeat'; conn: number }
  /** The client goes away; `$disconnect` runs unless it is lost (API Gateway delivers it best effort). */
  | { kind: 'disconnect'; conn: number; notify: boolean }
  /** Every open connection heartbeats (clients do every 30 s). */
  | { kind: 'heartbeats' }
  | { kind: 'advance'; ms: number }
  /** A timer message is delivered on time, before its time, late, twice, or never. */
  | { kind: 'timer'; pick: number; mode: 'due' | 'early' | 'late' | 'twice' | 'lose'; lateMs: number }
  /** The sweeper runs, after some time (`expire`: past the heartbeat timeout, so silent devices are dead). */
  | { kind: 'sweep'; advance: 'none' | 'period' | 'expire' }
  | { kind: 'admin'; action: 'revokeLogins' | 'forceLogout' | 'forceLogoutOne' | 'deleteAccount' | 'endCall'; user: number; conn: number; call: number };

/** Users to call or invite: mostly others (by index among the users other than the sender), sometimes herself (-1202) or one who never logged in (8021). */
const usersArb = (maxLength: number) =>
  fc.array(fc.oneof({ weight: 12, arbitrary: fc.nat(3) }, { weight: 1, arbitrary: fc.constant(SELF) }, { weight: 1, arbitrary: fc.constant(NEVER_LOGGED_IN) }), { minLength: 1, maxLength });
const userIndexes = usersArb(3);
/** Mostly the latest call, sometimes an older one, rarely one that does not exist. */
const callIndex = fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.nat(3) }, { weight: 1, arbitrary: fc.constant(99) });
/** Ring timeouts: short ones mostly, the default (0 → 30 s) sometimes, an invalid one (-1202) rarely. */
const timeoutArb = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(10, 12, 15, 20) }, { weight: 1, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(5) });
const media = fc.constantFrom('Audio' as const, 'Video' as const);

type By = 'any' | 'ringing' | 'joined';
const byArb = (ringing: number, joined: number): fc.Arbitrary<By> =>
  fc.oneof({ weight: 1, arbitrary: fc.constant('any' as const) }, { weight: ringing, arbitrary: fc.constant('ringing' as const) }, { weight: joined, arbitrary: fc.constant('joined' as const) });
const frameStep = (frame: fc.Arbitrary<FrameSpec>, by: fc.Arbitrary<By> = fc.constant('any')) => fc.record({ kind: fc.constant('frame' as const), conn: fc.nat(9), by, frame });

/** Frames, each mostly from a device that would send it (answers from ringing devices, hangups from devices in the call). */
const frameStepArb = fc.oneof(
  { weight: 6, arbitrary: frameStep(fc.record({ action: fc.constant('calls' as const), to: userIndexes, group: fc.boolean(), timeout: timeoutArb, media })) },
  { weight: 7, arbitrary: frameStep(fc.record({ action: fc.constant('accept' as const), call: callIndex, interrupt: fc.constant(false) }), byArb(4, 1)) },
  { weight: 2, arbitrary: frameStep(fc.record({ action: fc.constantFrom('reject' as const, 'ignore' as const), call: callIndex, interrupt: fc.constant(false) }), byArb(4, 1)) },
  { weight: 5, arbitrary: frameStep(fc.record({ action: fc.constant('hangup' as const), call: callIndex, interrupt: fc.boolean() }), byArb(1, 4)) },
  { weight: 3, arbitrary: frameStep(fc.record({ action: fc.constant('inviteUser' as const), call: callIndex, to: usersArb(2), timeout: timeoutArb }), byArb(0, 4)) },
  { weight: 3, arbitrary: frameStep(fc.record({ action: fc.constant('join' as const), call: callIndex })) },
  { weight: 2, arbitrary: frameStep(fc.record({ action: fc.constant('switchCallMediaType' as const), call: callIndex, media }), byArb(0, 4)) },
  { weight: 2, arbitrary: frameStep(fc.record({ action: fc.constant('enableMultiDeviceAbility' as const), enable: fc.boolean() })) },
  { weight: 2, arbitrary: frameStep(fc.record({ action: fc.constantFrom('heartbeat' as const, 'syncCall' as const, 'logout' as const, 'getUserStatus' as const) })) },
  { weight: 1, arbitrary: frameStep(fc.record({ action: fc.constant('login' as const) })) },
);

const connectArb = fc.record({
  kind: fc.constant('connect' as const),
  user: fc.nat(4),
  device: fc.nat(2),
  foreign: fc.nat(9).map((n) => n === 0),
  credential: fc.constantFrom('fresh' as const, 'fresh' as const, 'fresh' as const, 'first' as const, 'short' as const),
  login: fc.nat(9).map((n) => n !== 0),
  flaky: fc.nat(19).map((n) => n === 0 && !SKIP.has('answer-post')),
});

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: connectArb },
  { weight: 40, arbitrary: frameStepArb },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('repeat' as const), conn: fc.nat(9) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('disconnect' as const), conn: fc.nat(9), notify: fc.nat(3).map((n) => n !== 0) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('heartbeats' as const) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.oneof(fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: 40_000 })) }) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('timer' as const),
      pick: fc.nat(9),
      mode: fc.constantFrom('due' as const, 'due' as const, 'early' as const, 'late' as const, 'twice' as const, 'lose' as const),
      lateMs: fc.integer({ min: 1, max: 120_000 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('sweep' as const), advance: fc.constantFrom('none' as const, 'period' as const, 'expire' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('admin' as const),
      action: fc.constantFrom('revokeLogins' as const, 'forceLogout' as const, 'forceLogoutOne' as const, 'deleteAccount' as const, 'endCall' as const, 'endCall' as const),
      user: fc.nat(4),
      conn: fc.nat(9),
      call: callIndex,
    }),
  },
);

const universeArb: fc.Arbitrary<Universe> = fc.integer({ min: 3, max: 5 }).chain((n) =>
  fc.record({
    devices: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: n, maxLength: n }),
    online: fc.array(fc.nat(4).map((k) => k !== 0), { minLength: n, maxLength: n }),
    multiDevice: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
    loginPolicy: fc.constantFrom('multi' as const, 'multi' as const, 'single' as const),
    maxDevicesPerPlatform: fc.constantFrom(1, 2, 4),
    groupJoinPolicy: fc.constantFrom('open' as const, 'open' as const, 'invited' as const),
  }),
);

// ---------------------------------------------------------------------------------------------------------------
// The world: the handlers on fakes, the connections the clients hold, and what they sent.

/** A failed invariant; the message names it and the run's trace so far. */
class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
}

/** One WebSocket connection, as API Gateway knows it (the authorizer's context travels with every message). */
interface Conn {
  id: string;
  sdkAppId: number;
  userId: string;
  deviceId: string;
  platform: Platform;
  authorizer: Record<string, unknown>;
  /** The client still holds it: not closed by the server, not dropped. */
  open: boolean;
  requests: number;
  last?: { requestId: string; action: string; body: string };
  /** The device's last sign of life as the store last showed it (login, heartbeat). */
  lastSeen?: number;
}

/** A UserSig and what it says: issued at (Unix seconds), valid for (seconds). */
interface Credential {
  sig: string;
  issued: number;
  lifetime: number;
}

/** A request frame sent during the current step (or concurrent group), and what the handler returned. */
interface Request {
  conn: Conn;
  requestId: string;
  action: string;
  data: Record<string, unknown>;
  at: number;
  body?: string;
  /** Filled in by the checker: the code and data of its one answer, and the first answer if it repeats an earlier request. */
  code?: number;
  answer?: Record<string, unknown>;
  replayOf?: { code: number; answer: Record<string, unknown> };
}

/** The fakes' state at one moment: references to items and partitions, which the fakes replace rather than change. */
interface Snapshot {
  now: number;
  calls: Map<string, CallItem>;
  users: Map<string, Partition>;
}

const key = (sdkAppId: number, id: string) => `${sdkAppId}#${id}`;
const userIn = (snap: Snapshot, sdkAppId: number, userId: string): UserView => viewOf(snap.users.get(key(sdkAppId, userId)));
const isLiveMember = (m: Member | undefined) => m?.state === 'ringing' || m?.state === 'joined';
const parse = (text: string) => JSON.parse(text) as Record<string, unknown>;

/** UserSigs are deterministic (app, user, lifetime, issue second), and making one costs a deflate: runs share them. */
const SIGS = new Map<string, string>();
function userSig(app: App, userId: string, expireSec: number, nowSec: number): string {
  const k = `${app.sdkAppId}|${userId}|${expireSec}|${nowSec}`;
  let sig = SIGS.get(k);
  if (!sig) SIGS.set(k, (sig = genUserSig({ sdkAppId: app.sdkAppId, userId, key: app.secretKeys[0] ?? '', expireSec, nowSec })));
  return sig;
}

/** The SQS event the timers function receives for some messages. */
const sqsEvent = (messages: QueuedMessage[]): SQSEvent => ({
  Records: messages.map((m) => ({
    messageId: `m-${m.id}`,
    receiptHandle: `rh-${m.id}`,
    body: m.body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(m.sentAt), SenderId: 'test', ApproximateFirstReceiveTimestamp: String(m.dueAt) },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:local:000000000000:timers',
    awsRegion: 'local',
  })),
});

class World {
  readonly f: Fakes;
  readonly app: App;
  readonly otherApp: App;
  readonly users: string[];
  readonly conns: Conn[] = [];
  readonly byId = new Map<string, Conn>();
  /** Calls the clients learnt of (answers and events), oldest first. */
  readonly knownCalls: { sdkAppId: number; callId: string }[] = [];
  readonly trace: string[] = [];
  /** Awaited before every fake I/O: set while a concurrent group runs, so each I/O is a scheduling point. */
  gate: ((op: string) => Promise<unknown> | undefined) | undefined;
  /**
   * Concurrent requests on one call can leave a line held for a call its user already left (each
   * effect runs after its own write, without transactions). Such a line is stale: the next `calls`,
   * `inviteUser` or `join` takes it over (`takeLine`), so it never makes her busy. The concurrent
   * property tolerates stale lines and checks that instead; the sequential one allows none.
   */
  staleLinesTolerated = false;
  /** The requests of the current step or group. */
  window: Request[] = [];
  /** Timer firings and sweeps of the current step (for their own checks). */
  fired: { msg: QueuedMessage; at: number }[] = [];
  swept: number | undefined;
  /** How many callbacks were enqueued before the current step. */
  callbacksBefore = 0;
  /** Each user's first credential, which a client may present again later (after a REST kick it must be refused). */
  private readonly firstSig = new Map<string, Credential>();
  private readonly message;
  private readonly disconnectHandler;
  private readonly connectHandler = makeConnect();
  private readonly authorizer;
  private readonly sweeper;
  private closedSeen = 0;
  private logins = 0;

  /** `skip`: known bugs whose checks are skipped (the properties take FC_SKIP; the regression examples skip nothing). */
  constructor(
    readonly universe: Universe,
    private readonly skip: ReadonlySet<string> = new Set(),
  ) {
    this.users = universe.devices.map((_, i) => `u${i}`);
    this.app = testApp(APP_ID, { loginPolicy: universe.loginPolicy, maxDevicesPerPlatform: universe.maxDevicesPerPlatform, groupJoinPolicy: universe.groupJoinPolicy });
    this.otherApp = testApp(OTHER_APP_ID);
    this.f = fakeDeps({ now: T0, apps: [this.app, this.otherApp], gate: (op) => this.gate?.(op) });
    for (const app of [this.app, this.otherApp]) this.f.callbackConfigs.configs.set(app.sdkAppId, { v4: { Url: 'https://app.example.com/callback', CallbackCommandList: CALLBACK_COMMANDS } });
    this.message = makeMessage(this.f.deps);
    this.disconnectHandler = makeDisconnect(this.f.deps);
    this.sweeper = makeSweeper(this.f.deps);
    this.authorizer = makeAuthorizer({ apps: this.f.apps, users: this.f.users, now: () => this.f.clock.now(), newLoginId: () => `login-${++this.logins}`, log: this.f.log });
  }

  get now(): number {
    return this.f.clock.now();
  }

  /** Whether the check of a known bug runs (see the regression examples). */
  checks(bug: KnownBug): boolean {
    return !this.skip.has(bug);
  }

  /** Runs a handler; an exception escaping it breaks "no exception escapes a handler". */
  async invoke<T>(name: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof InvariantViolation) throw err;
      throw new InvariantViolation(`an exception escaped the ${name} handler: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }

  note(text: string): void {
    this.trace.push(`+${((this.now - T0) / 1000).toFixed(3)}s ${text}`);
  }

  /** Connection `i` among the open ones (undefined when none is open). */
  private openConn(i: number): Conn | undefined {
    const open = this.conns.filter((c) => c.open);
    return open[i % Math.max(1, open.length)];
  }

  /** The connection a frame comes from: for an action on a call, mostly one of its ringing or in-call devices. */
  private actor(step: Extract<Step, { kind: 'frame' }>): Conn | undefined {
    const call = 'call' in step.frame ? this.f.calls.items.get(key(APP_ID, this.callIdAt(step.frame.call)))?.stored.call : undefined;
    const ids = new Set(
      call?.members.flatMap((m) => (step.by === 'ringing' ? m.ringing.map((d) => d.connectionId) : step.by === 'joined' && m.state === 'joined' && m.device ? [m.device.connectionId] : [])),
    );
    const candidates = this.conns.filter((c) => c.open && ids.has(c.id));
    return candidates.length > 0 ? candidates[step.conn % candidates.length] : this.openConn(step.conn);
  }

  /** A user named by `userIndexes`, relative to the sender. */
  private userAt(i: number, sender: string): string {
    if (i === SELF) return sender;
    if (i === NEVER_LOGGED_IN) return GHOST;
    const others = this.users.filter((u) => u !== sender);
    return others[i % others.length] as string;
  }

  /** A known call id (0 = the latest), or one that never existed. */
  callIdAt(i: number): string {
    if (i >= 90 || this.knownCalls.length === 0) return 'no-such-call';
    return (this.knownCalls[this.knownCalls.length - 1 - (i % this.knownCalls.length)] as { callId: string }).callId;
  }

  learnCall(sdkAppId: number, callId: unknown): void {
    if (typeof callId === 'string' && !this.knownCalls.some((c) => c.sdkAppId === sdkAppId && c.callId === callId)) this.knownCalls.push({ sdkAppId, callId });
  }

  async run(step: Step): Promise<void> {
    switch (step.kind) {
      case 'connect': {
        const conn = await this.connect(step);
        if (conn && step.login) await this.send(conn, 'login', { platform: conn.platform, deviceId: conn.deviceId });
        return;
      }
      case 'frame': {
        const conn = this.actor(step);
        if (!conn) return;
        const { action, data } = this.frameOf(conn, step.frame);
        return this.send(conn, action, data);
      }
      case 'repeat': {
        const conn = this.openConn(step.conn);
        if (!conn?.last) return;
        return this.send(conn, conn.last.action, JSON.parse(conn.last.body).data, conn.last.requestId);
      }
      case 'disconnect': {
        const conn = this.openConn(step.conn);
        if (!conn) return;
        this.note(`${conn.id} goes away${step.notify ? '' : ' ($disconnect lost)'}`);
        conn.open = false;
        this.f.connections.gone.add(conn.id);
        if (step.notify) await this.invoke('$disconnect', () => this.disconnectHandler(this.wsEvent(conn, '$disconnect')));
        return;
      }
      case 'heartbeats':
        await Promise.all(this.conns.filter((c) => c.open).map((c) => this.send(c, 'heartbeat', {})));
        return;
      case 'advance':
        this.f.clock.advance(step.ms);
        return;
      case 'timer':
        return this.timer(step);
      case 'sweep': {
        const { heartbeatTimeoutSec, sweeperPeriodSec } = this.f.deps.timing;
        this.f.clock.advance({ none: 0, period: sweeperPeriodSec * 1000, expire: (heartbeatTimeoutSec + 1) * 1000 }[step.advance]);
        return this.sweep();
      }
      case 'admin':
        return this.admin(step);
    }
  }

  /** The UserSig a client presents: a fresh one, a short-lived one, or the user's very first one again. */
  private credentialFor(app: App, userId: string, kind: 'fresh' | 'first' | 'short'): Credential {
    const nowSec = Math.floor(this.now / 1000);
    const lifetime = kind === 'short' ? 120 : 86_400;
    const fresh = { sig: userSig(app, userId, lifetime, nowSec), issued: nowSec, lifetime };
    const sigKey = key(app.sdkAppId, userId);
    if (!this.firstSig.has(sigKey)) this.firstSig.set(sigKey, fresh);
    return kind === 'first' ? (this.firstSig.get(sigKey) as Credential) : fresh;
  }

  /**
   * A handshake through the REQUEST authorizer and `$connect`: it must be refused exactly when the credential
   * has expired or was issued before the user's REST kick (invariant 6).
   */
  private async connect(step: Extract<Step, { kind: 'connect' }>): Promise<Conn | undefined> {
    const app = step.foreign ? this.otherApp : this.app;
    const u = step.user % this.users.length;
    const userId = this.users[u] as string;
    const device = step.device % (step.foreign ? 1 : (this.universe.devices[u] ?? 1));
    const credential = this.credentialFor(app, userId, step.credential);
    const id = `${step.foreign ? 'x-' : ''}${userId}.d${device}#${this.conns.length + 1}`;
    const event = { type: 'REQUEST', methodArn: 'arn:aws:execute-api:local:000000000000:api/local/$connect', queryStringParameters: { sdkappid: String(app.sdkAppId), userid: userId, usersig: credential.sig } };
    // Throwing `Unauthorized` is how an authorizer answers HTTP 401; anything else escaping it is a failure.
    const policy = await this.invoke('authorizer', () =>
      this.authorizer(event as unknown as APIGatewayRequestAuthorizerEvent).catch((err: unknown) => {
        if (err instanceof Error && err.message === 'Unauthorized') return undefined;
        throw err;
      }),
    );
    const allowed = policy !== undefined && policy.policyDocument.Statement.every((s) => (s as { Effect: string }).Effect === 'Allow');
    this.note(`connect ${id} (${step.credential} credential): ${allowed ? 'allowed' : 'refused'}`);
    const nowSec = Math.floor(this.now / 1000);
    const validAfter = this.f.users.partitions.get(key(app.sdkAppId, userId))?.profile?.credentialsValidAfter;
    const valid = nowSec < credential.issued + credential.lifetime && !(validAfter !== undefined && credential.issued < validAfter);
    if (allowed !== valid) this.fail('the handshake refuses exactly expired credentials and those issued before a REST kick (invariant 6)', { credential, validAfter, nowSec });
    if (!policy || !allowed) return undefined;
    const conn: Conn = { id, sdkAppId: app.sdkAppId, userId, deviceId: `${userId}-dev${device}`, platform: PLATFORMS[(u + device) % 2] as Platform, authorizer: { ...policy.context, principalId: userId }, open: true, requests: 0 };
    const connected = await this.invoke('$connect', () => this.connectHandler(this.wsEvent(conn, '$connect')));
    if (connected.statusCode !== 200) this.fail('$connect accepts an authorized connection', connected);
    this.conns.push(conn);
    this.byId.set(id, conn);
    if (step.flaky) this.f.connections.failing.add(id);
    return conn;
  }

  wsEvent(conn: Conn, routeKey: string, body?: string): WsEvent {
    return { requestContext: { connectionId: conn.id, routeKey, identity: { sourceIp: '198.51.100.7' }, authorizer: conn.authorizer }, ...(body === undefined ? {} : { body }) };
  }

  private frameOf(conn: Conn, spec: FrameSpec): { action: string; data: Record<string, unknown> } {
    const users = (to: number[]) => [...new Set(to.map((i) => this.userAt(i, conn.userId)))];
    switch (spec.action) {
      case 'login':
        return { action: 'login', data: { platform: conn.platform, deviceId: conn.deviceId } };
      case 'calls':
        return { action: 'calls', data: { userIdList: users(spec.to), mediaType: spec.media, params: { timeout: spec.timeout, ...(spec.group ? { chatGroupId: 'team' } : {}) } } };
      case 'accept':
      case 'reject':
      case 'ignore':
      case 'hangup':
        return { action: spec.action, data: { callId: this.callIdAt(spec.call), ...(spec.action === 'hangup' && spec.interrupt ? { reason: 'Interrupt' } : {}) } };
      case 'inviteUser':
        return { action: 'inviteUser', data: { callId: this.callIdAt(spec.call), userIdList: users(spec.to), params: { timeout: spec.timeout } } };
      case 'join':
        return { action: 'join', data: { callId: this.callIdAt(spec.call) } };
      case 'switchCallMediaType':
        return { action: 'switchCallMediaType', data: { callId: this.callIdAt(spec.call), mediaType: spec.media } };
      case 'enableMultiDeviceAbility':
        return { action: 'enableMultiDeviceAbility', data: { enable: spec.enable } };
      case 'getUserStatus':
        return { action: 'getUserStatus', data: { userIdList: this.users } };
      default:
        return { action: spec.action, data: {} };
    }
  }

  /**
   * Sends one request frame through the message handler (what the route would do). Request ids are unique per
   * device across its connections, as the bundled SDK makes them (see the regression example on request ids).
   */
  async send(conn: Conn, action: string, data: Record<string, unknown>, requestId = `${conn.id}/${++conn.requests}`): Promise<void> {
    const body = JSON.stringify({ action, requestId, data });
    conn.last = { requestId, action, body };
    const request: Request = { conn, requestId, action, data, at: this.now };
    this.window.push(request);
    const result = await this.invoke(`ws-message (${action})`, () => this.message(this.wsEvent(conn, action, body)));
    if (result.statusCode !== 200) this.fail('the message handler answers HTTP 200 (the answer is in the frame)', { action, result });
    if (result.body !== undefined) request.body = result.body;
  }

  private async timer(step: Extract<Step, { kind: 'timer' }>): Promise<void> {
    const queue = this.f.timers;
    const msg = queue.pending[step.pick % Math.max(1, queue.pending.length)];
    if (!msg) return;
    queue.remove(msg);
    const what = `timer ${(JSON.parse(msg.body) as { type: string }).type} (due +${((msg.dueAt - T0) / 1000).toFixed(3)}s)`;
    if (step.mode === 'lose') return this.note(`${what} is lost`);
    if (step.mode === 'due' || step.mode === 'twice') this.f.clock.advanceTo(msg.dueAt);
    if (step.mode === 'late') this.f.clock.advanceTo(msg.dueAt + step.lateMs);
    this.note(`${what} fires ${step.mode}`);
    await this.fire(msg);
    if (step.mode === 'twice') await this.fire(msg);
  }

  /** Delivers one timer message to a fresh timers function (one invocation per batch, as Lambda runs them). */
  async fire(msg: QueuedMessage): Promise<void> {
    this.fired.push({ msg, at: this.now });
    const out = await this.invoke('timers', () => makeTimers(this.f.deps)(sqsEvent([msg])));
    if (out.batchItemFailures.length > 0) this.fail('a timer message never fails (SQS would retry it)', msg.body);
  }

  async sweep(): Promise<void> {
    this.note('sweeper runs');
    this.swept = this.now;
    await this.invoke('sweeper', () => this.sweeper({} as ScheduledEvent));
  }

  private async admin(step: Extract<Step, { kind: 'admin' }>): Promise<void> {
    const userId = this.users[step.user % this.users.length] as string;
    const { deps } = this.f;
    this.note(`admin ${step.action} ${step.action === 'endCall' ? this.callIdAt(step.call) : userId}`);
    await this.invoke(`REST ${step.action}`, async () => {
      if (step.action === 'revokeLogins') await revokeLogins(deps, APP_ID, userId);
      if (step.action === 'forceLogout') await forceLogout(deps, APP_ID, userId);
      if (step.action === 'forceLogoutOne') await forceLogout(deps, APP_ID, userId, this.conns[step.conn % Math.max(1, this.conns.length)]?.id ?? 'none');
      if (step.action === 'deleteAccount') await deleteAccount(deps, APP_ID, userId);
      if (step.action === 'endCall') await this.endCall(this.callIdAt(step.call));
    });
  }

  /** REST `end_call`, through its route: 101004 for a call that does not exist or has ended. */
  private async endCall(callId: string): Promise<void> {
    const route = v4CallRoutes.find((r) => r.path === 'call_engine_http_srv/end_call');
    const ctx = { deps: this.f.deps, app: this.app, identifier: 'administrator', generation: 'v4' as const, sourceIp: '' };
    await route?.handle(ctx, { CallId: callId }).catch((err: unknown) => {
      if (!(err instanceof RestError && err.code === 101004)) throw err;
    });
  }

  /** What API Gateway does after the server closed connections: the clients lose them, `$disconnect` runs. */
  async settle(): Promise<void> {
    while (this.closedSeen < this.f.connections.closed.length) {
      const conn = this.byId.get(this.f.connections.closed[this.closedSeen++] as string);
      if (!conn) continue;
      const wasOpen = conn.open;
      conn.open = false;
      if (wasOpen) await this.invoke('$disconnect', () => this.disconnectHandler(this.wsEvent(conn, '$disconnect')));
    }
  }

  /** A call as the store holds it now (no copy: items are replaced, never changed in place). */
  callNow(sdkAppId: number, callId: unknown): Call | undefined {
    return typeof callId === 'string' ? this.f.calls.items.get(key(sdkAppId, callId))?.stored.call : undefined;
  }

  snapshot(): Snapshot {
    return { now: this.now, calls: new Map(this.f.calls.items), users: new Map(this.f.users.partitions) };
  }

  fail(what: string, detail: unknown): never {
    throw new InvariantViolation(`${what}\n  ${typeof detail === 'string' ? detail : JSON.stringify(detail)}\n--- trace ---\n${this.trace.join('\n')}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The invariants, checked after every step (or concurrent group).

interface EventFrame {
  type: 'event';
  event: string;
  callId?: string;
  seq?: number;
  data: Record<string, unknown>;
}

/** Checks DESIGN.md's invariants 1–7 (and the protocol's answer rules) against the fakes after each step. */
class Checker {
  private posts = 0;
  private callbacks = 0;
  private logs = 0;
  /** Per `connection|callId`: the frames it received, by seq. */
  private readonly seqs = new Map<string, Map<number, string>>();
  /** Every callback event id enqueued so far, with its message. */
  private readonly eventIds = new Map<string, string>();
  /** The first answer to each `connection|requestId`. */
  private readonly firstAnswers = new Map<string, { code: number; answer: Record<string, unknown> }>();
  /** Per `app#callId`: the callback Seqs enqueued (one per event id). */
  private readonly callbackSeqs = new Map<string, number[]>();
  /** Per `app#callId|command`: how many callbacks were enqueued. */
  private readonly commands = new Map<string, number>();

  constructor(private readonly w: World) {}

  /** Everything after a step or group: answers, logs, events, gone devices, store, callbacks, records. */
  afterWindow(before: Snapshot, concurrent: boolean): { posts: Post[] } {
    const posts = this.w.f.connections.posts.slice(this.posts);
    this.posts = this.w.f.connections.posts.length;
    this.checkAnswers(posts, concurrent);
    this.checkLogs();
    this.checkEvents(before, posts, concurrent);
    this.checkGoneDevices(posts);
    this.checkCalls();
    this.checkLines();
    this.checkCallbacks();
    for (const c of this.w.conns) {
      const d = this.w.f.users.partitions.get(key(c.sdkAppId, c.userId))?.devices.get(c.id);
      if (d) c.lastSeen = d.lastSeenAt;
    }
    return { posts };
  }

  /**
   * Every request gets exactly one answer — a response (returned to the route, or posted) with a code documented
   * for its action, never 101001 — or, when the connection is over its frame rate, an `onError` -1401 instead.
   */
  private checkAnswers(posts: Post[], concurrent: boolean): void {
    const w: World = this.w;
    const frames = posts.map((p) => ({ p, frame: parse(p.frame) }));
    const posted = frames.filter(({ frame }) => frame.type === 'response');
    // A refused frame's onError carries no requestId: it answers some request of that connection.
    const refusals = frames.filter(({ frame }) => frame.event === 'onError').map(({ p, frame }) => ({ connectionId: p.connectionId, frame }));
    const byKey = new Map<string, Request[]>();
    for (const r of w.window) byKey.set(`${r.conn.id}|${r.requestId}`, [...(byKey.get(`${r.conn.id}|${r.requestId}`) ?? []), r]);
    for (const [k, requests] of byKey) {
      const [connId, requestId] = k.split('|');
      const answers = [
        ...requests.flatMap((r) => (r.body === undefined ? [] : [parse(r.body)])),
        ...posted.filter(({ p, frame }) => p.connectionId === connId && frame.requestId === requestId).map(({ frame }) => frame),
      ];
      while (answers.length < requests.length && refusals.some((x) => x.connectionId === connId)) {
        answers.push(refusals.splice(refusals.findIndex((x) => x.connectionId === connId), 1)[0]?.frame as Record<string, unknown>);
      }
      if (answers.length !== requests.length) w.fail('every request gets exactly one answer', { request: k, action: requests[0]?.action, answers });
      requests.forEach((r, i) => {
        const a = answers[i] as Record<string, unknown>;
        if (a.type === 'event') {
          if (a.event !== 'onError' || (a.data as { code?: number }).code !== -1401) w.fail('a frame is answered by a response, or by onError -1401 when over the frame rate', a);
          r.code = -1401;
          r.answer = {};
          return;
        }
        const code = a.code as number;
        const allowed = [...(CODES[r.action] ?? []), 6206, ...(concurrent ? [CONTENTION] : [])];
        if (a.type !== 'response' || a.action !== r.action || !allowed.includes(code)) w.fail(`${r.action} answers only documented codes (${allowed.join(', ')}), never 101001`, a);
        r.code = code;
        r.answer = (a.data ?? {}) as Record<string, unknown>;
        const first = this.firstAnswers.get(k);
        if (first) r.replayOf = first;
        else this.firstAnswers.set(k, { code, answer: r.answer });
        w.learnCall(r.conn.sdkAppId, r.answer.callId);
      });
    }
    for (const { p, frame } of posted) {
      if (!w.window.some((r) => r.conn.id === p.connectionId && r.requestId === frame.requestId)) w.fail('responses go only to the requesting connection', frame);
    }
    if (refusals.length > 0) w.fail('onError -1401 answers a frame of that connection', refusals);
  }

  /** Nothing failed inside: no error is logged, except posts to connections that answer HTTP 500. */
  private checkLogs(): void {
    const problems = this.w.f.log.problems.slice(this.logs);
    this.logs = this.w.f.log.problems.length;
    const deliveries = ['event delivery failed', 'posting to the connection failed'];
    const errors = problems.filter((p) => p.level === 'error' && !deliveries.includes(p.message));
    if (errors.length > 0) this.w.fail('no use case fails (nothing logged as an error)', errors);
  }

  /**
   * Events reach only devices of the call's members in the same app, with `seq` at most the call's. A device
   * never receives two different events under one seq of a call (a redelivery — a retried request doing its
   * effects again — is the very same frame); when steps run one at a time, each new event has a higher seq
   * than those it had, and an ended call sends nothing new.
   */
  private checkEvents(before: Snapshot, posts: Post[], concurrent: boolean): void {
    const w: World = this.w;
    for (const p of posts) {
      const frame = parse(p.frame) as unknown as EventFrame;
      if (frame.type !== 'event') continue;
      const conn = w.byId.get(p.connectionId);
      if (!conn) w.fail('events go only to connections that exist', p);
      if (frame.callId === undefined) {
        if (!['onKickedOffline', 'onUserSigExpired', 'onError'].includes(frame.event)) w.fail('events without a call are onKickedOffline / onUserSigExpired / onError', frame);
        continue;
      }
      w.learnCall(conn.sdkAppId, frame.callId);
      const call = w.callNow(conn.sdkAppId, frame.callId);
      if (!call) w.fail('call events reach only devices of the same app (tenancy)', { to: p.connectionId, frame });
      if (!call.members.some((m) => m.userId === conn.userId)) w.fail("call events reach only members' devices", { to: p.connectionId, frame });
      if (frame.data.callId !== frame.callId || typeof frame.seq !== 'number' || frame.seq > call.seq) w.fail('every event carries its callId and a seq the call has used', frame);
      const k = `${p.connectionId}|${frame.callId}`;
      const seen = this.seqs.get(k) ?? new Map<number, string>();
      const earlier = seen.get(frame.seq);
      if (earlier !== undefined) {
        // The same event again (`time` aside, which is the same too): a redelivery.
        if (earlier !== p.frame) w.fail('a device never receives two different events under one seq of a call', { to: p.connectionId, earlier, now: p.frame });
        continue;
      }
      if (before.calls.get(key(conn.sdkAppId, frame.callId))?.stored.call.status === 'ended') w.fail('an ended call sends no new event', { to: p.connectionId, frame });
      const last = Math.max(0, ...seen.keys());
      if (!concurrent && frame.seq <= last) w.fail("a device receives a call's events in increasing seq", { to: p.connectionId, seq: frame.seq, last });
      seen.set(frame.seq, p.frame);
      this.seqs.set(k, seen);
    }
  }

  /** Invariant 7: a call event that found its connection gone (410) removed that device. */
  private checkGoneDevices(posts: Post[]): void {
    for (const p of posts) {
      if (p.result !== 'gone' || parse(p.frame).callId === undefined) continue;
      const conn = this.w.byId.get(p.connectionId) as Conn;
      const device = this.w.f.users.partitions.get(key(conn.sdkAppId, conn.userId))?.devices.get(conn.id);
      // A login of that very connection running at the same time may write its device again after it was
      // forgotten: left alone, the next event to it or the heartbeat timeout forgets it.
      const relogged = this.w.window.some((r) => r.action === 'login' && r.conn.id === conn.id);
      if (device && !relogged && this.w.checks('gone-device')) this.w.fail('every delivery failure to a gone connection removes that device (invariant 7)', { connection: conn.id, event: parse(p.frame).event });
    }
  }

  /**
   * Each call: members are distinct users; a connected member has exactly one device, hers, and rings nowhere
   * (invariant 1); ringing devices are hers; a live call has someone connected and either a second one or
   * someone ringing, is in the sweeper index no later than its first ring deadline (invariant 3's backstop),
   * and has no record; an ended call has nobody live, is out of the index and has exactly one record, written
   * once, that matches it (invariant 4).
   */
  private checkCalls(): void {
    const w: World = this.w;
    for (const [k, item] of w.f.calls.items) {
      const call = item.stored.call;
      const fail = (what: string, detail: unknown = {}) => w.fail(what, { callId: call.callId, detail, members: call.members.map(brief) });
      if (new Set(call.members.map((m) => m.userId)).size !== call.members.length) fail('a user is at most one member of a call');
      for (const m of call.members) {
        const mine = (connectionId: string) => w.byId.get(connectionId)?.userId === m.userId && w.byId.get(connectionId)?.sdkAppId === call.sdkAppId;
        if (m.state === 'joined' && (!m.device || !mine(m.device.connectionId) || m.ringing.length > 0)) fail('a connected member is in the call on exactly one device of hers (invariant 1)', brief(m));
        if (m.state === 'ringing' && (m.ringDeadline === undefined || !m.ringing.every((d) => mine(d.connectionId)))) fail('a ringing invitation has a deadline and rings only devices of its user', brief(m));
        if (!isLiveMember(m) && m.ringing.length > 0) fail('only a ringing invitation rings', brief(m));
      }
      const joined = call.members.filter((m) => m.state === 'joined').length;
      const ringing = call.members.filter((m) => m.state === 'ringing');
      const attempts = w.f.records.attempts.get(k) ?? 0;
      const record = w.f.records.items.get(k)?.record;
      if (call.status === 'ended') {
        if (joined + ringing.length > 0 || call.endedAt === undefined || call.result === undefined) fail('an ended call has nobody in it and a result');
        // It may stay in the index for one look after its end (a check that its record was written).
        if (item.sweepAt !== undefined && item.sweepAt < (call.endedAt ?? 0)) fail('an ended call is looked at by the sweeper only after its end', item.sweepAt);
        // The conditional put keeps the first record; a retried request may try again (`attempts` > 1), never overwrite.
        if (attempts < 1 || JSON.stringify(record) !== JSON.stringify(toRecord(call))) fail('an ended call has exactly one record, and it matches the call (invariant 4)', { attempts, record });
      } else {
        if (joined === 0 || (joined === 1 && ringing.length === 0)) fail('a live call has someone in it, and a second member or an invitation ringing');
        if ((call.status === 'connected') !== (call.acceptedAt !== undefined)) fail('a call is connected once someone answered');
        const firstDeadline = Math.min(...ringing.map((m) => m.ringDeadline ?? Infinity));
        if (item.sweepAt === undefined || item.sweepAt > firstDeadline) fail('a live call is in the sweeper index by its first ring deadline (a lost timer is caught)', { sweepAt: item.sweepAt, firstDeadline });
        if (attempts !== 0 || record) fail('a live call has no record', { attempts });
      }
    }
  }

  /**
   * Invariant 2: a user is in at most one live call, and lines say which: a member ringing or connected in a
   * live call holds her line for it, and every line is held for a live call she is ringing or connected in.
   */
  private checkLines(): void {
    const w: World = this.w;
    for (const item of w.f.calls.items.values()) {
      const call = item.stored.call;
      if (call.status === 'ended') continue;
      for (const m of call.members.filter(isLiveMember)) {
        const line = w.f.users.partitions.get(key(call.sdkAppId, m.userId))?.line;
        if (line?.callId !== call.callId && w.checks('lines')) w.fail('a member ringing or connected in a live call holds her line for it (invariant 2)', { callId: call.callId, user: m.userId, state: m.state, line });
      }
    }
    for (const [k, p] of w.f.users.partitions) {
      if (p.line?.callId === undefined) continue;
      const call = w.f.calls.items.get(key(Number(k.split('#')[0]), p.line.callId))?.stored.call;
      const userId = k.slice(k.indexOf('#') + 1);
      const member = call?.members.find((m) => m.userId === userId);
      const stale = !call || call.status === 'ended' || !isLiveMember(member);
      if (stale && w.staleLinesTolerated && call) continue;
      if (stale && w.checks('lines')) {
        w.fail('a line is held only for a live call its user is ringing or connected in; an ended call holds none (invariant 2)', { user: k, line: p.line, call: call && { status: call.status, member: member && brief(member) } });
      }
    }
  }

  /**
   * Invariant 4: with every command configured, each callback event of a call is enqueued under one stable
   * event id (a retried request may enqueue it again: the very same message, delivered once by the worker):
   * the call's callback Seqs are exactly 1..callbackSeq; one AfterStartCall per call, one AfterEndCall per ended call.
   */
  private checkCallbacks(): void {
    const w: World = this.w;
    for (const m of w.f.callbacks.sent.slice(this.callbacks)) {
      const msg = parse(m.body) as { eventId: string; sdkAppId: number; command: string };
      const earlier = this.eventIds.get(msg.eventId);
      if (earlier !== undefined && earlier !== m.body && w.checks('redo-callback')) w.fail('a callback event id always names the same message', { earlier, now: m.body });
      if (earlier !== undefined) continue;
      this.eventIds.set(msg.eventId, m.body);
      const dot = msg.eventId.lastIndexOf('.');
      const k = key(msg.sdkAppId, msg.eventId.slice(0, dot));
      this.callbackSeqs.set(k, [...(this.callbackSeqs.get(k) ?? []), Number(msg.eventId.slice(dot + 1))]);
      this.commands.set(`${k}|${msg.command}`, (this.commands.get(`${k}|${msg.command}`) ?? 0) + 1);
    }
    this.callbacks = w.f.callbacks.sent.length;
    for (const [k, item] of w.f.calls.items) {
      const call = item.stored.call;
      const seqs = [...(this.callbackSeqs.get(k) ?? [])].sort((a, b) => a - b);
      if (seqs.length !== call.callbackSeq || seqs.some((s, i) => s !== i + 1)) w.fail('each callback event of a call is enqueued: Seqs 1..callbackSeq, each once (invariant 4)', { callId: call.callId, callbackSeq: call.callbackSeq, seqs });
      const ended = call.status === 'ended' ? 1 : 0;
      if ((this.commands.get(`${k}|Call.CallbackAfterStartCall`) ?? 0) !== 1 || (this.commands.get(`${k}|Call.CallbackAfterEndCall`) ?? 0) !== ended) {
        w.fail('one AfterStartCall per call and one AfterEndCall per ended call (invariant 4)', { callId: call.callId, ended });
      }
    }
  }
}

const brief = (m: Member) => ({ userId: m.userId, state: m.state, device: m.device?.connectionId, ringing: m.ringing.map((d) => d.connectionId), ringDeadline: m.ringDeadline });

// ---------------------------------------------------------------------------------------------------------------
// What each kind of step must have done, judged against the state just before it (steps one at a time).

const callIn = (snap: Snapshot, sdkAppId: number, callId: unknown): Call | undefined => (typeof callId === 'string' ? snap.calls.get(key(sdkAppId, callId))?.stored.call : undefined);
/** The live call the user is ringing or connected in (at most one, by invariant 2). */
const liveCallOf = (snap: Snapshot, sdkAppId: number, userId: string): Call | undefined =>
  [...snap.calls.values()].map((i) => i.stored.call).find((c) => c.sdkAppId === sdkAppId && c.status !== 'ended' && isLiveMember(c.members.find((m) => m.userId === userId)));
/** The frames of one event of one call in some posts, with their recipients. */
const eventsOf = (posts: Post[], callId: string, event: string) =>
  posts.map((p) => ({ to: p.connectionId, frame: parse(p.frame) as unknown as EventFrame })).filter(({ frame }) => frame.type === 'event' && frame.callId === callId && frame.event === event);

function checkStep(w: World, before: Snapshot, posts: Post[]): void {
  for (const r of w.window) checkRequest(w, before, r, posts);
  for (const { msg, at } of w.fired) checkTimer(w, before, msg, at);
  if (w.swept !== undefined) checkSweep(w, before, w.swept);
}

/** Her other devices that were ringing got `onCallNotConnected` with `reason` (accept and reject on one device). */
function checkOthersTold(w: World, posts: Post[], r: Request, me: Member, reason: string): void {
  const told = eventsOf(posts, r.data.callId as string, 'onCallNotConnected').filter(({ frame }) => frame.data.reason === reason);
  for (const d of me.ringing.filter((d) => d.connectionId !== r.conn.id)) {
    if (told.filter((t) => t.to === d.connectionId).length !== 1) w.fail(`her other ringing devices are told ${reason} once (invariant 1)`, { request: r.action, device: d.connectionId });
  }
}

/** Actions whose successful answer is stored on the call, so that a retry with the same requestId replays it. */
const REPLAYED = ['calls', 'accept', 'reject', 'ignore', 'hangup', 'inviteUser', 'join', 'switchCallMediaType'];

function checkRequest(w: World, before: Snapshot, r: Request, posts: Post[]): void {
  const { conn } = r;
  const app = conn.sdkAppId;
  if (r.code === 6206) return;
  if (r.replayOf) {
    // ws-protocol.md: a repeated requestId with the same action returns the first answer again and does nothing twice.
    if (r.replayOf.code === 0 && REPLAYED.includes(r.action) && w.checks('replays') && (r.code !== 0 || JSON.stringify(r.answer) !== JSON.stringify(r.replayOf.answer))) {
      w.fail('a retried request (same requestId) gets its first answer again', { request: `${conn.id} ${r.action} ${JSON.stringify(r.data)}`, first: r.replayOf, now: { code: r.code, answer: r.answer } });
    }
    return;
  }
  const call = callIn(before, app, r.data.callId);
  const after = w.callNow(app, r.data.callId);
  const me = call?.members.find((m) => m.userId === conn.userId);
  const meAfter = after?.members.find((m) => m.userId === conn.userId);
  const fail = (what: string) => w.fail(what, { request: `${conn.id} ${r.action} ${JSON.stringify(r.data)} → ${r.code}`, before: me && brief(me), after: meAfter && brief(meAfter) });
  const live = call !== undefined && call.status !== 'ended';
  const beforeDeadline = me?.ringDeadline !== undefined && r.at < me.ringDeadline;
  if (r.code === 0 && ['accept', 'reject', 'ignore', 'hangup', 'inviteUser', 'switchCallMediaType'].includes(r.action) && !me) fail('a user acts only on calls of her own app she is a member of (invariant 6)');
  switch (r.action) {
    case 'accept':
      // (Unless this connection never logged in: -1201 comes first.)
      if (me?.state === 'joined' && me.role === 'Called' && r.code !== 8010 && (r.code !== -1201 || before.users.get(key(app, conn.userId))?.devices.has(conn.id))) {
        fail('first answer wins: once she is connected, any further accept is 8010 (invariant 1)');
      }
      if (r.code !== 0) return;
      if (!live || me?.state !== 'ringing' || !beforeDeadline) fail('accept succeeds only for an invitation ringing before its deadline');
      if (meAfter?.state !== 'joined' || meAfter.device?.connectionId !== conn.id) fail('the accepting device is her device in the call');
      return checkOthersTold(w, posts, r, me as Member, 'OtherDeviceAccepted');
    case 'reject':
      if (r.code !== 0) return;
      if (!live || me?.state !== 'ringing' || !beforeDeadline || meAfter?.state !== 'rejected') fail('reject succeeds only for a ringing invitation, and rejects it for the user');
      return checkOthersTold(w, posts, r, me as Member, 'OtherDeviceReject');
    case 'ignore': {
      if (r.code !== 0) return;
      const rest = me?.ringing.filter((d) => d.connectionId !== conn.id).map((d) => d.connectionId);
      if (!live || me?.state !== 'ringing' || meAfter?.state !== 'ringing' || JSON.stringify(meAfter.ringing.map((d) => d.connectionId)) !== JSON.stringify(rest)) fail('ignore silences only the device that sent it');
      return;
    }
    case 'hangup':
      if (r.code === 0 && (!live || !isLiveMember(me))) fail('hangup succeeds only for a member ringing or connected in a live call');
      return;
    case 'join':
      if (r.code !== 0) return;
      if (!live || call.callType !== 'MultiCall' || (w.app.groupJoinPolicy === 'invited' && app === APP_ID && !me)) fail('join succeeds only for a live group call she may join');
      if (meAfter?.state !== 'joined' || meAfter.device?.connectionId !== conn.id) fail('the joining device is her device in the call');
      return;
    case 'inviteUser':
      if (r.code !== 0) return;
      if (!live || call.callType !== 'MultiCall' || me?.state !== 'joined') fail('only a member in a live group call invites');
      return checkBusy(w, before, r, after as Call, r.data.userIdList as string[]);
    case 'switchCallMediaType':
      if (r.code === 0 && (call?.status !== 'connected' || me?.state !== 'joined' || after?.mediaType !== r.data.mediaType)) fail('a connected member switches the media type');
      return;
    case 'calls':
      return checkCalls(w, before, r, posts);
    case 'login':
      return checkLogin(w, before, r, posts);
    case 'heartbeat': {
      const device = w.f.users.partitions.get(key(app, conn.userId))?.devices.get(conn.id);
      if (r.code === 0 && device?.lastSeenAt !== r.at) fail('a heartbeat marks the device alive');
      return;
    }
    case 'logout': {
      if (r.code !== 0) return;
      if (w.f.users.partitions.get(key(app, conn.userId))?.devices.has(conn.id) || conn.open) fail('logout forgets the device and closes the connection');
      const was = liveCallOf(before, app, conn.userId);
      const m = was?.members.find((x) => x.userId === conn.userId);
      const nowCall = was && w.callNow(app, was.callId);
      if (m?.state === 'joined' && m.device?.connectionId === conn.id && nowCall?.members.find((x) => x.userId === conn.userId)?.state === 'joined') fail('logging out of the call device leaves the call');
      return;
    }
    case 'enableMultiDeviceAbility':
      if (r.code === 0 && w.f.users.partitions.get(key(app, conn.userId))?.profile?.multiDeviceAbility !== r.data.enable) fail('enableMultiDeviceAbility sets the flag');
      return;
    case 'syncCall':
      if (r.code === 0 && ((r.answer?.call as { callId?: string } | null)?.callId ?? null) !== (liveCallOf(before, app, conn.userId)?.callId ?? null)) fail('syncCall answers her live call');
      return;
  }
}

/** Invariant 2: an invitee is LineBusy exactly when she was ringing or connected in another live call. */
function checkBusy(w: World, before: Snapshot, r: Request, call: Call, invitees: string[]): void {
  for (const userId of invitees) {
    const m = call.members.find((x) => x.userId === userId);
    const elsewhere = liveCallOf(before, call.sdkAppId, userId);
    const busy = elsewhere !== undefined && elsewhere.callId !== call.callId;
    if ((m?.state === 'busy') !== busy || (!busy && m?.state !== 'ringing' && call.status !== 'ended')) {
      w.fail('an invitee in another call (connected or ringing) is LineBusy, any other rings (invariant 2)', { request: `${r.conn.id} ${r.action}`, userId, state: m?.state, elsewhere: elsewhere?.callId });
    }
  }
}

/**
 * `calls`: refused (-1203) exactly when the caller is already in a call, unless it is glare (her `calls` accepts
 * the callee's ringing call); a new call marks busy invitees, and rings every live device of an invitee with
 * multi-device ability, else only her newest login.
 */
function checkCalls(w: World, before: Snapshot, r: Request, posts: Post[]): void {
  const { conn } = r;
  const mine = liveCallOf(before, conn.sdkAppId, conn.userId);
  const fail = (what: string, detail: unknown = {}) => w.fail(what, { request: `${conn.id} calls ${JSON.stringify(r.data)} → ${r.code}`, mine: mine?.callId, detail });
  if (r.code === -1203 && !mine) fail('calls is refused in a call only');
  if (r.code !== 0) return;
  const callId = r.answer?.callId as string;
  if (r.answer?.merged) {
    const me = mine?.members.find((m) => m.userId === conn.userId);
    const list = r.data.userIdList as string[];
    if (mine?.callId !== callId || mine.callType !== 'SingleCall' || me?.state !== 'ringing' || list.length !== 1 || mine.callerId !== list[0]) fail('glare merges only into the callee’s ringing 1v1 call to us');
    return;
  }
  // (A retry with the same requestId is judged as a replay, before this.)
  if (callIn(before, conn.sdkAppId, callId)) fail('a new calls request places a new call, never answers with an existing one');
  if (mine) fail('a user in a call cannot place another one (invariant 2)');
  const call = w.callNow(conn.sdkAppId, callId) as Call;
  checkBusy(w, before, r, call, r.data.userIdList as string[]);
  const hb = w.f.deps.timing.heartbeatTimeoutSec * 1000;
  const pushes = w.f.callbacks.sent
    .slice(w.callbacksBefore)
    .map((m) => parse(m.body))
    .filter((m) => m.command === 'Call.CallbackOfflinePush')
    .map((m) => parse(m.body as string))
    .filter((b) => b.CallId === callId);
  for (const m of call.members.filter((x) => x.role === 'Called' && x.state !== 'busy')) {
    const view = userIn(before, conn.sdkAppId, m.userId);
    const liveDevices = (view?.devices ?? []).filter((d) => d.lastSeenAt >= r.at - hb);
    const rang = new Set(eventsOf(posts, callId, 'onCallReceived').map((e) => e.to).filter((to) => w.byId.get(to)?.userId === m.userId));
    const newest = Math.max(...liveDevices.map((d) => d.loginAt));
    const ok = view?.profile?.multiDeviceAbility
      ? rang.size === liveDevices.length && liveDevices.every((d) => rang.has(d.connectionId))
      : rang.size === Math.min(1, liveDevices.length) && liveDevices.some((d) => rang.has(d.connectionId) && d.loginAt === newest) === rang.size > 0;
    if (!ok) fail('an invitation rings every live device with multi-device ability, else only the newest login', { userId: m.userId, multi: view?.profile?.multiDeviceAbility, live: liveDevices.map((d) => d.connectionId), rang: [...rang] });
    if (liveDevices.length === 0 && !pushes.some((b) => b.To_Account === m.userId && b.Kind === 'Invite')) fail('an invitee with no live device gets an offline push (Call.CallbackOfflinePush)', { userId: m.userId });
  }
}

/**
 * `login` (a first one on its connection): the login policy holds afterwards (`single`: this is her only
 * device; `multi`: other devices are live, other physical devices, at most the limit on this platform), and
 * the device joins what her user is doing: it rings for an invitation still ringing, and takes over the call
 * from an older connection of the same device.
 */
function checkLogin(w: World, before: Snapshot, r: Request, posts: Post[]): void {
  const { conn } = r;
  const k = key(conn.sdkAppId, conn.userId);
  if (r.code !== 0 || before.users.get(k)?.devices.has(conn.id)) return;
  const fail = (what: string, detail: unknown) => w.fail(what, { login: conn.id, detail });
  const devices = [...(w.f.users.partitions.get(k)?.devices.values() ?? [])];
  if (!devices.some((d) => d.connectionId === conn.id)) fail('a login registers the device', devices);
  const app = conn.sdkAppId === APP_ID ? w.app : w.otherApp;
  const others = devices.filter((d) => d.connectionId !== conn.id);
  const hb = w.f.deps.timing.heartbeatTimeoutSec * 1000;
  if (app.loginPolicy === 'single' && others.length > 0) fail('loginPolicy single: the new login is her only device', others.map((d) => d.connectionId));
  const samePlatform = devices.filter((d) => d.platform === conn.platform).length;
  if (others.some((d) => d.lastSeenAt < r.at - hb || d.deviceId === conn.deviceId) || samePlatform > app.maxDevicesPerPlatform) {
    fail('loginPolicy multi: other devices are live, distinct, and at most maxDevicesPerPlatform per platform', devices.map((d) => [d.connectionId, d.platform, d.deviceId]));
  }
  const call = liveCallOf(before, conn.sdkAppId, conn.userId);
  const me = call?.members.find((m) => m.userId === conn.userId);
  if (call && me?.state === 'ringing' && me.ringDeadline !== undefined && r.at < me.ringDeadline && !eventsOf(posts, call.callId, 'onCallReceived').some((e) => e.to === conn.id)) {
    fail('a device that logs in while her invitation rings receives it', call.callId);
  }
  const after = call && w.callNow(conn.sdkAppId, call.callId)?.members.find((m) => m.userId === conn.userId);
  if (me?.state === 'joined' && w.byId.get(me.device?.connectionId ?? '')?.deviceId === conn.deviceId && after?.state === 'joined' && after.device?.connectionId !== conn.id) {
    fail('the call follows her device to its new connection', { was: me.device?.connectionId });
  }
}

/** A ring timer ends every invitation past its deadline; a grace timer takes a member still on that connection out; an expired credential closes it. */
function checkTimer(w: World, before: Snapshot, msg: QueuedMessage, at: number): void {
  const m = JSON.parse(msg.body) as { type: string; sdkAppId: number; callId?: string; userId?: string; connectionId?: string };
  const call = w.callNow(m.sdkAppId, m.callId);
  if (m.type === 'ringTimeout' && call?.status !== 'ended' && call?.members.some((x) => x.state === 'ringing' && (x.ringDeadline ?? Infinity) <= at)) {
    w.fail('a ring timer ends every invitation past its deadline (invariant 3)', call && call.members.map(brief));
  }
  const member = call?.members.find((x) => x.userId === m.userId);
  if (m.type === 'offlineGrace' && call?.status !== 'ended' && member?.state === 'joined' && member.device?.connectionId === m.connectionId) {
    w.fail('after the grace period a member still on the disconnected connection is offline (invariant 3)', brief(member));
  }
  if (m.type === 'credentialExpiry') {
    const device = before.users.get(key(m.sdkAppId, m.userId ?? ''))?.devices.get(m.connectionId ?? '');
    if (device && device.credentialExpiresAt * 1000 <= at && !w.f.connections.gone.has(m.connectionId ?? '')) w.fail('an expired credential closes its connection', m);
  }
}

/** After a sweep at `t`: no invitation rings past its deadline; a due call keeps only members whose devices heartbeat, or who joined, within the timeout (invariant 3). */
function checkSweep(w: World, before: Snapshot, t: number): void {
  const hb = w.f.deps.timing.heartbeatTimeoutSec * 1000;
  for (const [k, item] of w.f.calls.items) {
    const call = item.stored.call;
    if (call.status === 'ended') continue;
    if (call.members.some((m) => m.state === 'ringing' && (m.ringDeadline ?? Infinity) <= t)) w.fail('after a sweep no invitation rings past its deadline (invariant 3)', call.members.map(brief));
    const sweepAt = before.calls.get(k)?.sweepAt;
    if (sweepAt === undefined || sweepAt > t) continue;
    for (const m of call.members.filter((x) => x.state === 'joined')) {
      const d = w.f.users.partitions.get(key(call.sdkAppId, m.userId))?.devices.get(m.device?.connectionId ?? '');
      // A device forgotten during this sweep (an event of it found the connection gone) was alive when the
      // sweep looked: the next look takes her out, within the bound `drain` checks.
      if (!d && before.users.get(key(call.sdkAppId, m.userId))?.devices.has(m.device?.connectionId ?? '')) continue;
      // Joining the call is a sign of life too (the device just sent a frame).
      if (!d || Math.max(d.lastSeenAt, m.segments.at(-1)?.from ?? 0) < t - hb) w.fail('after a sweep a due call keeps only members whose device heartbeats (invariant 3)', { callId: call.callId, member: brief(m), lastSeenAt: d?.lastSeenAt });
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Running scenarios.

/** Runs one step (or concurrent group), then lets API Gateway run `$disconnect` for closed connections, then checks. */
async function step(w: World, checker: Checker, work: () => Promise<void>, concurrent = false): Promise<Post[]> {
  const before = w.snapshot();
  w.window = [];
  w.fired = [];
  w.swept = undefined;
  w.callbacksBefore = w.f.callbacks.sent.length;
  await work();
  await w.settle();
  const { posts } = checker.afterWindow(before, concurrent);
  for (const r of w.window) w.note(`${r.conn.id} ${r.action} ${JSON.stringify(r.data)} → ${r.code}`);
  if (!concurrent) checkStep(w, before, posts);
  return posts;
}

/** Device 0 of the users online at the start connects and logs in; some turn multi-device ability on. */
async function setUp(w: World, checker: Checker, allDevices = false): Promise<void> {
  for (let u = 0; u < w.users.length; u++) {
    if (!w.universe.online[u] && !allDevices) continue;
    const devices = allDevices ? (w.universe.devices[u] ?? 1) : 1;
    for (let d = 0; d < devices; d++) {
      await step(w, checker, () => w.run({ kind: 'connect', user: u, device: d, foreign: false, credential: 'fresh', login: true, flaky: false }));
    }
    const conn = w.conns.find((c) => c.open && c.userId === w.users[u]);
    if (conn && w.universe.multiDevice[u]) await step(w, checker, () => w.send(conn, 'enableMultiDeviceAbility', { enable: true }));
  }
}

const anyLive = (w: World) => [...w.f.calls.items.values()].some((i) => i.stored.call.status !== 'ended');

/**
 * The clients stop (no frames, no heartbeats); timers fire when due and the sweeper runs every period.
 * Invariant 3: every call ends — an invitation by its deadline (plus one sweeper period if its timer was
 * lost), a connected member by her device's last heartbeat plus the heartbeat timeout plus one sweeper period.
 */
async function drain(w: World, checker: Checker): Promise<void> {
  const { heartbeatTimeoutSec, sweeperPeriodSec } = w.f.deps.timing;
  const period = sweeperPeriodSec * 1000;
  const bounds: { k: string; userId: string; state: 'ringing' | 'joined'; device?: string; by: number }[] = [];
  for (const [k, item] of w.f.calls.items) {
    if (item.stored.call.status === 'ended') continue;
    for (const m of item.stored.call.members) {
      // Before the drain, timers fire and the sweeper runs only when a step says so: bounds count from the drain at the earliest.
      const start = w.now;
      if (m.state === 'ringing') bounds.push({ k, userId: m.userId, state: 'ringing', by: Math.max(m.ringDeadline ?? 0, start) + period });
      // Her last sign of life: her device's last heartbeat (or login), or her joining the call, whichever is later.
      const lastSeen = Math.max(w.byId.get(m.device?.connectionId ?? '')?.lastSeen ?? w.now, m.segments.at(-1)?.from ?? 0);
      if (m.state === 'joined') bounds.push({ k, userId: m.userId, state: 'joined', device: m.device?.connectionId, by: Math.max(lastSeen + heartbeatTimeoutSec * 1000, start) + period });
    }
  }
  w.note('drain: the clients stop; timers fire when due, the sweeper runs every period');
  let nextSweep = w.now + period;
  for (let i = 0; i < 200 && anyLive(w); i++) {
    const due = w.f.timers.pending.filter((m) => m.dueAt <= nextSweep).sort((a, b) => a.dueAt - b.dueAt)[0];
    await step(w, checker, async () => {
      if (due) {
        w.f.timers.remove(due);
        w.f.clock.advanceTo(due.dueAt);
        w.note(`timer ${(JSON.parse(due.body) as { type: string }).type} fires`);
        await w.fire(due);
      } else {
        w.f.clock.advanceTo(nextSweep);
        nextSweep += period;
        await w.sweep();
      }
    });
    for (const b of bounds) {
      if (w.now < b.by || !w.checks('sweep-bound')) continue;
      const call = w.f.calls.items.get(b.k)?.stored.call;
      const m = call?.members.find((x) => x.userId === b.userId);
      const still = b.state === 'ringing' ? m?.state === 'ringing' : m?.state === 'joined' && m.device?.connectionId === b.device;
      if (call?.status !== 'ended' && still) w.fail(`every call ends: a ${b.state} member is out by ${b.state === 'ringing' ? 'her ring deadline' : "her device's last heartbeat + heartbeat timeout"} + one sweeper period (invariant 3)`, { callId: call?.callId, member: m && brief(m), by: `+${((b.by - T0) / 1000).toFixed(3)}s` });
    }
  }
  if (anyLive(w)) w.fail('every call ends (invariant 3)', [...w.f.calls.items.values()].filter((i) => i.stored.call.status !== 'ended').map((i) => i.stored.call.callId));
}

async function runSequential(universe: Universe, steps: Step[], skip: ReadonlySet<string> = new Set()): Promise<void> {
  const w = new World(universe, skip);
  const checker = new Checker(w);
  await setUp(w, checker);
  for (const s of steps) await step(w, checker, () => w.run(s));
  await drain(w, checker);
}

/** Group kinds for the concurrent property: accepts racing on the latest call, a hangup storm, or any mix. */
type Group = { kind: 'accepts'; conns: number[] } | { kind: 'storm' } | { kind: 'mixed'; steps: Step[] };

const raceFrame: fc.Arbitrary<FrameSpec> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ action: fc.constantFrom('accept' as const, 'accept' as const, 'reject' as const, 'ignore' as const, 'hangup' as const), call: fc.constant(0), interrupt: fc.constant(false) }) },
  { weight: 1, arbitrary: fc.record({ action: fc.constant('join' as const), call: fc.constant(0) }) },
  { weight: 1, arbitrary: fc.record({ action: fc.constant('inviteUser' as const), call: fc.constant(0), to: userIndexes, timeout: fc.constant(10) }) },
  { weight: 1, arbitrary: fc.record({ action: fc.constant('calls' as const), to: userIndexes, group: fc.boolean(), timeout: fc.constant(10), media }) },
  { weight: 1, arbitrary: fc.record({ action: fc.constant('switchCallMediaType' as const), call: fc.constant(0), media }) },
);
const raceStep: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('frame' as const), conn: fc.nat(11), by: byArb(2, 2), frame: raceFrame }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('repeat' as const), conn: fc.nat(11) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('disconnect' as const), conn: fc.nat(11), notify: fc.constant(true) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('timer' as const), pick: fc.nat(3), mode: fc.constantFrom('due' as const, 'twice' as const), lateMs: fc.constant(0) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sweep' as const), advance: fc.constantFrom('none' as const, 'expire' as const) }) },
  { weight: 1, arbitrary: connectArb.map((c) => ({ ...c, foreign: false, flaky: false, credential: 'fresh' as const, login: true })) },
);
const groupArb: fc.Arbitrary<Group> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('accepts' as const), conns: fc.array(fc.nat(11), { minLength: 2, maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('storm' as const) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('mixed' as const), steps: fc.array(raceStep, { minLength: 2, maxLength: 3 }) }) },
);

const concurrentArb = fc.record({
  universe: universeArb,
  /** u0 calls these users first (1v1 or group). */
  call: fc.record({ to: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }), group: fc.boolean() }),
  prefix: fc.array(stepArb, { maxLength: 3 }),
  groups: fc.array(groupArb, { minLength: 1, maxLength: 3 }),
});

/** The steps of a group, resolved against the connections open now. */
function groupSteps(w: World, g: Group): Step[] {
  if (g.kind === 'mixed') return g.steps;
  const accept = (conn: number): Step => ({ kind: 'frame', conn, by: 'ringing', frame: { action: 'accept', call: 0, interrupt: false } });
  if (g.kind === 'accepts') return g.conns.map(accept);
  return w.conns.filter((c) => c.open).map((_, i) => ({ kind: 'frame', conn: i, by: 'any', frame: { action: 'hangup', call: 0, interrupt: false } }));
}

/**
 * What a group must have done whatever the interleaving: at most one accept per user and call wins
 * (invariant 1); when only accepts raced, each losing device that was ringing was told OtherDeviceAccepted
 * once; a hangup storm from every device in the call ends it.
 */
function checkGroup(w: World, before: Snapshot, g: Group, posts: Post[]): void {
  const accepts = w.window.filter((r) => r.action === 'accept');
  const wins = new Map<string, Request[]>();
  for (const r of accepts.filter((x) => x.code === 0)) {
    const k = `${key(r.conn.sdkAppId, r.data.callId as string)}|${r.conn.userId}`;
    wins.set(k, [...(wins.get(k) ?? []), r]);
  }
  // A retried request (same connection and requestId) replays the first answer: it is the same answer, not a second winner.
  for (const [k, rs] of wins) if (new Set(rs.map((r) => `${r.conn.id}|${r.requestId}`)).size > 1) w.fail('first answer wins: one accept per user and call (invariant 1)', { call: k, winners: rs.map((r) => r.conn.id) });
  if (g.kind === 'accepts') {
    for (const r of accepts.filter((x) => x.code === 8010)) {
      const won = wins.get(`${key(r.conn.sdkAppId, r.data.callId as string)}|${r.conn.userId}`);
      const me = callIn(before, r.conn.sdkAppId, r.data.callId)?.members.find((m) => m.userId === r.conn.userId);
      if (!won || won.some((x) => x.conn.id === r.conn.id) || !me?.ringing.some((d) => d.connectionId === r.conn.id)) continue;
      const told = eventsOf(posts, r.data.callId as string, 'onCallNotConnected').filter((e) => e.to === r.conn.id);
      if (told.length !== 1 || told[0]?.frame.data.reason !== 'OtherDeviceAccepted') w.fail('a device that lost the race is told OtherDeviceAccepted once (invariant 1)', { loser: r.conn.id, told: told.map((t) => t.frame.data) });
    }
  }
  if (g.kind === 'storm') {
    const call = callIn(before, APP_ID, w.window[0]?.data.callId);
    const devices = call?.status === 'ended' ? [] : (call?.members.filter((m) => m.state === 'joined').map((m) => m.device?.connectionId) ?? []);
    const all = devices.every((d) => w.window.some((r) => r.conn.id === d));
    if (call && call.status !== 'ended' && all && !w.window.some((r) => r.code === CONTENTION) && w.callNow(APP_ID, call.callId)?.status !== 'ended') {
      w.fail('a hangup storm from every device in the call ends it', call.callId);
    }
  }
}

/**
 * Runs a promise whose I/O waits on the scheduler: releases scheduled operations one at a time, in the
 * scheduler's order, and runs the (fake) clock of the conflict backoff when nothing else can move.
 */
async function interleave<T>(s: fc.Scheduler, work: Promise<T>): Promise<T> {
  let done = false;
  void work.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; !done; i++) {
    await new Promise((r) => setImmediate(r));
    if (done) break;
    if (s.count() > 0) await s.waitNext(1);
    else if (vi.getTimerCount() > 0) await vi.advanceTimersToNextTimerAsync();
    else if (i > 10_000) throw new Error('a concurrent group is stuck: nothing scheduled, no timer pending');
  }
  return work;
}

async function runConcurrent(scenario: ConcurrentScenario, s: fc.Scheduler): Promise<void> {
  const w = new World(scenario.universe, SKIP);
  w.staleLinesTolerated = true;
  const checker = new Checker(w);
  await setUp(w, checker, true);
  const caller = w.conns.find((c) => c.open && c.userId === 'u0');
  if (caller) {
    const userIdList = [...new Set(scenario.call.to.map((i) => w.users[i % w.users.length] as string))].filter((u) => u !== 'u0');
    await step(w, checker, () => w.send(caller, 'calls', { userIdList, mediaType: 'Audio', params: { timeout: 10, ...(scenario.call.group ? { chatGroupId: 'team' } : {}) } }));
  }
  for (const p of scenario.prefix) await step(w, checker, () => w.run(p));
  for (const g of scenario.groups) {
    const before = w.snapshot();
    const steps = groupSteps(w, g);
    w.note(`--- concurrently: ${g.kind} ---`);
    const posts = await step(
      w,
      checker,
      async () => {
        w.gate = (op) => s.schedule(Promise.resolve(), op);
        try {
          await interleave(s, Promise.all(steps.map((x) => w.run(x))));
        } finally {
          w.gate = undefined;
        }
      },
      true,
    );
    checkGroup(w, before, g, posts);
  }
  await drain(w, checker);
}

type ConcurrentScenario = {
  universe: Universe;
  call: { to: number[]; group: boolean };
  prefix: Step[];
  groups: Group[];
};

describe('use cases on fakes (property-based)', () => {
  it(`keeps DESIGN.md's invariants after every step of ${SEQUENTIAL_RUNS} random runs, and ends every call`, { timeout: Math.max(60_000, SEQUENTIAL_RUNS * 20) }, async () => {
    await fc.assert(
      fc.asyncProperty(universeArb, fc.array(stepArb, { maxLength: 30, size: 'max' }), (universe, steps) => runSequential(universe, steps, SKIP)),
      { numRuns: SEQUENTIAL_RUNS, ...SEED },
    );
  });

  describe('with steps running concurrently', () => {
    beforeEach(() => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    it(`keeps them whatever the interleaving of store reads and conditional writes (${CONCURRENT_RUNS} runs)`, { timeout: Math.max(60_000, CONCURRENT_RUNS * 40) }, async () => {
      await fc.assert(
        fc.asyncProperty(concurrentArb, fc.scheduler(), (scenario, s) => runConcurrent(scenario, s)),
        { numRuns: CONCURRENT_RUNS, ...SEED },
      );
    });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Regression examples: counterexamples the properties found (shrunk, pasted as they were printed), and two
// races pinned with an explicit gate. Each fails until the library bug it names is fixed; FC_SKIP does not apply.

const THREE_OFFLINE: Universe = { devices: [1, 1, 1], online: [false, false, false], multiDevice: [false, false, false], loginPolicy: 'multi', maxDevicesPerPlatform: 1, groupJoinPolicy: 'open' };
const THREE_ONLINE: Universe = { ...THREE_OFFLINE, online: [true, true, true], maxDevicesPerPlatform: 4 };

/** Makes the first `op` of the world's fakes wait until `release()`; `reached` resolves when it starts waiting. */
function holdFirst(w: World, op: string): { reached: Promise<void>; release: () => void } {
  let release = () => {};
  let reach = () => {};
  const reached = new Promise<void>((r) => (reach = r));
  const held = new Promise<void>((r) => (release = r));
  w.gate = (name) => {
    if (name !== op) return undefined;
    w.gate = undefined;
    reach();
    return held;
  };
  return { reached, release };
}

describe('regressions (bugs the properties found)', () => {
  it('answers a login even when @connections fails (HTTP 500) to post that answer: no exception escapes ws-message [answer-post]', () =>
    runSequential(THREE_OFFLINE, [{ kind: 'connect', user: 0, device: 0, foreign: true, credential: 'fresh', login: true, flaky: true }]));

  it('takes a connected member whose device stopped heartbeating out of her call within heartbeat timeout + one sweeper period [sweep-bound]', () =>
    runSequential({ devices: [1, 1, 1, 1, 1], online: [true, false, false, false, true], multiDevice: [false, false, false, false, false], loginPolicy: 'multi', maxDevicesPerPlatform: 1, groupJoinPolicy: 'open' }, [
      { kind: 'sweep', advance: 'period' },
      { kind: 'connect', user: 2, device: 0, foreign: false, credential: 'short', login: true, flaky: false },
      { kind: 'frame', conn: 1, by: 'any', frame: { action: 'calls', to: [2, 0], group: false, timeout: 10, media: 'Audio' } },
      { kind: 'frame', conn: 0, by: 'any', frame: { action: 'join', call: 0 } },
    ]));

  it('forgets a device whose connection is gone (410) when an event of a call it just stopped ringing for finds it gone [gone-device]', () =>
    runSequential({ devices: [1, 1, 1, 1], online: [true, true, false, false], multiDevice: [false, false, false, false], loginPolicy: 'multi', maxDevicesPerPlatform: 1, groupJoinPolicy: 'open' }, [
      { kind: 'frame', conn: 1, by: 'any', frame: { action: 'calls', to: [0], group: false, timeout: 10, media: 'Audio' } },
      { kind: 'disconnect', conn: 0, notify: false },
    ]));

  it('answers a retried calls (same requestId) with its first answer, even when the callee is now calling back [replays]', () =>
    runSequential({ devices: [1, 1, 1], online: [true, true, false], multiDevice: [false, false, false], loginPolicy: 'multi', maxDevicesPerPlatform: 1, groupJoinPolicy: 'open' }, [
      { kind: 'frame', conn: 1, by: 'any', frame: { action: 'calls', to: [0], group: false, timeout: 10, media: 'Audio' } },
      { kind: 'timer', pick: 0, mode: 'due', lateMs: 1 },
      { kind: 'frame', conn: 0, by: 'any', frame: { action: 'calls', to: [0], group: false, timeout: 10, media: 'Audio' } },
      { kind: 'repeat', conn: 1 },
    ]));

  it('enqueues the very same callback message again when a retried request redoes its effects [redo-callback]', () =>
    runSequential({ devices: [3, 1, 1, 1], online: [true, true, true, false], multiDevice: [false, false, false, false], loginPolicy: 'multi', maxDevicesPerPlatform: 1, groupJoinPolicy: 'open' }, [
      { kind: 'frame', conn: 5, by: 'any', frame: { action: 'calls', to: [0], group: false, timeout: 10, media: 'Audio' } },
      { kind: 'frame', conn: 0, by: 'ringing', frame: { action: 'accept', call: 0, interrupt: false } },
      { kind: 'frame', conn: 0, by: 'joined', frame: { action: 'switchCallMediaType', call: 0, media: 'Video' } },
      { kind: 'repeat', conn: 5 },
    ]));

  it('answers a retried request (same requestId) that first succeeded without changing the call with its first answer again [replays]', () =>
    runSequential({ devices: [2, 1, 1, 1], online: [true, false, true, true], multiDevice: [false, false, false, false], loginPolicy: 'multi', maxDevicesPerPlatform: 2, groupJoinPolicy: 'open' }, [
      // u0's second device logs in later, so it is the one that rings (multi-device ability off).
      { kind: 'advance', ms: 1000 },
      { kind: 'connect', user: 0, device: 1, foreign: false, credential: 'fresh', login: true, flaky: false },
      { kind: 'frame', conn: 1, by: 'any', frame: { action: 'calls', to: [0], group: false, timeout: 10, media: 'Audio' } },
      // Her first device, which does not ring, ignores (0, nothing changes); her ringing device rejects; the first retries.
      { kind: 'frame', conn: 0, by: 'any', frame: { action: 'ignore', call: 0, interrupt: false } },
      { kind: 'frame', conn: 3, by: 'any', frame: { action: 'hangup', call: 0, interrupt: false } },
      { kind: 'repeat', conn: 0 },
    ]));

  it('keeps the line of a user invited back into a call when she retries the hangup that ended her first part [lines]', () =>
    runSequential({ devices: [1, 1, 1, 1], online: [true, true, false, true], multiDevice: [false, false, false, false], loginPolicy: 'multi', maxDevicesPerPlatform: 1, groupJoinPolicy: 'open' }, [
      { kind: 'frame', conn: 0, by: 'any', frame: { action: 'calls', to: [0, 2], group: false, timeout: 10, media: 'Audio' } },
      { kind: 'frame', conn: 1, by: 'any', frame: { action: 'hangup', call: 0, interrupt: false } },
      { kind: 'frame', conn: 0, by: 'joined', frame: { action: 'inviteUser', call: 0, to: [0], timeout: 10 } },
      { kind: 'repeat', conn: 1 },
    ]));

  it('never rings one user in two calls when two users call her at once (a line held for a call not created yet is not stale) [lines]', async () => {
    const w = new World(THREE_ONLINE);
    const checker = new Checker(w);
    await setUp(w, checker);
    const [, u1, u2] = ['u0', 'u1', 'u2'].map((u) => w.conns.find((c) => c.userId === u) as Conn);
    await step(
      w,
      checker,
      async () => {
        // u1's calls takes u0's line, then stalls just before creating its call; u2's calls runs meanwhile.
        const stalled = holdFirst(w, 'calls.createCall');
        const first = w.send(u1 as Conn, 'calls', { userIdList: ['u0'], mediaType: 'Audio' });
        await stalled.reached;
        await w.send(u2 as Conn, 'calls', { userIdList: ['u0'], mediaType: 'Audio' });
        stalled.release();
        await first;
      },
      true,
    );
  });

  it('never lets a user drop the line an inviteUser just took for her (a line stamped for a live call she is not in yet is not stale) [lines]', async () => {
    const w = new World({ ...THREE_ONLINE, devices: [1, 1, 1, 1], online: [true, true, true, true], multiDevice: [false, false, false, false] });
    const checker = new Checker(w);
    await setUp(w, checker);
    const [u0, , u2] = ['u0', 'u1', 'u2'].map((u) => w.conns.find((c) => c.userId === u) as Conn);
    await step(w, checker, () => w.send(u0 as Conn, 'calls', { userIdList: ['u1', 'u3'], mediaType: 'Audio' }));
    await step(
      w,
      checker,
      async () => {
        // u0's inviteUser takes u2's line, then stalls before saving the call; u2 calls u0 meanwhile.
        const stalled = holdFirst(w, 'calls.saveCall');
        const invite = w.send(u0 as Conn, 'inviteUser', { callId: w.callIdAt(0), userIdList: ['u2'] });
        await stalled.reached;
        await w.send(u2 as Conn, 'calls', { userIdList: ['u0'], mediaType: 'Audio' });
        stalled.release();
        await invite;
      },
      true,
    );
    expect(w.callNow(APP_ID, w.callIdAt(0))?.members.find((m) => m.userId === 'u2')?.state).toBe('ringing');
  });

  it('answers a retried calls that was merged into the callee\'s call (glare) with its first answer, even after that call ended [replays]', () =>
    runSequential({ devices: [1, 1, 1, 1], online: [true, true, true, false], multiDevice: [false, false, false, false], loginPolicy: 'multi', maxDevicesPerPlatform: 1, groupJoinPolicy: 'open' }, [
      { kind: 'frame', conn: 0, by: 'any', frame: { action: 'calls', to: [1], group: false, timeout: 10, media: 'Audio' } },
      { kind: 'frame', conn: 8, by: 'any', frame: { action: 'calls', to: [0], group: false, timeout: 10, media: 'Audio' } },
      { kind: 'frame', conn: 0, by: 'joined', frame: { action: 'hangup', call: 0, interrupt: false } },
      { kind: 'repeat', conn: 2 },
    ]));

  it('ends, on a ring timer delivered again late, the invitations whose deadlines passed since it was first handled (invariant 3)', () =>
    runSequential({ devices: [1, 1, 1], online: [true, true, true], multiDevice: [false, false, false], loginPolicy: 'multi', maxDevicesPerPlatform: 1, groupJoinPolicy: 'open' }, [
      // The retried calls redoes its effects: the ring timer is sent a second time, and that copy fires at 20 s, late.
      { kind: 'frame', conn: 0, by: 'any', frame: { action: 'calls', to: [0], group: true, timeout: 10, media: 'Audio' } },
      { kind: 'repeat', conn: 0 },
      { kind: 'frame', conn: 0, by: 'joined', frame: { action: 'inviteUser', call: 0, to: [1], timeout: 20 } },
      { kind: 'timer', pick: 0, mode: 'due', lateMs: 1 },
      { kind: 'advance', ms: 10000 },
    ]));

  it('answers a retried inviteUser with its first answer even when the invitee\'s account was deleted since [replays]', () =>
    runSequential({ devices: [1, 1, 1, 1, 1], online: [true, true, false, true, true], multiDevice: [false, false, false, false, false], loginPolicy: 'multi', maxDevicesPerPlatform: 1, groupJoinPolicy: 'open' }, [
      { kind: 'connect', user: 2, device: 0, foreign: false, credential: 'fresh', login: true, flaky: true },
      { kind: 'frame', conn: 9, by: 'any', frame: { action: 'calls', to: [0, 1], group: false, timeout: 10, media: 'Audio' } },
      { kind: 'frame', conn: 0, by: 'joined', frame: { action: 'inviteUser', call: 0, to: [3], timeout: 10 } },
      { kind: 'admin', action: 'deleteAccount', user: 4, conn: 0, call: 0 },
      { kind: 'repeat', conn: 3 },
    ]));

  it('never frees the line a join still running took when an inviteUser of her that stamped it again fails [lines]', async () => {
    const w = new World({ ...THREE_ONLINE, devices: [1, 1, 1, 1], online: [true, true, true, true], multiDevice: [false, false, false, false] });
    const checker = new Checker(w);
    await setUp(w, checker);
    const [u0, , u2, u3] = ['u0', 'u1', 'u2', 'u3'].map((u) => w.conns.find((c) => c.userId === u) as Conn);
    await step(w, checker, () => w.send(u0 as Conn, 'calls', { userIdList: ['u3'], mediaType: 'Audio', params: { chatGroupId: 'team' } }));
    await step(w, checker, () => w.send(u3 as Conn, 'accept', { callId: w.callIdAt(0) }));
    await step(
      w,
      checker,
      async () => {
        // u2's join takes her line, then stalls before saving; u3 invites u2 and u0 (already in: refused) meanwhile.
        const stalled = holdFirst(w, 'calls.saveCall');
        const join = w.send(u2 as Conn, 'join', { callId: w.callIdAt(0) });
        await stalled.reached;
        await w.send(u3 as Conn, 'inviteUser', { callId: w.callIdAt(0), userIdList: ['u0', 'u2'] });
        stalled.release();
        await join;
      },
      true,
    );
    expect(w.callNow(APP_ID, w.callIdAt(0))?.members.find((m) => m.userId === 'u2')?.state).toBe('joined');
  });

  it('never lets one user place two live calls by sending calls twice at once (a double tap) [lines]', async () => {
    const w = new World(THREE_ONLINE);
    const checker = new Checker(w);
    await setUp(w, checker);
    const u0 = w.conns.find((c) => c.userId === 'u0') as Conn;
    await step(
      w,
      checker,
      async () => {
        const stalled = holdFirst(w, 'calls.createCall');
        const first = w.send(u0, 'calls', { userIdList: ['u1'], mediaType: 'Audio' });
        await stalled.reached;
        await w.send(u0, 'calls', { userIdList: ['u1'], mediaType: 'Audio' });
        stalled.release();
        await first;
      },
      true,
    );
  });

  // ws-protocol.md asks for request ids unique per connection; the server remembers them per device
  // (user and deviceId), so a request re-sent after a reconnect is recognised (README "Choices").
  // A client that logs in with its deviceId must not reuse an id on that device while the call item lives.
  it('replays a calls request id that a reconnected device sends again, and places a new call for a new id', async () => {
    const w = new World(THREE_ONLINE);
    const checker = new Checker(w);
    await setUp(w, checker);
    const first = w.conns.find((c) => c.userId === 'u0') as Conn;
    await step(w, checker, () => w.send(first, 'calls', { userIdList: ['u1'], mediaType: 'Audio' }, 'c-2'));
    await step(w, checker, () => w.send(first, 'hangup', { callId: w.callIdAt(0) }, 'c-3'));
    await step(w, checker, () => w.run({ kind: 'connect', user: 0, device: 0, foreign: false, credential: 'fresh', login: false, flaky: false }));
    const again = w.conns.at(-1) as Conn;
    await step(w, checker, () => w.send(again, 'login', { platform: again.platform, deviceId: again.deviceId }, 'c-1'));
    const callsBefore = w.f.calls.items.size;
    await w.send(again, 'calls', { userIdList: ['u1'], mediaType: 'Audio' }, 'c-2');
    expect(w.f.calls.items.size).toBe(callsBefore);
    expect(JSON.parse(w.window.at(-1)?.body ?? '{}')).toMatchObject({ code: 0, data: { callId: w.callIdAt(0) } });
    await w.send(again, 'calls', { userIdList: ['u1'], mediaType: 'Audio' }, 'c-4');
    expect(w.f.calls.items.size).toBe(callsBefore + 1);
  });
});
