/**
 * Types of the pure call state machine. Everything here is plain data: it is stored as-is in the
 * call item and travels through effects, so no classes, no Dates (times are epoch milliseconds).
 */

export type MediaType = 'Audio' | 'Video';
export type CallType = 'SingleCall' | 'MultiCall';
export type Scene = 'SINGLE_CALL' | 'MULTI_CALL';
export type Role = 'Caller' | 'Called';
export type RoomIdType = 1 | 2;

export const PLATFORMS = ['iOS', 'Android', 'Web', 'miniProgram', 'Windows', 'Mac', 'Linux', 'Flutter', 'Unknown'] as const;
export type Platform = (typeof PLATFORMS)[number];

/** The CallEndReason enum by name, as it travels on the wire. */
export type EndReason =
  | 'Unknown'
  | 'Hangup'
  | 'Reject'
  | 'NoResponse'
  | 'Offline'
  | 'LineBusy'
  | 'Canceled'
  | 'OtherDeviceAccepted'
  | 'OtherDeviceReject'
  | 'EndByServer';

/** v4 record / callback results (DESIGN.md "Contradictions settled"). */
export type CallResult = 'Cancel' | 'Reject' | 'NotAnswer' | 'NormalEnd' | 'CallBusy' | 'Offline' | 'Interrupt';

/** One logged-in connection of a user: what events are addressed to. */
export interface DeviceRef {
  connectionId: string;
  loginId: string;
  /** Stable across reconnects (client-given at login, else the loginId): retried requests are keyed by it. */
  deviceId: string;
  platform: Platform;
  /** Source IP of the device, for callbacks' ClientIP. */
  ip?: string;
}

/**
 * A member's part in the call. `ringing` and `joined` are live; the others are final.
 * The caller is `joined` from the start: she is in the room while her invitees ring.
 */
export type MemberState = 'ringing' | 'joined' | 'rejected' | 'noResponse' | 'busy' | 'canceled' | 'left';

export interface Member {
  userId: string;
  role: Role;
  state: MemberState;
  invitedAt: number;
  /** Epoch ms after which a still-ringing invitation counts as not answered. */
  ringDeadline?: number;
  timeoutSec?: number;
  /** Devices currently ringing for this member (state `ringing`). */
  ringing: DeviceRef[];
  /** The one device of this member that is in the call (state `joined`). */
  device?: DeviceRef;
  /** True while her invitation rings and the app server was asked to push it (she had no online device). */
  pushed?: boolean;
  /** True once this member received onCallBegin: decides onCallEnd vs onCallNotConnected. */
  begun: boolean;
  joinedAt?: number;
  leftAt?: number;
  /**
   * When her line was taken for this part of the call (the `now` of the request that made her
   * ringing or joined from outside the call): it tells her line's holders apart, so freeing the
   * line of a part that ended cannot free the one a later part took.
   */
  lineSince?: number;
  /** Each stretch of time she was in the call, on which platform (records: durations, peak concurrency). */
  segments: Segment[];
  /** Why the member's part ended (for events and records). */
  endReason?: EndReason;
}

/** A stretch of time a member was in the call; `to` is absent while she still is. */
export interface Segment {
  from: number;
  to?: number;
  platform: Platform;
}

export type CallStatus = 'calling' | 'connected' | 'ended';

export interface OfflinePushInfo {
  title?: string;
  desc?: string;
  [key: string]: unknown;
}

export interface Call {
  sdkAppId: number;
  callId: string;
  callerId: string;
  mediaType: MediaType;
  callType: CallType;
  roomId: number | string;
  roomIdType: RoomIdType;
  userData: string;
  chatGroupId: string;
  offlinePushInfo?: OfflinePushInfo;
  status: CallStatus;
  createdAt: number;
  /** First time a callee connected. */
  acceptedAt?: number;
  endedAt?: number;
  result?: CallResult;
  /** Last event sequence number used; every event of the call takes the next one. */
  seq: number;
  /** Last callback sequence number used (`Seq` of the webhooks of this call). */
  callbackSeq: number;
  /** The invitee whose part ended last (ties in time are broken by order of events). */
  lastOutcomeUserId?: string;
  /** Members in invitation order, caller first. */
  members: Member[];
  /**
   * When the sweeper must next check that the connected members' devices still heartbeat. Set by
   * the use cases (`scheduleLiveness`), carried unchanged by the machine.
   */
  livenessCheckAt?: number;
}

/** The call record, fields named as in the v4 REST API (`spec/rest-api.md` A.9). */
export interface CallRecord {
  CallId: string;
  Caller_Account: string;
  MediaType: MediaType;
  CallType: CallType;
  StartTime: number;
  EndTime: number;
  AcceptTime: number;
  CallResult: CallResult;
  CalleeList_Account: string[];
  RoomId: string;
  RoomIdType: RoomIdType;
}

/** One member's part in a finished call, for the records dashboard (beyond the documented record fields). */
export interface MemberDetail {
  userId: string;
  role: Role;
  /** Platform of the device she was in the call on ('' if she never was). */
  platform: Platform | '';
  /** First time she entered / last time she left the call, Unix seconds (0 if never). */
  joinedAt: number;
  leftAt: number;
  /** Seconds she was in the call while at least one other member was too. */
  durationSec: number;
  outcome: MemberState;
}

export interface RecordDetails {
  members: MemberDetail[];
  /** Most members in the call at the same moment. */
  peakConnected: number;
  /** Seconds during which at least two members were in the call. */
  connectedDurationSec: number;
}

/** Names of the events a device can receive about a call. */
export type CallEventName =
  | 'onCallReceived'
  | 'onCallBegin'
  | 'onCallEnd'
  | 'onCallNotConnected'
  | 'onUserReject'
  | 'onUserNoResponse'
  | 'onUserLineBusy'
  | 'onUserInviting'
  | 'onUserJoin'
  | 'onUserLeave'
  | 'onCallMediaTypeChanged';

/** `ActionType` values of `Call.CallbackAfterMemberChanged` (DESIGN.md). */
export type MemberAction = 'Accept' | 'Reject' | 'NotAnswer' | 'Hangup' | 'Join' | 'Offline' | 'Invite' | 'Cancel_Invite';

/** Something the world must do after a state change. Adapters carry these out, in order. */
export type Effect =
  | { kind: 'send'; to: DeviceRef[]; event: CallEventName; seq: number; time: number; data: Record<string, unknown> }
  | { kind: 'timer'; at: number }
  | { kind: 'releaseLine'; userId: string; since?: number }
  | { kind: 'record'; record: CallRecord; details: RecordDetails }
  | CallbackEffect;

/**
 * A webhook to enqueue for the app server. `by` is the device whose action caused it (for
 * `OptPlatform`/`ClientIP`); absent for server-caused events (timeouts, sweeper).
 */
export type CallbackEffect =
  | { kind: 'callback'; command: 'Call.CallbackAfterStartCall' | 'Call.CallbackAfterEndCall'; seq: number; time: number; by?: DeviceRef }
  /** Our extension: an invitee with no online device should get a push (`Invite`), and later its withdrawal (`Cancel`). */
  | { kind: 'callback'; command: 'Call.CallbackOfflinePush'; seq: number; time: number; by?: DeviceRef; push: { userId: string; kind: 'Invite' | 'Cancel' } }
  | {
      kind: 'callback';
      command: 'Call.CallbackAfterMemberChanged';
      seq: number;
      time: number;
      by?: DeviceRef;
      changes: { userId: string; action: MemberAction }[];
    };
