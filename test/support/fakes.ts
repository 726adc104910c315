/**
 * In-memory fakes of every port of `Deps` (lib/usecases/deps.ts), with the semantics of the real
 * adapters where a use case can tell: conditional writes on the call's version (`VersionConflictError`),
 * `createCall` refusing an existing call, lines taken (with the calls-per-minute window) and freed only
 * by their call, records written once (`attempts` counts every put), the sweeper and settle indexes,
 * `@connections` answering 410 for a gone connection and failing on demand, SQS delays, `Once` keys.
 * Values are deep-copied in and out (see `copy`; apps are deep-frozen and shared, as `CachedAppStore`
 * shares them), so a use case never shares mutable state with the store. Every I/O first awaits an
 * optional `gate`, so a test can make each one a scheduling point (fast-check's scheduler) and let
 * concurrent use cases interleave. Not modelled: TTL expiry, pagination, throttling, SQS visibility/redrive.
 */
import { newApp, type App } from '../../lib/apps/app.ts';
import { maxConcurrent } from '../../lib/adapters/record-counting.ts';
import type { Call, CallRecord, RecordDetails } from '../../lib/calls/types.ts';
import { DEFAULT_CALLBACK_POLICY, DEFAULT_TIMING, type Timing } from '../../lib/config.ts';
import type { CallbackConfigStore, CallbackConfigV1, CallbackConfigV4, RateLimiter } from '../../lib/ports/admin.ts';
import type { Clock, Ids } from '../../lib/ports/clock.ts';
import type { Connections } from '../../lib/ports/connections.ts';
import type { DeadLetters } from '../../lib/ports/dead-letters.ts';
import type { Metrics } from '../../lib/ports/metrics.ts';
import { OnceBusyError, type Once } from '../../lib/ports/once.ts';
import type { Queue } from '../../lib/ports/queue.ts';
import {
  VersionConflictError,
  type AppStore,
  type CallStore,
  type DailyStats,
  type DeviceItem,
  type LineAttempt,
  type LineLimited,
  type LineOptions,
  type OutboxEntry,
  type ProfileItem,
  type ProfileUpdate,
  type RecordQuery,
  type RecordStore,
  type StoredAnswer,
  type StoredCall,
  type UserStore,
  type UserView,
} from '../../lib/ports/store.ts';
import type { Deps, Log } from '../../lib/usecases/deps.ts';

/** Awaited before every I/O of a fake, named by the operation (`calls.saveCall`, `connections.post`…). */
export type Gate = (op: string) => Promise<unknown> | undefined;

/**
 * A deep copy as the DynamoDB document client stores values: plain objects and arrays, properties set to
 * `undefined` dropped (`removeUndefinedValues`), anything else (a class instance, a Map) refused as the
 * marshaller refuses it. (Several times faster than `structuredClone`, which matters at 10,000 runs.)
 */
function copy<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(copy) as T;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw new TypeError(`the store keeps plain data only, not ${proto?.constructor?.name ?? 'this object'}`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = copy(v);
  return out as T;
}
const appUser = (sdkAppId: number, id: string) => `${sdkAppId}#${id}`;

/** Base of the fakes that do I/O: each operation is one atomic step after its gate. */
abstract class Io {
  constructor(private readonly gate: Gate | undefined, private readonly name: string) {}

  protected async io(op: string): Promise<void> {
    await this.gate?.(`${this.name}.${op}`);
  }
}

/** A clock the test moves by hand. */
export class FakeClock implements Clock {
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
  /** Moves to `t` unless that is in the past (time never goes back). */
  advanceTo(t: number): void {
    this.t = Math.max(this.t, t);
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/** Reproducible ids: UUID v4-shaped and room ids from a seeded generator. */
export class SeededIds implements Ids {
  private n = 0;
  constructor(private state: number) {}
  private next(): number {
    // mulberry32
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = Math.imul(this.state ^ (this.state >>> 15), 1 | this.state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  uuid(): string {
    this.n += 1;
    const r = () => Math.floor(this.next() * 0x10000).toString(16).padStart(4, '0');
    // The counter in the second group keeps them unique whatever the generator gives.
    return `${r()}${r()}-${(this.n % 0x10000).toString(16).padStart(4, '0')}-4${r().slice(1)}-8${r().slice(1)}-${r()}${r()}${r()}`;
  }
  private stamps = 0;
  lineStamp(now: number): number {
    this.stamps += 1;
    return now + ((this.stamps % 999) + 1) / 1000;
  }
  roomId(): number {
    return 1 + Math.floor(this.next() * (2 ** 31 - 2));
  }
}

/** A log that prints nothing and keeps its warnings and errors for assertions. */
export class SilentLog implements Log {
  readonly problems: { level: 'warn' | 'error'; message: string; extra: Record<string, unknown>[] }[] = [];
  debug(): void {}
  info(): void {}
  warn(message: string, ...extra: Record<string, unknown>[]): void {
    this.problems.push({ level: 'warn', message, extra });
  }
  error(message: string, ...extra: Record<string, unknown>[]): void {
    this.problems.push({ level: 'error', message, extra });
  }
  appendKeys(): void {}
  resetKeys(): void {}
}

/** One call item: the stored call and its place in the sweeper index (absent once it needs no look). */
export interface CallItem {
  stored: StoredCall;
  sweepAt?: number;
}

/** DynamoCallStore's sweeper shard of a call (the same hash, so `dueCalls`' per-shard limit matches). */
function sweepShard(callId: string, shards = 8): number {
  let h = 0;
  for (let i = 0; i < callId.length; i++) h = (h * 31 + callId.charCodeAt(i)) | 0;
  return Math.abs(h) % shards;
}

/** Calls: one item per call, replaced only by a write that names its current version. */
export class FakeCallStore extends Io implements CallStore {
  /** By `sdkAppId#callId`. Items are replaced, never changed in place, so a reference is a snapshot. */
  readonly items = new Map<string, CallItem>();

  constructor(gate?: Gate) {
    super(gate, 'calls');
  }

  /** `calls` answered by a glare merge: their call id → the call they accepted (the adapter keeps these at the call's key). */
  readonly merged = new Map<string, string>();

  async getCall(sdkAppId: number, callId: string): Promise<StoredCall | undefined> {
    await this.io('getCall');
    const item = this.items.get(appUser(sdkAppId, callId));
    return item && copy(item.stored);
  }

  async getPlaced(sdkAppId: number, callId: string): Promise<StoredCall | { mergedInto: string } | undefined> {
    await this.io('getPlaced');
    const key = appUser(sdkAppId, callId);
    const into = this.merged.get(key);
    if (into !== undefined) return { mergedInto: into };
    const item = this.items.get(key);
    return item && copy(item.stored);
  }

  async markMerged(sdkAppId: number, callId: string, into: string): Promise<void> {
    await this.io('markMerged');
    const key = appUser(sdkAppId, callId);
    if (!this.items.has(key) && !this.merged.has(key)) this.merged.set(key, into);
  }

  async createCall(call: Call, origin: StoredCall['origin'], sweepAt: number | undefined, outbox: OutboxEntry[] = []): Promise<boolean> {
    await this.io('createCall');
    const key = appUser(call.sdkAppId, call.callId);
    if (this.items.has(key) || this.merged.has(key)) return false;
    this.items.set(key, { stored: copy({ call, version: 1, requests: {}, origin, outbox }), ...(sweepAt === undefined ? {} : { sweepAt }) });
    return true;
  }

  async saveCall(call: Call, expectedVersion: number, sweepAt: number | undefined, answer?: { key: string; answer: StoredAnswer }, outbox?: OutboxEntry[]): Promise<void> {
    await this.io('saveCall');
    const key = appUser(call.sdkAppId, call.callId);
    const item = this.items.get(key);
    // Like the conditional UpdateItem: a missing item fails the condition too.
    if (!item || item.stored.version !== expectedVersion) throw new VersionConflictError(call.callId);
    const requests = answer ? { ...item.stored.requests, [answer.key]: answer.answer } : item.stored.requests;
    const stored = copy({ ...item.stored, call, version: expectedVersion + 1, requests, ...(outbox ? { outbox } : {}) });
    this.items.set(key, { stored, ...(sweepAt === undefined ? {} : { sweepAt }) });
  }

  async liveCallInRoom(sdkAppId: number, roomId: number | string): Promise<string | undefined> {
    await this.io('liveCallInRoom');
    const live = [...this.items.values()]
      .map((i) => i.stored.call)
      .filter((c) => c.sdkAppId === sdkAppId && c.endedAt === undefined && typeof c.roomId === typeof roomId && c.roomId === roomId);
    return live.map((c) => c.callId).sort()[0];
  }

  /** Index entries at or before `before` (whole milliseconds, as `pad` floors them), in index order, at most `limit` per shard. */
  private indexed(ended: boolean, before: number, limit: number, after: (shard: number) => string = () => ''): { key: string; item: CallItem }[] {
    const entries = [...this.items.values()]
      .filter((i) => i.sweepAt !== undefined && (i.stored.call.status === 'ended') === ended && Math.floor(i.sweepAt) <= Math.floor(before))
      .map((item) => ({ key: `${String(Math.floor(item.sweepAt ?? 0)).padStart(13, '0')}#${item.stored.call.sdkAppId}#${item.stored.call.callId}`, item }))
      .filter((e) => e.key > after(sweepShard(e.item.stored.call.callId)))
      .sort((a, b) => (a.key < b.key ? -1 : 1));
    const perShard = new Map<number, number>();
    return entries.filter((e) => {
      const shard = sweepShard(e.item.stored.call.callId);
      perShard.set(shard, (perShard.get(shard) ?? 0) + 1);
      return (perShard.get(shard) ?? 0) <= limit;
    });
  }

  /** Live calls due for a look (the `SWEEP#` shards). */
  async dueCalls(before: number, limit: number): ReturnType<CallStore['dueCalls']> {
    await this.io('dueCalls');
    return this.indexed(false, before, limit).map(({ item }) => ({ sdkAppId: item.stored.call.sdkAppId, callId: item.stored.call.callId, ended: false }));
  }

  /** Where the sweeper got to in each settle shard (the last index key it acknowledged). */
  private readonly settleCursors = new Map<number, string>();

  /** Ended calls due for their settle check (the `SETTLE#` shards), each returned once: `done` moves the cursors past them. */
  async endedCallsToSettle(before: number, limit: number): ReturnType<CallStore['endedCallsToSettle']> {
    await this.io('endedCallsToSettle');
    const found = this.indexed(true, before, limit, (shard) => this.settleCursors.get(shard) ?? '');
    return {
      calls: found.map(({ item }) => ({ sdkAppId: item.stored.call.sdkAppId, callId: item.stored.call.callId })),
      done: async () => {
        await this.io('endedCallsToSettle.done');
        for (const { key, item } of found) {
          const shard = sweepShard(item.stored.call.callId);
          if (key > (this.settleCursors.get(shard) ?? '')) this.settleCursors.set(shard, key);
        }
      },
    };
  }
}

/**
 * The line item: which call holds the line (absent when free), and the user's calls-per-minute window
 * (which outlives the holder: a freed line item stays).
 */
export interface LineItem {
  callId?: string;
  since?: number;
  rlWindow?: number;
  rlCount?: number;
}

/** One user's partition: profile, devices (by connection), line. Replaced on every write, never changed in place. */
export interface Partition {
  readonly profile?: ProfileItem;
  readonly devices: ReadonlyMap<string, DeviceItem>;
  readonly line?: LineItem;
}

const EMPTY: Partition = { devices: new Map() };

/** What `getUser` answers for a partition (not a copy): devices in sort-key order (`DEV#<connectionId>`), the line if held. */
export function viewOf(p: Partition | undefined): UserView {
  const devices = [...(p?.devices.values() ?? [])].sort((a, b) => (a.connectionId < b.connectionId ? -1 : 1));
  const line = p?.line?.callId === undefined ? undefined : { callId: p.line.callId, since: p.line.since ?? 0 };
  return { devices, ...(p?.profile ? { profile: p.profile } : {}), ...(line ? { line } : {}) };
}

/** Keeps only the fields that are set (UpdateItem's SET clauses skip undefined values). */
const defined = <T extends object>(fields: T): Partial<T> => Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;

/** Users: profiles, devices and lines, all in the user's partition. */
export class FakeUserStore extends Io implements UserStore {
  /** By `sdkAppId#userId`. Partitions are replaced, never changed in place, so a copy of this map is a snapshot. */
  readonly partitions = new Map<string, Partition>();

  constructor(gate?: Gate) {
    super(gate, 'users');
  }

  private get(sdkAppId: number, userId: string): Partition | undefined {
    return this.partitions.get(appUser(sdkAppId, userId));
  }

  private change(sdkAppId: number, userId: string, next: (p: Partition) => Partition): void {
    this.partitions.set(appUser(sdkAppId, userId), next(this.get(sdkAppId, userId) ?? EMPTY));
  }

  private withDevices(sdkAppId: number, userId: string, edit: (devices: Map<string, DeviceItem>) => void): void {
    this.change(sdkAppId, userId, (p) => {
      const devices = new Map(p.devices);
      edit(devices);
      return { ...p, devices };
    });
  }

  async getUser(sdkAppId: number, userId: string): Promise<UserView> {
    await this.io('getUser');
    return copy(viewOf(this.get(sdkAppId, userId)));
  }

  async getDevice(sdkAppId: number, userId: string, connectionId: string): Promise<DeviceItem | undefined> {
    await this.io('getDevice');
    const device = this.get(sdkAppId, userId)?.devices.get(connectionId);
    return device && copy(device);
  }

  async getProfile(sdkAppId: number, userId: string): Promise<ProfileItem | undefined> {
    await this.io('getProfile');
    const profile = this.get(sdkAppId, userId)?.profile;
    return profile && copy(profile);
  }

  async importUser(sdkAppId: number, userId: string, now: number, fields: Pick<ProfileUpdate, 'nickname' | 'avatar'>): Promise<void> {
    await this.io('importUser');
    this.change(sdkAppId, userId, (p) => {
      const old = p.profile;
      return { ...p, profile: { ...old, userId, createdAt: old?.createdAt ?? now, loggedOut: old?.loggedOut ?? true, multiDeviceAbility: old?.multiDeviceAbility ?? false, ...defined(copy(fields)) } };
    });
  }

  async updateProfile(sdkAppId: number, userId: string, fields: ProfileUpdate): Promise<boolean> {
    await this.io('updateProfile');
    const profile = this.get(sdkAppId, userId)?.profile;
    if (!profile) return false;
    const { custom, ...plain } = copy(fields);
    this.change(sdkAppId, userId, (p) => ({ ...p, profile: { ...profile, ...defined(plain), ...(custom ? { custom: { ...profile.custom, ...custom } } : {}) } }));
    return true;
  }

  async deleteUser(sdkAppId: number, userId: string): Promise<void> {
    await this.io('deleteUser');
    // The profile and the devices go; the line stays (the call holding it frees it).
    if (this.get(sdkAppId, userId)) this.change(sdkAppId, userId, (p) => ({ devices: new Map(), ...(p.line ? { line: p.line } : {}) }));
  }

  async recordLogin(sdkAppId: number, userId: string, now: number): Promise<ProfileItem> {
    await this.io('recordLogin');
    this.change(sdkAppId, userId, (p) => {
      const old = p.profile;
      return { ...p, profile: { ...old, userId, createdAt: old?.createdAt ?? now, lastLoginAt: now, loggedOut: false, multiDeviceAbility: old?.multiDeviceAbility ?? false } };
    });
    return copy(this.get(sdkAppId, userId)?.profile as ProfileItem);
  }

  async putDevice(sdkAppId: number, userId: string, device: DeviceItem): Promise<void> {
    await this.io('putDevice');
    this.withDevices(sdkAppId, userId, (devices) => devices.set(device.connectionId, copy(device)));
  }

  async removeDevice(sdkAppId: number, userId: string, connectionId: string): Promise<void> {
    await this.io('removeDevice');
    if (this.get(sdkAppId, userId)?.devices.has(connectionId)) this.withDevices(sdkAppId, userId, (devices) => devices.delete(connectionId));
  }

  async touchDevice(sdkAppId: number, userId: string, connectionId: string, now: number): Promise<boolean> {
    await this.io('touchDevice');
    const device = this.get(sdkAppId, userId)?.devices.get(connectionId);
    if (!device) return false;
    this.withDevices(sdkAppId, userId, (devices) => devices.set(connectionId, { ...device, lastSeenAt: now }));
    return true;
  }

  async setProfileFields(sdkAppId: number, userId: string, fields: Partial<Pick<ProfileItem, 'nickname' | 'avatar' | 'multiDeviceAbility' | 'loggedOut'>>): Promise<void> {
    await this.io('setProfileFields');
    const set = defined(copy(fields));
    if (Object.keys(set).length === 0) return;
    // An unconditional UpdateItem: it creates a (partial) profile item if there was none.
    this.change(sdkAppId, userId, (p) => ({ ...p, profile: { ...p.profile, ...set } as ProfileItem }));
  }

  acquireLine(sdkAppId: number, userId: string, callId: string, now: number, options?: LineOptions & { callsPerMinute?: undefined }): Promise<LineAttempt>;
  acquireLine(sdkAppId: number, userId: string, callId: string, now: number, options: LineOptions & { callsPerMinute: number }): Promise<LineAttempt | LineLimited>;
  /**
   * Like the adapter's conditional update: the line is taken if it is free, ours, or held by the `stale` call with its `since`;
   * with `callsPerMinute`, taking it also counts one call in the current minute, refused once the limit is reached;
   * `since` is kept when the line is the call's already, unless `freshSince` (or a stale call's line taken over).
   */
  async acquireLine(sdkAppId: number, userId: string, callId: string, now: number, options: LineOptions = {}): Promise<LineAttempt | LineLimited> {
    const { stale, callsPerMinute, freshSince } = options;
    await this.io('acquireLine');
    const line = { ...this.get(sdkAppId, userId)?.line };
    const held = line.callId;
    if (held !== undefined && held !== callId && (held !== stale?.callId || line.since !== stale.since)) return { acquired: false, heldBy: held, since: line.since ?? 0 };
    if (callsPerMinute !== undefined) {
      const window = Math.floor(now / 60_000);
      const count = line.rlWindow === window ? (line.rlCount ?? 0) : 0;
      if (count >= callsPerMinute) return held === callId ? { acquired: true, alreadyOurs: true, ...(line.since === undefined ? {} : { previousSince: line.since }) } : { acquired: false, limitedForMs: (window + 1) * 60_000 - now };
      Object.assign(line, { rlWindow: window, rlCount: count + 1 });
    }
    const since = !freshSince && !stale && held === callId && line.since !== undefined ? line.since : now;
    this.change(sdkAppId, userId, (p) => ({ ...p, line: { ...line, callId, since } }));
    return held === callId && line.since !== undefined ? { acquired: true, alreadyOurs: true, previousSince: line.since } : { acquired: true, alreadyOurs: held === callId };
  }

  async releaseLine(sdkAppId: number, userId: string, callId: string, since?: number): Promise<void> {
    await this.io('releaseLine');
    const line = this.get(sdkAppId, userId)?.line;
    if (line?.callId !== callId || (since !== undefined && line.since !== since)) return;
    // The item stays, with its calls-per-minute window.
    const { callId: _callId, since: _since, ...window } = line;
    this.change(sdkAppId, userId, (p) => ({ ...p, line: window }));
  }
}

/** Freezes a value and everything in it. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Apps (tenants). Kept deep-frozen and handed out as they are, like `CachedAppStore` shares one object per process. */
export class FakeAppStore extends Io implements AppStore {
  readonly apps = new Map<number, App>();

  constructor(apps: readonly App[] = [], gate?: Gate) {
    super(gate, 'apps');
    for (const app of apps) this.apps.set(app.sdkAppId, deepFreeze(copy(app)));
  }

  async getApp(sdkAppId: number): Promise<App | undefined> {
    await this.io('getApp');
    return this.apps.get(sdkAppId);
  }

  async createApp(app: App): Promise<boolean> {
    await this.io('createApp');
    if (this.apps.has(app.sdkAppId)) return false;
    this.apps.set(app.sdkAppId, deepFreeze(copy(app)));
    return true;
  }

  async putApp(app: App): Promise<void> {
    await this.io('putApp');
    this.apps.set(app.sdkAppId, deepFreeze(copy(app)));
  }
}

/** A stored record, as the conditional put left it. */
interface RecordItem {
  record: CallRecord;
  details?: RecordDetails;
  expiresAt: number;
}

/** Call records: the first put for a call wins; `attempts` counts every put, so a test can assert "written once". */
export class FakeRecordStore extends Io implements RecordStore {
  readonly items = new Map<string, RecordItem>();
  /** `putRecord` calls per `sdkAppId#callId`, including those that changed nothing. */
  readonly attempts = new Map<string, number>();

  constructor(gate?: Gate) {
    super(gate, 'records');
  }

  async putRecord(sdkAppId: number, record: CallRecord, retentionDays: number, details?: RecordDetails): Promise<void> {
    await this.io('putRecord');
    const key = appUser(sdkAppId, record.CallId);
    this.attempts.set(key, (this.attempts.get(key) ?? 0) + 1);
    if (this.items.has(key)) return;
    this.items.set(key, copy({ record, ...(details ? { details } : {}), expiresAt: record.EndTime + retentionDays * 86400 }));
  }

  async getRecord(sdkAppId: number, callId: string): Promise<CallRecord | undefined> {
    await this.io('getRecord');
    const item = this.items.get(appUser(sdkAppId, callId));
    return item && copy(item.record);
  }

  async getRecordDetails(sdkAppId: number, callId: string): Promise<RecordDetails | undefined> {
    await this.io('getRecordDetails');
    const item = this.items.get(appUser(sdkAppId, callId));
    return item?.details && copy(item.details);
  }

  /** An app's records that started in [fromSec, toSec], in the index's order (start time, then call id). */
  private between(sdkAppId: number, fromSec: number, toSec: number): RecordItem[] {
    return [...this.items.entries()]
      .filter(([key, item]) => key.startsWith(`${sdkAppId}#`) && item.record.StartTime >= fromSec && item.record.StartTime <= toSec)
      .map(([, item]) => item)
      .sort((a, b) => a.record.StartTime - b.record.StartTime || (a.record.CallId < b.record.CallId ? -1 : 1));
  }

  async queryRecords(sdkAppId: number, query: RecordQuery): Promise<{ records: CallRecord[]; total: number; more: boolean }> {
    await this.io('queryRecords');
    const matches = this.between(sdkAppId, query.fromSec, query.toSec)
      .map((i) => i.record)
      .filter((r) => (!query.callResult || r.CallResult === query.callResult) && (!query.callType || r.CallType === query.callType));
    const skip = (query.page - 1) * query.perPage;
    return { records: copy(matches.slice(skip, skip + query.perPage)), total: matches.length, more: matches.length > skip + query.perPage };
  }

  async dailyStats(sdkAppId: number, day: string): Promise<DailyStats> {
    await this.io('dailyStats');
    const start = Math.floor(Date.parse(`${day}T00:00:00Z`) / 1000);
    const items = this.between(sdkAppId, start, start + 86399);
    const records = items.map((i) => i.record);
    // Participants are users who joined (per the details), at most 25 per record as the batch write marks them.
    const joined = items.flatMap((i) => [...new Set(i.details ? i.details.members.filter((m) => m.joinedAt > 0).map((m) => m.userId) : i.record.CalleeList_Account)].slice(0, 25));
    const peak = (type: string) => maxConcurrent(records.filter((r) => r.CallType === type));
    return {
      day,
      calls: records.length,
      singleCalls: records.filter((r) => r.CallType === 'SingleCall').length,
      multiCalls: records.filter((r) => r.CallType === 'MultiCall').length,
      participants: new Set(joined).size,
      maxConcurrentCalls: Math.max(peak('SingleCall'), peak('MultiCall')),
    };
  }
}

/** One `@connections` post and what it gave. */
export interface Post {
  connectionId: string;
  frame: string;
  result: 'sent' | 'gone' | 'failed';
}

/** `@connections`: records every post; a gone connection answers `'gone'` (410), a failing one throws (500). */
export class FakeConnections extends Io implements Connections {
  readonly posts: Post[] = [];
  /** Connections that no longer exist (closed by the server, or dropped by the network). */
  readonly gone = new Set<string>();
  /** Connections whose posts fail with HTTP 500 (not gone: a failure the caller must survive). */
  readonly failing = new Set<string>();
  /** Connections the server closed, in order. */
  readonly closed: string[] = [];

  constructor(gate?: Gate) {
    super(gate, 'connections');
  }

  async post(connectionId: string, frame: string): Promise<'sent' | 'gone'> {
    await this.io('post');
    if (this.gone.has(connectionId)) {
      this.posts.push({ connectionId, frame, result: 'gone' });
      return 'gone';
    }
    if (this.failing.has(connectionId)) {
      this.posts.push({ connectionId, frame, result: 'failed' });
      throw Object.assign(new Error('Internal Server Error'), { $metadata: { httpStatusCode: 500 } });
    }
    this.posts.push({ connectionId, frame, result: 'sent' });
    return 'sent';
  }

  async close(connectionId: string): Promise<void> {
    await this.io('close');
    // Closing a gone connection is ignored, like the adapter ignores DeleteConnection's 410.
    if (!this.gone.has(connectionId)) this.closed.push(connectionId);
    this.gone.add(connectionId);
  }

  /** The frames a connection was actually sent, parsed. */
  framesTo(connectionId: string): Record<string, unknown>[] {
    return this.posts.filter((p) => p.connectionId === connectionId && p.result === 'sent').map((p) => JSON.parse(p.frame) as Record<string, unknown>);
  }
}

/** A message on a fake queue: its body, the delay asked for, and when SQS would first deliver it. */
export interface QueuedMessage {
  id: number;
  body: string;
  delayMs?: number;
  sentAt: number;
  /** `sentAt` plus the delay as SQS applies it (rounded up to whole seconds, at most 900 s). */
  dueAt: number;
}

/** A queue that only records: the test delivers messages when it wants (on time, early, late, twice or never). */
export class FakeQueue extends Io implements Queue {
  /** Every message ever sent. */
  readonly sent: QueuedMessage[] = [];
  /** Messages not delivered yet (the test takes them out). */
  pending: QueuedMessage[] = [];

  constructor(private readonly clock: Clock, name: string, gate?: Gate) {
    super(gate, name);
  }

  async send(body: string, options?: { delayMs?: number }): Promise<void> {
    await this.io('send');
    const sentAt = this.clock.now();
    const delaySec = options?.delayMs === undefined ? 0 : Math.min(900, Math.max(0, Math.ceil(options.delayMs / 1000) || 0));
    const message: QueuedMessage = { id: this.sent.length + 1, body, ...(options?.delayMs === undefined ? {} : { delayMs: options.delayMs }), sentAt, dueAt: sentAt + delaySec * 1000 };
    this.sent.push(message);
    this.pending.push(message);
  }

  /** Takes a message out of the pending ones (delivered for good, or lost). */
  remove(message: QueuedMessage): void {
    this.pending = this.pending.filter((m) => m !== message);
  }
}

/** The callbacks dead-letter queue. */
export class FakeDeadLetters implements DeadLetters {
  readonly bodies: string[] = [];

  async add(body: string): Promise<void> {
    this.bodies.push(body);
  }

  async list(sdkAppId: number, limit: number): Promise<string[]> {
    return this.bodies.filter((b) => appOf(b) === sdkAppId).slice(0, limit);
  }

  async replay(sdkAppId: number, replay: (body: string) => Promise<void>): Promise<number> {
    const mine = this.bodies.filter((b) => appOf(b) === sdkAppId);
    for (const body of mine) {
      await replay(body);
      this.bodies.splice(this.bodies.indexOf(body), 1);
    }
    return mine.length;
  }
}

function appOf(body: string): number | undefined {
  try {
    return (JSON.parse(body) as { sdkAppId?: number }).sdkAppId;
  } catch {
    return undefined;
  }
}

/**
 * `Once` like the Powertools idempotency adapter: a key whose work succeeded is a duplicate from then on;
 * a key whose work is running elsewhere is busy (until `inProgressMs` passed); a failed run frees its key.
 */
export class FakeOnce extends Io implements Once {
  readonly done = new Set<string>();
  private readonly running = new Map<string, number>();

  constructor(private readonly clock: Clock, gate?: Gate, private readonly inProgressMs = 60_000) {
    super(gate, 'once');
  }

  async run(key: string, work: () => Promise<void>): Promise<'ran' | 'duplicate'> {
    await this.io('run');
    if (this.done.has(key)) return 'duplicate';
    const started = this.running.get(key);
    if (started !== undefined && this.clock.now() < started + this.inProgressMs) throw new OnceBusyError(key);
    this.running.set(key, this.clock.now());
    try {
      await work();
    } catch (err) {
      this.running.delete(key);
      throw err;
    }
    this.running.delete(key);
    this.done.add(key);
    return 'ran';
  }
}

/** Counters in memory. */
export class FakeMetrics implements Metrics {
  readonly counts = new Map<string, number>();
  count(name: string): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
  }
  flush(): void {}
}

/** Per-key, per-second budgets on the fake clock. */
export class FakeRateLimiter implements RateLimiter {
  private readonly taken = new Map<string, number>();
  constructor(private readonly clock: Clock) {}
  async take(key: string, perSecond: number): Promise<boolean> {
    const slot = `${key}@${Math.floor(this.clock.now() / 1000)}`;
    const n = this.taken.get(slot) ?? 0;
    if (n >= perSecond) return false;
    this.taken.set(slot, n + 1);
    return true;
  }
}

/** Callback configurations per app and generation. */
export class FakeCallbackConfigs implements CallbackConfigStore {
  readonly configs = new Map<number, { v4?: CallbackConfigV4; v1?: CallbackConfigV1 }>();
  async get(sdkAppId: number): Promise<{ v4?: CallbackConfigV4; v1?: CallbackConfigV1 }> {
    return copy(this.configs.get(sdkAppId) ?? {});
  }
  async put(sdkAppId: number, generation: 'v4' | 'v1', config: CallbackConfigV4 | CallbackConfigV1 | undefined): Promise<void> {
    const current = { ...this.configs.get(sdkAppId) };
    if (config) Object.assign(current, { [generation]: copy(config) });
    else delete current[generation];
    this.configs.set(sdkAppId, current);
  }
}

/** An app with fixed secrets (so UserSigs can be made for it) and the given settings. */
export function testApp(sdkAppId: number, settings: Partial<App> = {}): App {
  return { ...newApp({ sdkAppId, name: `app ${sdkAppId}`, secretKey: `secret-${sdkAppId}`, callbackSecret: `callback-secret-${sdkAppId}`, now: 0 }), ...settings };
}

export interface FakeDepsOptions {
  /** Start of the fake clock (epoch ms). */
  now?: number;
  seed?: number;
  timing?: Partial<Timing>;
  apps?: readonly App[];
  /** Awaited before every store, connection and queue operation (see `Gate`). */
  gate?: Gate;
}

/** `Deps` on fakes, and the fakes themselves for the test to drive and inspect. */
export interface Fakes {
  deps: Deps;
  clock: FakeClock;
  ids: SeededIds;
  apps: FakeAppStore;
  calls: FakeCallStore;
  users: FakeUserStore;
  records: FakeRecordStore;
  connections: FakeConnections;
  timers: FakeQueue;
  callbacks: FakeQueue;
  deadLetters: FakeDeadLetters;
  once: FakeOnce;
  metrics: FakeMetrics;
  rateLimiter: FakeRateLimiter;
  callbackConfigs: FakeCallbackConfigs;
  log: SilentLog;
}

/** Builds every port on fakes (what `wire()` does with the real adapters). */
export function fakeDeps(options: FakeDepsOptions = {}): Fakes {
  const { gate } = options;
  const clock = new FakeClock(options.now ?? 1_740_464_128_807);
  const f = {
    clock,
    ids: new SeededIds(options.seed ?? 1),
    apps: new FakeAppStore(options.apps, gate),
    calls: new FakeCallStore(gate),
    users: new FakeUserStore(gate),
    records: new FakeRecordStore(gate),
    connections: new FakeConnections(gate),
    timers: new FakeQueue(clock, 'timers', gate),
    callbacks: new FakeQueue(clock, 'callbacks', gate),
    deadLetters: new FakeDeadLetters(),
    once: new FakeOnce(clock, gate),
    metrics: new FakeMetrics(),
    rateLimiter: new FakeRateLimiter(clock),
    callbackConfigs: new FakeCallbackConfigs(),
    log: new SilentLog(),
  };
  const deps: Deps = { ...f, callbackPolicy: { ...DEFAULT_CALLBACK_POLICY }, timing: { ...DEFAULT_TIMING, ...options.timing } };
  return { ...f, deps };
}
