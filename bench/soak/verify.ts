import type { ServerExit, ServerLog } from './child.ts';
import type { Ledger } from './ledger.ts';
import { splitResources, type Audit, type ServerSample } from './protocol.ts';
import type { Delivered } from './receiver.ts';
import type { SoakRecord } from './records.ts';

/** Ids listed in the report per problem (the JSON output has them all). */
const LISTED = 20;

/** Whether the run held its invariants, with the evidence. */
export interface Verdict {
  started: number;
  records: number;
  afterEnd: number;
  afterStart: number;
  missingRecords: string[];
  missingAfterEnd: string[];
  /** Records and AfterEndCall callbacks of calls the generator never saw start. */
  unexpectedRecords: string[];
  unexpectedAfterEnd: string[];
  /** Calls whose AfterEndCall CallResult differs from the record's. */
  resultMismatches: string[];
  handles: { start: number; middle?: number; end: number };
  timers: { start: number; middle?: number; end: number };
  /** Each broken invariant in a sentence; empty when the run passed. */
  problems: string[];
  pass: boolean;
}

const minus = (a: Iterable<string>, b: { has(k: string): boolean }) => [...a].filter((x) => !b.has(x));
const list = (ids: readonly string[]) => ids.slice(0, LISTED).join(', ') + (ids.length > LISTED ? `, … (${ids.length - LISTED} more)` : '');

/** Slack allowed for handles/timers at the end over the start: a few, or a tenth. */
export const nearStart = (start: number, end: number) => end <= start + Math.max(5, Math.ceil(start * 0.1));

/** Checks calls started == records written == AfterEndCall delivered, no live call or busy line, resources back near the start. */
export function verify(input: {
  ledger: Ledger;
  records: Map<string, SoakRecord>;
  delivered: Delivered;
  audit: Audit;
  checkpoints: { start: ServerSample; middle?: ServerSample; end: ServerSample };
  log: ServerLog;
  exit: ServerExit;
  drained: boolean;
}): Verdict {
  const { ledger, records, delivered, audit, checkpoints } = input;
  const started = ledger.started;
  const res = (s: ServerSample | undefined) => (s ? splitResources(s.resources) : undefined);
  const [start, middle, end] = [res(checkpoints.start)!, res(checkpoints.middle), res(checkpoints.end)!];
  const v: Verdict = {
    started: started.size,
    records: records.size,
    afterEnd: delivered.afterEnd.size,
    afterStart: delivered.afterStart.size,
    missingRecords: minus(started.keys(), records),
    missingAfterEnd: minus(started.keys(), delivered.afterEnd),
    unexpectedRecords: minus(records.keys(), started),
    unexpectedAfterEnd: minus(delivered.afterEnd.keys(), started),
    resultMismatches: [...delivered.afterEnd].filter(([id, d]) => records.has(id) && records.get(id)!.CallResult !== d.result).map(([id]) => id),
    handles: { start: start.handles, ...(middle ? { middle: middle.handles } : {}), end: end.handles },
    timers: { start: start.timers, ...(middle ? { middle: middle.timers } : {}), end: end.timers },
    problems: [],
    pass: false,
  };
  const p = v.problems;
  if (v.missingRecords.length) p.push(`${v.missingRecords.length} started call(s) have no record: ${list(v.missingRecords)}`);
  if (v.missingAfterEnd.length) p.push(`${v.missingAfterEnd.length} started call(s) had no AfterEndCall callback: ${list(v.missingAfterEnd)}`);
  if (v.unexpectedRecords.length) p.push(`${v.unexpectedRecords.length} record(s) of calls never seen starting: ${list(v.unexpectedRecords)}`);
  if (v.unexpectedAfterEnd.length) p.push(`${v.unexpectedAfterEnd.length} AfterEndCall callback(s) of calls never seen starting: ${list(v.unexpectedAfterEnd)}`);
  if (v.resultMismatches.length) p.push(`${v.resultMismatches.length} AfterEndCall CallResult(s) differ from the record: ${list(v.resultMismatches)}`);
  if (audit.liveCalls.length) p.push(`${audit.liveCalls.length} call(s) still live after draining: ${list(audit.liveCalls.map((c) => `${c.callId} (${c.status})`))}`);
  if (audit.busyLines.length) p.push(`${audit.busyLines.length} user line(s) still busy after draining: ${list(audit.busyLines.map((l) => `${l.user} → ${l.callId}`))}`);
  if (!input.drained) p.push('the queues did not drain (or callbacks kept missing) within the drain limit');
  if (!nearStart(start.handles, end.handles)) p.push(`open handles did not come back near the start: ${start.handles} at the start, ${end.handles} at the end`);
  if (!nearStart(start.timers, end.timers)) p.push(`timers did not come back near the start: ${start.timers} at the start, ${end.timers} at the end`);
  if (ledger.errorCount) p.push(`${ledger.errorCount} scenario step(s) did not go as the protocol says (see "Scenario errors")`);
  if (input.log.errorLines) p.push(`the server logged ${input.log.errorLines} error line(s)`);
  if (!input.exit.clean) p.push(`the server process did not exit by itself once its runtime was closed (exit ${input.exit.code})`);
  v.pass = p.length === 0;
  return v;
}
