/**
 * Numeric enums of TUICallEngine (client-api.md §5) as `as const` objects, and the mapping between
 * them and the names that travel on the wire (ws-protocol.md uses names, apps use numbers).
 */

/** Media type of a call (TUICallDefine.MediaType). */
export const MediaType = { Unknown: 0, Audio: 1, Video: 2 } as const;
/** A MediaType number. */
export type MediaType = (typeof MediaType)[keyof typeof MediaType];
/** A MediaType name, as on the wire. */
export type MediaTypeName = keyof typeof MediaType;

/** The current user's role in a call (TUICallDefine.Role). */
export const Role = { None: 0, Caller: 1, Called: 2 } as const;
/** A Role number. */
export type Role = (typeof Role)[keyof typeof Role];
/** A Role name, as on the wire. */
export type RoleName = keyof typeof Role;

/** Why a call ended or never connected (TUICallDefine.CallEndReason). */
export const CallEndReason = {
  Unknown: 0,
  Hangup: 1,
  Reject: 2,
  NoResponse: 3,
  Offline: 4,
  LineBusy: 5,
  Canceled: 6,
  OtherDeviceAccepted: 7,
  OtherDeviceReject: 8,
  EndByServer: 9,
} as const;
/** A CallEndReason number. */
export type CallEndReason = (typeof CallEndReason)[keyof typeof CallEndReason];
/** A CallEndReason name, as on the wire. */
export type CallEndReasonName = keyof typeof CallEndReason;

/** Call scene, with the Android numbers (DESIGN.md: the SDK follows Android, the wire uses names). */
export const Scene = { SINGLE_CALL: 0, GROUP_CALL: 1, MULTI_CALL: 2 } as const;
/** A Scene number. */
export type Scene = (typeof Scene)[keyof typeof Scene];
/** A Scene name, as on the wire. */
export type SceneName = keyof typeof Scene;

/** The engine's per-user call status (TUICallDefine.Status). */
export const CallStatus = { None: 0, Waiting: 1, Accept: 2 } as const;
/** A CallStatus number. */
export type CallStatus = (typeof CallStatus)[keyof typeof CallStatus];
/** A CallStatus name. */
export type CallStatusName = keyof typeof CallStatus;

/** Why the server removed this device (onKickedOffline `reason`; a string, not a CallEndReason). */
export type KickedOfflineReason = 'LoginElsewhere' | 'PlatformLimit' | 'AdminKick' | 'AccountDeleted';

/** The client call state of client-api.md §3 (Mini Program CALL_STATUS), lower-case. */
export type EngineStatus = 'idle' | 'calling' | 'connected';

/** Platforms the server accepts in `login` (ws-protocol.md). */
export type Platform = 'iOS' | 'Android' | 'Web' | 'miniProgram' | 'Windows' | 'Mac' | 'Linux' | 'Flutter' | 'Unknown';

type NumericEnum = Readonly<Record<string, number>>;

function toNumber<E extends NumericEnum>(table: E, name: unknown, fallback: E[keyof E]): E[keyof E] {
  if (typeof name === 'string' && Object.hasOwn(table, name)) return table[name as keyof E];
  return fallback;
}

function toName<E extends NumericEnum>(table: E, value: unknown): (keyof E & string) | undefined {
  for (const [name, number] of Object.entries(table)) if (number === value) return name as keyof E & string;
  return undefined;
}

/** Wire name → MediaType number; anything unknown becomes `Unknown` (0). */
export function mediaTypeFromName(name: unknown): MediaType {
  return toNumber(MediaType, name, MediaType.Unknown);
}

/** MediaType number → wire name, or undefined for a number outside the enum. */
export function mediaTypeToName(value: unknown): MediaTypeName | undefined {
  return toName(MediaType, value);
}

/** Wire name → Role number; anything unknown becomes `None` (0). */
export function roleFromName(name: unknown): Role {
  return toNumber(Role, name, Role.None);
}

/** Role number → wire name. */
export function roleToName(value: unknown): RoleName | undefined {
  return toName(Role, value);
}

/** Wire name → CallEndReason number; anything unknown becomes `Unknown` (0). */
export function callEndReasonFromName(name: unknown): CallEndReason {
  return toNumber(CallEndReason, name, CallEndReason.Unknown);
}

/** CallEndReason number → wire name. */
export function callEndReasonToName(value: unknown): CallEndReasonName | undefined {
  return toName(CallEndReason, value);
}

/** Wire name → Scene number (Android values); unknown names map to SINGLE_CALL. */
export function sceneFromName(name: unknown): Scene {
  return toNumber(Scene, name, Scene.SINGLE_CALL);
}

/** Scene number → wire name. */
export function sceneToName(value: unknown): SceneName | undefined {
  return toName(Scene, value);
}

/** Wire name → CallStatus number; anything unknown becomes `None` (0). */
export function callStatusFromName(name: unknown): CallStatus {
  return toNumber(CallStatus, name, CallStatus.None);
}

/** CallStatus number → name. */
export function callStatusToName(value: unknown): CallStatusName | undefined {
  return toName(CallStatus, value);
}

/**
 * Accepts a media type as apps pass it (number or name) and returns the wire name for `calls`;
 * undefined for Unknown or anything else, which the engine refuses with ERROR_PARAM_INVALID.
 */
export function toWireMediaType(value: MediaType | MediaTypeName | number | string): 'Audio' | 'Video' | undefined {
  const name = typeof value === 'number' ? mediaTypeToName(value) : value;
  return name === 'Audio' || name === 'Video' ? name : undefined;
}
