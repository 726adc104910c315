import type { App } from '../apps/app.ts';
import type { Call, CallRecord, CallResult, CallType, Effect, Platform, RecordDetails } from '../calls/types.ts';

/** A stored answer to a client request, replayed when the same requestId comes again. */
export interface StoredAnswer {
  action: string;
  data: Record<string, unknown>;
}

/**
 * The effects of one transition, kept on the call item by the write that made the transition, so a
 * retry of the request (or the sweeper, once the call ended) can carry them out again if the handler
 * died before it finished them. `key` is the request's replay key (or `v<version>` without one).
 */
export interface OutboxEntry {
  key: string;
  effects: Effect[];
  /** The transition's callback messages, built when it was stored (a redo sends exactly these). */
  callbacks: string[];
}

/** A call as stored: the state, its version for optimistic concurrency, and replayable answers. */
export interface StoredCall {
  call: Call;
  version: number;
  /** Answers to successful requests on this call, keyed `userId|deviceId|requestId`. */
  requests: Record<string, StoredAnswer>;
  /** The `calls` request that created it. */
  origin: { deviceId: string; requestId: string };
  /** The effects of the latest transitions (oldest first, a few at most); emptied once an ended call is settled. */
  outbox: OutboxEntry[];
}

/** One logged-in device (connection) of a user. */
export interface DeviceItem {
  connectionId: string;
  loginId: string;
  platform: Platform;
  deviceId: string;
  ip: string;
  loginAt: number;
  lastSeenAt: number;
  /** When the credential used to connect expires (epoch seconds). */
  credentialExpiresAt: number;
  loginRequestId: string;
}

/** A user's profile: exists once she logged in (or was imported). */
export interface ProfileItem {
  userId: string;
  createdAt: number;
  nickname?: string;
  avatar?: string;
  multiDeviceAbility: boolean;
  lastLoginAt?: number;
  /** True after an explicit logout, or imported and never logged in: `getUserStatus` says UNLOGINED. */
  loggedOut: boolean;
  /** Credentials issued before this (epoch seconds) are refused at connect (REST `kick`). */
  credentialsValidAfter?: number;
  /** `Tag_Profile_Custom_<keyword>` values, by keyword. */
  custom?: Record<string, string>;
}

/** What an admin may change on an existing profile (REST portrait_set, kick, re-import). */
export type ProfileUpdate = Partial<Pick<ProfileItem, 'nickname' | 'avatar' | 'credentialsValidAfter' | 'custom'>>;

/** Everything in a user's partition, read with one Query. */
export interface UserView {
  profile?: ProfileItem;
  devices: DeviceItem[];
  line?: { callId: string; since: number };
}

/** Outcome of trying to take a user's line for a call. */
/** How to take a line: see `UserStore.acquireLine`. */
export interface LineOptions {
  /**
   * A hold on the line found stale (its call ended, or she is not in it): taken over only if the line
   * is still held by that call with that `since` (a request that stamped it again meanwhile keeps it).
   */
  stale?: { callId: string; since: number };
  /** Count this call against the user's calls per minute (the caller's own line). */
  callsPerMinute?: number;
  /**
   * She is not in this call (invited again, joining): her line starts a new part, so `since` is set
   * to now even if the call holds the line still (the part that ended has not freed it yet).
   * Otherwise a line the call holds already keeps its `since` (a retried request).
   */
  freshSince?: boolean;
}

/** `since`: when the holder took the line (a line held for a call that does not exist yet is young). */
/**
 * Outcome of trying to take a user's line. `previousSince`: when the call held it already, the stamp
 * it had (which part of the call, or which request still running, had taken it).
 */
export type LineAttempt = { acquired: true; alreadyOurs: boolean; previousSince?: number } | { acquired: false; heldBy: string; since: number };

/** The user placed `callsPerMinute` calls this minute already; her window ends in `limitedForMs`. */
export interface LineLimited {
  acquired: false;
  limitedForMs: number;
}

/** A call by its ids (what the sweeper's index holds). */
export interface CallRef {
  sdkAppId: number;
  callId: string;
}

/** Calls, changed only by conditional writes on their version. */
export interface CallStore {
  getCall(sdkAppId: number, callId: string): Promise<StoredCall | undefined>;
  /**
   * What a `calls` request's call id names: its call, or the call it was merged into (glare: she
   * accepted the callee's call instead, `markMerged`), or nothing. One read.
   */
  getPlaced(sdkAppId: number, callId: string): Promise<StoredCall | { mergedInto: string } | undefined>;
  /** Notes that the `calls` whose call id is `callId` was answered by accepting call `into` (kept like a call item). */
  markMerged(sdkAppId: number, callId: string, into: string, now: number): Promise<void>;
  /** Creates the call unless it exists; `false` when it already existed (a replayed `calls`). */
  createCall(call: Call, origin: StoredCall['origin'], sweepAt: number | undefined, outbox: OutboxEntry[]): Promise<boolean>;
  /**
   * Replaces the call if its version is still `expectedVersion`; throws `VersionConflictError` otherwise.
   * `outbox`, when given, replaces the stored one in the same write.
   */
  saveCall(call: Call, expectedVersion: number, sweepAt: number | undefined, answer?: { key: string; answer: StoredAnswer }, outbox?: OutboxEntry[]): Promise<void>;
  /** The live call in a room, if any. */
  liveCallInRoom(sdkAppId: number, roomId: number | string): Promise<string | undefined>;
  /** Live calls whose next deadline is at or before `before`, across all apps (sweeper). */
  dueCalls(before: number, limit: number): Promise<CallRef[]>;
  /**
   * Ended calls whose settle check (`sweepAt`) is at or before `before` and that no earlier sweep
   * acknowledged (at most `limit` per shard), by id; `done` acknowledges them.
   */
  endedCallsToSettle(before: number, limit: number): Promise<{ calls: CallRef[]; done: () => Promise<void> }>;
}

/** Users' profiles, devices and lines (busy markers). */
export interface UserStore {
  getUser(sdkAppId: number, userId: string): Promise<UserView>;
  getDevice(sdkAppId: number, userId: string, connectionId: string): Promise<DeviceItem | undefined>;
  /** The profile alone (one GetItem): does the account exist, since when are credentials valid. */
  getProfile(sdkAppId: number, userId: string): Promise<ProfileItem | undefined>;
  /** REST import: creates the profile as never logged in unless it exists; sets nickname/avatar if given. */
  importUser(sdkAppId: number, userId: string, now: number, fields: Pick<ProfileUpdate, 'nickname' | 'avatar'>): Promise<void>;
  /** Changes an existing profile (custom fields are merged); `false` when there is no profile. */
  updateProfile(sdkAppId: number, userId: string, fields: ProfileUpdate): Promise<boolean>;
  /** Deletes the profile and every device item (the line stays: the call holding it frees it). */
  deleteUser(sdkAppId: number, userId: string): Promise<void>;
  /** Creates the profile on first login, or marks it logged in again. */
  recordLogin(sdkAppId: number, userId: string, now: number): Promise<ProfileItem>;
  putDevice(sdkAppId: number, userId: string, device: DeviceItem): Promise<void>;
  removeDevice(sdkAppId: number, userId: string, connectionId: string): Promise<void>;
  touchDevice(sdkAppId: number, userId: string, connectionId: string, now: number): Promise<boolean>;
  setProfileFields(sdkAppId: number, userId: string, fields: Partial<Pick<ProfileItem, 'nickname' | 'avatar' | 'multiDeviceAbility' | 'loggedOut'>>): Promise<void>;
  /**
   * Takes the line for `callId` if it is free, already ours, or held as `stale` says. With
   * `callsPerMinute`, taking it also counts one call in the user's current minute and is refused
   * (`limitedForMs`) once that many were counted.
   */
  acquireLine(sdkAppId: number, userId: string, callId: string, now: number, options?: LineOptions & { callsPerMinute?: undefined }): Promise<LineAttempt>;
  acquireLine(sdkAppId: number, userId: string, callId: string, now: number, options: LineOptions & { callsPerMinute: number }): Promise<LineAttempt | LineLimited>;
  /** Frees the line if `callId` still holds it (and, with `since`, still for the part of the call that took it then). */
  releaseLine(sdkAppId: number, userId: string, callId: string, since?: number): Promise<void>;
}

/** Apps (tenants). */
export interface AppStore {
  getApp(sdkAppId: number): Promise<App | undefined>;
  /** Creates the app; `false` if one with this SDKAppID exists. */
  createApp(app: App): Promise<boolean>;
  putApp(app: App): Promise<void>;
}

/** What `queryRecords` filters on. */
export interface RecordQuery {
  fromSec: number;
  toSec: number;
  callResult?: CallResult;
  callType?: CallType;
  /** From 1. */
  page: number;
  perPage: number;
}

/** One day of an app's calls, for the records dashboard (product-features.md). */
export interface DailyStats {
  day: string;
  calls: number;
  singleCalls: number;
  multiCalls: number;
  /** Distinct users who took part in a call that day. */
  participants: number;
  /** Most calls in progress at the same moment among the calls that started that day. */
  maxConcurrentCalls: number;
}

/** Call records, written once when a call ends. */
export interface RecordStore {
  putRecord(sdkAppId: number, record: CallRecord, retentionDays: number, details?: RecordDetails): Promise<void>;
  getRecord(sdkAppId: number, callId: string): Promise<CallRecord | undefined>;
  /** A page of the records that started in [fromSec, toSec] (ascending), the number of all matches, and whether more follow. */
  queryRecords(sdkAppId: number, query: RecordQuery): Promise<{ records: CallRecord[]; total: number; more: boolean }>;
  /** The dashboard's day overview (UTC day `YYYY-MM-DD`). */
  dailyStats(sdkAppId: number, day: string): Promise<DailyStats>;
  /** The dashboard's extra facts about a record (durations per member, peak concurrency). */
  getRecordDetails(sdkAppId: number, callId: string): Promise<RecordDetails | undefined>;
}

/** Raised by `saveCall` when another writer changed the call first. */
export class VersionConflictError extends Error {
  override readonly name = 'VersionConflictError';
  constructor(readonly callId: string, options?: { cause?: unknown }) {
    super(`call ${callId} was changed concurrently`, options);
  }
}

/**
 * True for a storage error that means "too many requests right now" (DynamoDB throttling, after the
 * SDK's own retries with jittered backoff were used up): callers answer "busy, retry", not "internal".
 */
export function isStoreThrottled(err: unknown): boolean {
  return err instanceof Error && ['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'ThrottledException'].includes(err.name);
}
