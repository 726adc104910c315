import * as v from 'valibot';
import { parseCallbackMessage } from '../callbacks/message.ts';
import { route, type RestRoute } from './route.ts';

/** Our extension: the app's callbacks that failed every attempt, to inspect and send again. */
export const v4DeadLetterRoutes: RestRoute[] = [
  route({
    generation: 'v4',
    path: 'callsignal_callback_svc/list_dead_letters',
    summary: 'Callbacks that failed all 6 attempts and wait in the dead-letter queue (CallSignal extension).',
    ratePerSec: 10,
    body: v.object({ Limit: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(100, 'Limit is at most 100'))) }),
    invalidCode: 101002,
    response: { type: 'object', properties: { Response: { type: 'object', properties: { DeadLetterList: { type: 'array' } } } } },
    async handle(ctx, body) {
      const bodies = await ctx.deps.deadLetters.list(ctx.app.sdkAppId, body.Limit ?? 100);
      const DeadLetterList = bodies.map((b) => {
        const m = parseCallbackMessage(b);
        return { EventId: m.eventId, Generation: m.generation, Command: m.command, Url: m.url, Attempts: m.attempt, Body: JSON.parse(m.body) as unknown };
      });
      return { Response: { DeadLetterList } };
    },
  }),
  route({
    generation: 'v4',
    path: 'callsignal_callback_svc/replay_dead_letters',
    summary: 'Sends the dead-lettered callbacks again, each with a fresh set of attempts and its original EventId (CallSignal extension).',
    ratePerSec: 1,
    body: v.object({}),
    invalidCode: 101002,
    response: { type: 'object', properties: { Response: { type: 'object', properties: { Replayed: { type: 'integer' } } } } },
    async handle(ctx) {
      const Replayed = await ctx.deps.deadLetters.replay(ctx.app.sdkAppId, (b) => ctx.deps.callbacks.send(JSON.stringify({ ...parseCallbackMessage(b), attempt: 1 })));
      return { Response: { Replayed } };
    },
  }),
];
