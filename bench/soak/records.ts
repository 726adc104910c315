import type { AppTarget } from './client.ts';
import { rest, restOk } from './rest.ts';

/** A call record as `get_record_by_filter` returns it (the fields the soak reads). */
export interface SoakRecord {
  CallId: string;
  CallResult: string;
  CallType: string;
  StartTime: number;
}

/** Records of one app whose StartTime is in [fromSec, toSec], read a minute window at a time (small pages, cheap paging). */
export async function readRecords(app: AppTarget, fromSec: number, toSec: number): Promise<Map<string, SoakRecord>> {
  const found = new Map<string, SoakRecord>();
  for (let start = fromSec; start <= toSec; start += 60) {
    for (let page = 1; page > 0; ) {
      const answer = await restOk(app, 'v4/call_record_http_srv/get_record_by_filter', { StartTime: start, EndTime: Math.min(start + 59, toSec), NumberPerPage: 100, Page: page });
      for (const r of (answer.Response?.CallRecordList ?? []) as SoakRecord[]) found.set(r.CallId, r);
      page = Number(answer.Response?.Page ?? 0) > 0 ? page + 1 : 0;
    }
  }
  return found;
}

/** Looks calls up one by one with `get_record_by_callid` (for those the filter did not return). */
export async function recordsById(app: AppTarget, callIds: readonly string[]): Promise<Map<string, SoakRecord>> {
  const found = new Map<string, SoakRecord>();
  for (const callId of callIds) {
    const answer = await rest(app, 'v4/call_record_http_srv/get_record_by_callid', { CallId: callId });
    if (answer.ErrorCode === 0 && answer.Response?.CallRecord) found.set(callId, answer.Response.CallRecord as SoakRecord);
  }
  return found;
}
