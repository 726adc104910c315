/**
 * Public API of the CallSignal client SDK: the engine, its enums, errors, event payloads and
 * option/result types.
 */

export { CallEngine } from './call-engine.ts';
export {
  CallEndReason,
  CallStatus,
  MediaType,
  Role,
  Scene,
  callEndReasonFromName,
  callEndReasonToName,
  callStatusFromName,
  callStatusToName,
  mediaTypeFromName,
  mediaTypeToName,
  roleFromName,
  roleToName,
  sceneFromName,
  sceneToName,
  toWireMediaType,
} from './enums.ts';
export type {
  CallEndReasonName,
  CallStatusName,
  EngineStatus,
  KickedOfflineReason,
  MediaTypeName,
  Platform,
  RoleName,
  SceneName,
} from './enums.ts';
export { CallEngineError, ErrorCode, isCallEngineError } from './errors.ts';
export type { CallEngineErrorInfo } from './errors.ts';
export { SERVER_EVENT_NAMES } from './events.ts';
export { TUICallEvent } from './web-events.ts';
export type {
  TUICallEventName,
  WebCallBeginEvent,
  WebCallCanceledEvent,
  WebCallingEndEvent,
  WebCallReceivedEvent,
  WebCallRole,
  WebCallTypeChangedEvent,
  WebErrorEvent,
  WebEventMap,
  WebInviteeListEvent,
  WebKickedOutEvent,
  WebNoRespEvent,
  WebUserEvent,
} from './web-events.ts';
export type { CallMembers, MemberState } from './member-view.ts';
export { STATE_TABLE } from './state-rules.ts';
export type { CallControlMethod } from './state-rules.ts';
export type {
  CallBeginEvent,
  CallEndEvent,
  CallEventBase,
  CallMediaTypeChangedEvent,
  CallNotConnectedEvent,
  CallReceivedEvent,
  DisconnectedEvent,
  EngineEventMap,
  EngineEventName,
  KickedOfflineEvent,
  ReconnectedEvent,
  ReconnectingEvent,
  ServerErrorEvent,
  ServerEventName,
  UserEvent,
} from './events.ts';
export type { Handler } from './emitter.ts';
export { SDK_VERSION } from './types.ts';
export type {
  CallParams,
  CallSnapshot,
  CallsResult,
  EngineOptions,
  EventFrame,
  InviteParams,
  JoinResult,
  LoginCredentials,
  LoginResult,
  OfflinePushInfo,
  ReconnectOptions,
  RequestFrame,
  ResponseFrame,
  RoomIdObject,
  SnapshotMember,
  SocketLike,
  SyncCallResult,
  UserStatus,
  UserStatusResult,
  WebSocketCtor,
} from './types.ts';
