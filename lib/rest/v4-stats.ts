import * as v from 'valibot';
import { RestError } from './errors.ts';
import { callRecordSchema } from './v4-records.ts';
import { route, type RestRoute } from './route.ts';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const MAX_DAYS = 31;
const dayField = (name: string) => v.pipe(v.string(`${name} must be a date YYYY-MM-DD`), v.regex(DAY, `${name} must be a date YYYY-MM-DD`), v.check((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)), `${name} is not a real date`));

/** The UTC days from `start` to `end`, inclusive. */
function daysBetween(start: string, end: string): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${start}T00:00:00Z`); t <= Date.parse(`${end}T00:00:00Z`); t += 86_400_000) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

/** Our extension for the records dashboard (product-features.md): day overviews and a record's per-member details. */
export const v4StatsRoutes: RestRoute[] = [
  route({
    generation: 'v4',
    path: 'callsignal_stats_svc/get_daily_stats',
    summary: 'Per UTC day: calls (1v1 and group), distinct participants and the most calls at once (CallSignal extension).',
    ratePerSec: 20,
    body: v.object({ StartDay: dayField('StartDay'), EndDay: dayField('EndDay') }),
    invalidCode: 101002,
    response: {
      type: 'object',
      properties: {
        Response: {
          type: 'object',
          properties: {
            DayList: {
              type: 'array',
              items: {
                type: 'object',
                properties: { Date: { type: 'string' }, CallCount: { type: 'integer' }, SingleCallCount: { type: 'integer' }, MultiCallCount: { type: 'integer' }, Participants: { type: 'integer' }, MaxConcurrentCalls: { type: 'integer' } },
              },
            },
          },
        },
      },
    },
    async handle(ctx, body) {
      const days = daysBetween(body.StartDay, body.EndDay);
      if (days.length === 0) throw new RestError(101002, 'StartDay is after EndDay');
      if (days.length > MAX_DAYS) throw new RestError(101002, `at most ${MAX_DAYS} days per request`);
      const stats = await Promise.all(days.map((d) => ctx.deps.records.dailyStats(ctx.app.sdkAppId, d)));
      return {
        Response: {
          DayList: stats.map((s) => ({ Date: s.day, CallCount: s.calls, SingleCallCount: s.singleCalls, MultiCallCount: s.multiCalls, Participants: s.participants, MaxConcurrentCalls: s.maxConcurrentCalls })),
        },
      };
    },
  }),
  route({
    generation: 'v4',
    path: 'callsignal_stats_svc/get_record_detail',
    summary: "A record with each member's platform, join and leave times and time in the call, and the peak of members at once (CallSignal extension).",
    ratePerSec: 200,
    body: v.object({ CallId: v.pipe(v.string('CallId must be a string'), v.minLength(1, 'CallId is required'), v.maxLength(64)) }),
    invalidCode: 101002,
    response: { type: 'object', properties: { Response: { type: 'object', properties: { CallRecord: callRecordSchema, Members: { type: 'array' }, PeakConnected: { type: 'integer' }, ConnectedDuration: { type: 'integer' } } } } },
    async handle(ctx, body) {
      const [record, details] = await Promise.all([ctx.deps.records.getRecord(ctx.app.sdkAppId, body.CallId), ctx.deps.records.getRecordDetails(ctx.app.sdkAppId, body.CallId)]);
      if (!record) throw new RestError(101050, `no record for call ${body.CallId}`);
      const members = (details?.members ?? []).map((m) => ({
        User_Account: m.userId,
        Role: m.role,
        Platform: m.platform,
        JoinTime: m.joinedAt,
        LeaveTime: m.leftAt,
        Duration: m.durationSec,
        Outcome: m.outcome,
      }));
      return { Response: { CallRecord: record, Members: members, PeakConnected: details?.peakConnected ?? 0, ConnectedDuration: details?.connectedDurationSec ?? 0 } };
    },
  }),
];
