import * as v from 'valibot';
import { RestError } from './errors.ts';
import type { JsonSchema, RestContext } from './route.ts';

export const CALL_RESULTS = ['Cancel', 'Reject', 'NotAnswer', 'NormalEnd', 'CallBusy', 'Offline', 'Interrupt'] as const;
export const CALL_TYPES = ['SingleCall', 'MultiCall'] as const;
/** How far back the filter looks (documented: 7 days). */
export const FILTER_WINDOW_SEC = 7 * 86400;

const seconds = (name: string) => v.optional(v.pipe(v.number(`${name} must be a number of Unix seconds`), v.safeInteger(`${name} must be whole seconds`), v.minValue(0, `${name} must not be negative`)));

/** `get_record_by_filter`'s body (DESIGN.md settles the undocumented fields and paging). */
export const recordFilter = v.object({
  StartTime: seconds('StartTime'),
  EndTime: seconds('EndTime'),
  CallResult: v.optional(v.picklist(CALL_RESULTS, `CallResult must be one of ${CALL_RESULTS.join(', ')}`)),
  CallType: v.optional(v.picklist(CALL_TYPES, `CallType must be one of ${CALL_TYPES.join(', ')}`)),
  NumberPerPage: v.optional(v.pipe(v.number('NumberPerPage must be a number'), v.safeInteger(), v.minValue(1, 'NumberPerPage is at least 1'), v.maxValue(100, 'NumberPerPage is at most 100'))),
  Page: v.optional(v.pipe(v.number('Page must be a number'), v.safeInteger(), v.minValue(1, 'Page counts from 1'))),
});

/** JSON Schema of one call record (REST A.9), for the OpenAPI description. */
export const callRecordSchema: JsonSchema = {
  type: 'object',
  required: ['CallId', 'Caller_Account', 'MediaType', 'CallType', 'StartTime', 'EndTime', 'AcceptTime', 'CallResult', 'CalleeList_Account', 'RoomId', 'RoomIdType'],
  properties: {
    CallId: { type: 'string' },
    Caller_Account: { type: 'string' },
    MediaType: { enum: ['Audio', 'Video'] },
    CallType: { enum: [...CALL_TYPES] },
    StartTime: { type: 'integer' },
    EndTime: { type: 'integer' },
    AcceptTime: { type: 'integer' },
    CallResult: { enum: [...CALL_RESULTS] },
    CalleeList_Account: { type: 'array', items: { type: 'string' } },
    RoomId: { type: 'string' },
    RoomIdType: { enum: [1, 2] },
  },
};

/** JSON Schema of `get_call_info`'s `Response`. */
export const callStatusSchema: JsonSchema = {
  type: 'object',
  properties: {
    CallInfo: {
      type: 'object',
      properties: { CallId: { type: 'string' }, MediaType: { type: 'string' }, ChatGroupId: { type: 'string' }, RoomId: { type: 'string' }, RoomIdType: { type: 'integer' } },
    },
    UserList: { type: 'array', items: { type: 'object', properties: { User_Account: { type: 'string' }, Status: { enum: ['Calling', 'Waiting'] } } } },
  },
};

/** The time window of a filter: StartTime earlier than 7 days ago is raised to it (as documented). */
export function filterWindow(ctx: RestContext, start: number | undefined, end: number | undefined, invalidCode: number): { fromSec: number; toSec: number } {
  const nowSec = Math.floor(ctx.deps.clock.now() / 1000);
  const earliest = nowSec - FILTER_WINDOW_SEC;
  const fromSec = Math.max(start ?? earliest, earliest);
  const toSec = end ?? nowSec;
  if (start !== undefined && end !== undefined && start > end) throw new RestError(invalidCode, `StartTime (${start}) is after EndTime (${end})`);
  return { fromSec, toSec };
}

/** `get_record_by_filter`: one page of matching records, the total, and the page number if more follow (else 0). */
export const v4Records = {
  response: {
    type: 'object',
    properties: {
      Response: {
        type: 'object',
        properties: { TotalNum: { type: 'integer' }, Page: { type: 'integer' }, CallRecordList: { type: 'array', items: callRecordSchema } },
      },
    },
  } as JsonSchema,
  async handle(ctx: RestContext, body: v.InferOutput<typeof recordFilter>) {
    const { fromSec, toSec } = filterWindow(ctx, body.StartTime, body.EndTime, 101002);
    const page = body.Page ?? 1;
    // A window that ends before the 7-day look-back holds nothing.
    if (fromSec > toSec) return { Response: { TotalNum: 0, Page: 0, CallRecordList: [] } };
    const result = await ctx.deps.records.queryRecords(ctx.app.sdkAppId, {
      fromSec,
      toSec,
      page,
      perPage: body.NumberPerPage ?? 10,
      ...(body.CallResult ? { callResult: body.CallResult } : {}),
      ...(body.CallType ? { callType: body.CallType } : {}),
    });
    return { Response: { TotalNum: result.total, Page: result.more ? page : 0, CallRecordList: result.records } };
  },
};
