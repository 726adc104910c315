import type { Call, MediaType, RoomIdType } from './types.ts';

/** What a member is told about a call she is invited to (`onCallReceived`, `syncCall`). */
export interface CallInfo {
  callerId: string;
  calleeIdList: string[];
  mediaType: MediaType;
  scene: 'SINGLE_CALL' | 'MULTI_CALL';
  roomId: number | string;
  roomIdType: RoomIdType;
  userData: string;
  chatGroupId: string;
}

/** The call's public description; `calleeIdList` is every invitee in invitation order. */
export function callInfo(call: Call): CallInfo {
  return {
    callerId: call.callerId,
    calleeIdList: call.members.filter((m) => m.role === 'Called').map((m) => m.userId),
    mediaType: call.mediaType,
    scene: call.callType === 'SingleCall' ? 'SINGLE_CALL' : 'MULTI_CALL',
    roomId: call.roomId,
    roomIdType: call.roomIdType,
    userData: call.userData,
    chatGroupId: call.chatGroupId,
  };
}
