import * as v from 'valibot';
import { CallEndedError } from '../calls/errors.ts';
import type { Call } from '../calls/types.ts';
import { runCallCommand } from '../usecases/run-command.ts';
import { RestError } from './errors.ts';
import { callRecordSchema, callStatusSchema, recordFilter, v4Records } from './v4-records.ts';
import { route, type RestContext, type RestRoute } from './route.ts';

const callIdBody = v.object({ CallId: v.pipe(v.string('CallId must be a string'), v.minLength(1, 'CallId is required'), v.maxLength(64, 'CallId is at most 64 characters')) });

/** `get_call_info`'s view of a live call: members in the call are `Calling`, those ringing `Waiting`. */
function callInfoOf(call: Call) {
  return {
    CallInfo: { CallId: call.callId, MediaType: call.mediaType, ChatGroupId: call.chatGroupId, RoomId: String(call.roomId), RoomIdType: call.roomIdType },
    UserList: call.members
      .filter((m) => m.state === 'joined' || m.state === 'ringing')
      .map((m) => ({ User_Account: m.userId, Status: m.state === 'joined' ? 'Calling' : 'Waiting' })),
  };
}

/** Ends a live call from the server: members are told `EndByServer`, the record is written, callbacks fire. */
async function endByServer(ctx: RestContext, callId: string): Promise<void> {
  const gone = () => new RestError(101004, `call ${callId} does not exist or has ended`);
  await runCallCommand(
    ctx.deps,
    ctx.app.sdkAppId,
    callId,
    (stored) => {
      if (stored.call.status === 'ended') throw gone();
      return { type: 'endByServer', now: ctx.deps.clock.now(), by: ctx.identifier };
    },
    undefined,
    () => new CallEndedError('end_call', callId),
  ).catch((err: unknown) => {
    throw err instanceof CallEndedError ? gone() : err;
  });
}

const roomIdBody = v.object({
  RoomId: v.union([v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(2 ** 31 - 1)), v.pipe(v.string(), v.minLength(1), v.maxBytes(64))], 'RoomId must be an integer 1..2147483647 or a string of at most 64 bytes'),
});

/** The v4 call endpoints: live call status, records, and ending a call from the server. */
export const v4CallRoutes: RestRoute[] = [
  route({
    generation: 'v4',
    path: 'call_engine_http_srv/get_call_info',
    summary: 'Live status of a call: its room and who is in it (Calling) or still ringing (Waiting).',
    ratePerSec: 200,
    body: callIdBody,
    invalidCode: 101002,
    response: { type: 'object', properties: { Response: callStatusSchema } },
    async handle(ctx, body) {
      const stored = await ctx.deps.calls.getCall(ctx.app.sdkAppId, body.CallId);
      if (!stored || stored.call.status === 'ended') throw new RestError(101004, `call ${body.CallId} does not exist or has ended`);
      return { Response: callInfoOf(stored.call) };
    },
  }),
  route({
    generation: 'v4',
    path: 'call_record_http_srv/get_record_by_callid',
    summary: 'The record of an ended call, kept for the retention period (90 days by default).',
    ratePerSec: 200,
    body: callIdBody,
    invalidCode: 101002,
    response: { type: 'object', properties: { Response: { type: 'object', properties: { CallRecord: callRecordSchema } } } },
    async handle(ctx, body) {
      const record = await ctx.deps.records.getRecord(ctx.app.sdkAppId, body.CallId);
      if (!record) throw new RestError(101050, `no record for call ${body.CallId}`);
      return { Response: { CallRecord: record } };
    },
  }),
  route({
    generation: 'v4',
    path: 'call_record_http_srv/get_record_by_filter',
    summary: 'Records of the last 7 days by start time, result and type, a page at a time.',
    ratePerSec: 200,
    body: recordFilter,
    invalidCode: 101002,
    response: v4Records.response,
    handle: v4Records.handle,
  }),
  route({
    generation: 'v4',
    path: 'call_engine_http_srv/end_call',
    summary: 'Ends a live call from the server (every member is told EndByServer; the record and callbacks follow).',
    ratePerSec: 20,
    body: callIdBody,
    invalidCode: 101002,
    response: { type: 'object' },
    async handle(ctx, body) {
      await endByServer(ctx, body.CallId);
      return {};
    },
  }),
  route({
    generation: 'v4',
    path: 'call_engine_http_srv/dismiss_room',
    summary: "Ends the live call in a room (TRTC DismissRoom's semantics): RoomId is the integer or string room id.",
    ratePerSec: 20,
    body: roomIdBody,
    invalidCode: 101002,
    response: { type: 'object' },
    async handle(ctx, body) {
      const callId = await ctx.deps.calls.liveCallInRoom(ctx.app.sdkAppId, body.RoomId);
      if (!callId) throw new RestError(101004, `no live call in room ${JSON.stringify(body.RoomId)}`);
      await endByServer(ctx, callId);
      return {};
    },
  }),
];
