import * as v from 'valibot';
import type { CallRecord, CallResult, CallType, RecordDetails } from '../calls/types.ts';
import type { RecordQuery } from '../ports/store.ts';
import { RestError } from './errors.ts';
import { route, type JsonSchema, type RestContext, type RestRoute } from './route.ts';
import { filterWindow } from './v4-records.ts';

/** The legacy result names (DESIGN.md "Contradictions settled"), each with the v4 results it stands for. */
export const V1_CALL_RESULTS = {
  cancel: ['Cancel'],
  reject: ['Reject'],
  not_answer: ['NotAnswer'],
  normal_end: ['NormalEnd'],
  call_busy: ['CallBusy'],
  interrupt: ['Interrupt', 'Offline'],
} as const satisfies Record<string, readonly CallResult[]>;
export type V1CallResult = keyof typeof V1_CALL_RESULTS;

const RESULT_NAMES = Object.keys(V1_CALL_RESULTS) as V1CallResult[];
const V1_TYPES = { single: 'SingleCall', group: 'MultiCall' } as const satisfies Record<string, CallType>;
type V1CallType = keyof typeof V1_TYPES;

/** The v1 name of a v4 result (`Offline` → `interrupt`). */
export function v1CallResult(result: CallResult): V1CallResult {
  return RESULT_NAMES.find((name) => (V1_CALL_RESULTS[name] as readonly CallResult[]).includes(result)) ?? 'interrupt';
}

/** One record as the v1 API shows it (REST B.5 `data`). */
export interface V1CallRecord {
  callId: string;
  sdkAppId: number;
  mediaType: 'audio' | 'video';
  roomId: string;
  startCallTs: number;
  acceptTs: number;
  endTs: number;
  caller: string;
  totalUserNumber: number;
  callType: V1CallType;
  callResult: V1CallResult;
  callees: string[];
}

/**
 * Maps a v4 record to the v1 shape. `callees` are the members who took part (ever in the call),
 * caller included as in the documented examples; without details, the record's member list.
 */
export function v1Record(sdkAppId: number, record: CallRecord, details: RecordDetails | undefined): V1CallRecord {
  const tookPart = details ? details.members.filter((m) => m.joinedAt > 0).map((m) => m.userId) : [...record.CalleeList_Account];
  return {
    callId: record.CallId,
    sdkAppId,
    mediaType: record.MediaType === 'Video' ? 'video' : 'audio',
    roomId: String(record.RoomId),
    startCallTs: record.StartTime,
    acceptTs: record.AcceptTime,
    endTs: record.EndTime,
    caller: record.Caller_Account,
    totalUserNumber: tookPart.length,
    callType: record.CallType === 'MultiCall' ? 'group' : 'single',
    callResult: v1CallResult(record.CallResult),
    callees: tookPart,
  };
}

const v1RecordSchema: JsonSchema = {
  type: 'object',
  required: ['callId', 'sdkAppId', 'mediaType', 'roomId', 'startCallTs', 'acceptTs', 'endTs', 'caller', 'totalUserNumber', 'callType', 'callResult', 'callees'],
  properties: {
    callId: { type: 'string' },
    sdkAppId: { type: 'integer' },
    mediaType: { enum: ['audio', 'video'] },
    roomId: { type: 'string' },
    startCallTs: { type: 'integer' },
    acceptTs: { type: 'integer' },
    endTs: { type: 'integer' },
    caller: { type: 'string' },
    totalUserNumber: { type: 'integer' },
    callType: { enum: Object.keys(V1_TYPES) },
    callResult: { enum: RESULT_NAMES },
    callees: { type: 'array', items: { type: 'string' } },
  },
};

/** Message of a v1 body with a required field missing: names the field (valibot's default says "Invalid key"). */
export const missingField = (issue: v.ObjectIssue) => (issue.kind === 'schema' && issue.expected?.startsWith('"') ? `${issue.expected.slice(1, -1)} is required` : 'the body must be an object');
const seconds = (name: string) => v.pipe(v.number(`${name} must be a number of Unix seconds`), v.safeInteger(`${name} must be whole seconds`), v.minValue(0, `${name} must not be negative`));

const callIdBody = v.object({ callId: v.pipe(v.string('callId must be a string'), v.minLength(1, 'callId is required'), v.maxLength(64, 'callId is at most 64 characters')) }, missingField);

const filterBody = v.object(
  {
    startTimestamp: seconds('startTimestamp'),
    endTimestamp: v.optional(seconds('endTimestamp')),
    callResult: v.optional(v.picklist(RESULT_NAMES, `callResult must be one of ${RESULT_NAMES.join(', ')}`)),
    callType: v.optional(v.picklist(Object.keys(V1_TYPES) as V1CallType[], 'callType must be single or group')),
    numberPerPage: v.optional(v.pipe(v.number('numberPerPage must be a number'), v.safeInteger('numberPerPage must be an integer'), v.minValue(1, 'numberPerPage is at least 1'), v.maxValue(100, 'numberPerPage is at most 100'))),
    page: v.optional(v.pipe(v.number('page must be a number'), v.safeInteger('page must be an integer'), v.minValue(1, 'page counts from 1'))),
  },
  missingField,
);

/** The v1 records of v4 records, with their details read concurrently. */
async function withDetails(ctx: RestContext, records: readonly CallRecord[]): Promise<V1CallRecord[]> {
  const sdkAppId = ctx.app.sdkAppId;
  return Promise.all(records.map(async (r) => v1Record(sdkAppId, r, await ctx.deps.records.getRecordDetails(sdkAppId, r.CallId))));
}

/** Records are ordered by start time, then CallId, as the store's time index orders them. */
const byStart = (a: CallRecord, b: CallRecord) => a.StartTime - b.StartTime || (a.CallId < b.CallId ? -1 : a.CallId > b.CallId ? 1 : 0);

/**
 * One page of records whose result is any of `results`. One v4 result is one store query; several
 * (`interrupt` = Interrupt or Offline) are merged: the first `page × perPage` of each, in index order.
 */
async function queryAnyResult(ctx: RestContext, base: Omit<RecordQuery, 'callResult'>, results: readonly CallResult[] | undefined) {
  const store = ctx.deps.records;
  if (!results || results.length === 1) return store.queryRecords(ctx.app.sdkAppId, { ...base, ...(results ? { callResult: results[0] } : {}) });
  const upTo = base.page * base.perPage;
  const parts = await Promise.all(results.map((callResult) => store.queryRecords(ctx.app.sdkAppId, { ...base, callResult, page: 1, perPage: upTo })));
  const total = parts.reduce((sum, p) => sum + p.total, 0);
  const merged = parts.flatMap((p) => p.records).sort(byStart);
  return { records: merged.slice(upTo - base.perPage, upTo), total, more: total > upTo };
}

/** `v1/records/*`: the same records as v4, in the legacy shape. */
export const v1RecordRoutes: RestRoute[] = [
  route({
    generation: 'v1',
    path: 'records/get_record_by_callId',
    summary: 'The record of an ended call, in the legacy shape (lower-case values, callees who took part).',
    ratePerSec: 20,
    body: callIdBody,
    invalidCode: 70001,
    response: v1RecordSchema,
    async handle(ctx, body) {
      const record = await ctx.deps.records.getRecord(ctx.app.sdkAppId, body.callId);
      if (!record) throw new RestError(70011, `no record for call ${body.callId}`);
      const [mapped] = await withDetails(ctx, [record]);
      return mapped;
    },
  }),
  route({
    generation: 'v1',
    path: 'records/get_records_by_filter',
    summary: 'Records of the last 7 days by start time, result and type, a page at a time (legacy shape).',
    ratePerSec: 200,
    body: filterBody,
    invalidCode: 70001,
    response: {
      type: 'object',
      required: ['totalNum', 'page', 'callRecordList'],
      properties: { totalNum: { type: 'integer' }, page: { type: 'integer' }, callRecordList: { type: 'array', items: v1RecordSchema } },
    },
    async handle(ctx, body) {
      if (body.endTimestamp !== undefined && body.startTimestamp > body.endTimestamp) {
        throw new RestError(70001, `startTimestamp (${body.startTimestamp}) is after endTimestamp (${body.endTimestamp})`);
      }
      // endTimestamp "defaults to 7 days" (REST B.6): read as now, the end of the 7-day window.
      const { fromSec, toSec } = filterWindow(ctx, body.startTimestamp, body.endTimestamp, 70001);
      const page = body.page ?? 1;
      // A window that ends before the 7-day clamp begins matches nothing (and is no valid key range).
      if (fromSec > toSec) return { totalNum: 0, page: 0, callRecordList: [] };
      const result = await queryAnyResult(
        ctx,
        { fromSec, toSec, page, perPage: body.numberPerPage ?? 100, ...(body.callType ? { callType: V1_TYPES[body.callType] } : {}) },
        body.callResult ? V1_CALL_RESULTS[body.callResult] : undefined,
      );
      return { totalNum: result.total, page: result.more ? page : 0, callRecordList: await withDetails(ctx, result.records) };
    },
  }),
];
