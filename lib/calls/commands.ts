import type { CallType, DeviceRef, EndReason, MediaType, OfflinePushInfo, RoomIdType } from './types.ts';

/** Everything needed to create a call; the use case has already resolved devices and busy lines. */
export interface StartCommand {
  type: 'start';
  now: number;
  callId: string;
  sdkAppId: number;
  caller: { userId: string; device: DeviceRef };
  invitees: InviteeInfo[];
  mediaType: MediaType;
  callType: CallType;
  roomId: number | string;
  roomIdType: RoomIdType;
  timeoutSec: number;
  userData: string;
  chatGroupId: string;
  offlinePushInfo?: OfflinePushInfo;
  /** The `since` the use case stamped on the lines it took (`Member.lineSince`; default `now`). */
  lineSince?: number;
}

/** An invitee as the use case found her: the devices that should ring, and whether her line is taken. */
export interface InviteeInfo {
  userId: string;
  ringTargets: DeviceRef[];
  busy: boolean;
}

/** A device of a member acts on the call. */
export interface DeviceAction {
  now: number;
  userId: string;
  device: DeviceRef;
}

/** Commands on an existing call. */
export type CallCommand =
  | ({ type: 'accept' } & DeviceAction)
  | ({ type: 'reject' } & DeviceAction)
  | ({ type: 'ignore' } & DeviceAction)
  | ({ type: 'hangup'; reason?: 'Interrupt' } & DeviceAction)
  /** A timer fired: every invitation whose deadline passed stops ringing. Duplicates and early firings are harmless. */
  | { type: 'timeout'; now: number }
  /** A connection stops being a ring target: gone (410, disconnect) silently, or kicked with `notifyReason`. */
  | { type: 'deviceGone'; now: number; connectionId: string; notifyReason?: EndReason }
  /** A device of a member logged in: it rings if her invitation still rings, or takes over her call device. */
  | ({ type: 'deviceOnline' } & DeviceAction)
  /** A member in the call invites more users (the use case resolved their devices and lines). */
  | ({ type: 'invite'; invitees: InviteeInfo[]; timeoutSec: number; lineSince?: number } & DeviceAction)
  /** A user joins a live group call on her own; `invitedOnly` is the app's `groupJoinPolicy: invited`. */
  | ({ type: 'join'; invitedOnly: boolean; lineSince?: number } & DeviceAction)
  | ({ type: 'switchMedia'; mediaType: MediaType } & DeviceAction)
  /** An admin ends the call (REST `end_call` / `dismiss_room`); `by` is the admin identifier. */
  | { type: 'endByServer'; now: number; by: string }
  /** The member's call device is offline past the grace period or heartbeat timeout. */
  | { type: 'memberOffline'; now: number; userId: string; connectionId: string };
