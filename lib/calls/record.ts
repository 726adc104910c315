import type { Call, CallRecord, CallResult, EndReason, Member } from './types.ts';

const toSeconds = (ms: number): number => Math.floor(ms / 1000);

/** The call record as the REST API returns it; derived only from the ended call, so re-deriving it is idempotent. */
export function toRecord(call: Call): CallRecord {
  return {
    CallId: call.callId,
    Caller_Account: call.callerId,
    MediaType: call.mediaType,
    CallType: call.callType,
    StartTime: toSeconds(call.createdAt),
    EndTime: toSeconds(call.endedAt ?? call.createdAt),
    AcceptTime: call.acceptedAt === undefined ? 0 : toSeconds(call.acceptedAt),
    CallResult: call.result ?? 'NormalEnd',
    // Caller first, then invitees in invitation order (DESIGN.md "Members and results").
    CalleeList_Account: call.members.map((m) => m.userId),
    RoomId: String(call.roomId),
    RoomIdType: call.roomIdType,
  };
}

const RESULT_OF_OUTCOME: Partial<Record<Member['state'], CallResult>> = {
  rejected: 'Reject',
  noResponse: 'NotAnswer',
  busy: 'CallBusy',
  canceled: 'Cancel',
};

/**
 * The result of a call that ends now: `NormalEnd` once anyone answered, otherwise the outcome of
 * the invitee whose part ended last (for a 1v1 call, simply the callee's outcome).
 */
export function resultOf(call: Call): CallResult {
  if (call.acceptedAt !== undefined) return 'NormalEnd';
  const last: Member | undefined = call.members.find((m) => m.userId === call.lastOutcomeUserId);
  return (last && RESULT_OF_OUTCOME[last.state]) ?? 'Cancel';
}

/** The CallEndReason a member who never connected is told, given how the call ended. */
export function notConnectedReason(result: CallResult): EndReason {
  switch (result) {
    case 'Reject':
      return 'Reject';
    case 'NotAnswer':
      return 'NoResponse';
    case 'CallBusy':
      return 'LineBusy';
    case 'Cancel':
      return 'Canceled';
    case 'Offline':
      return 'Offline';
    default:
      return 'Unknown';
  }
}
