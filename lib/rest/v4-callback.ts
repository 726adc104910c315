import * as v from 'valibot';
import { RestError } from './errors.ts';
import { checkCallbackUrl } from '../callbacks/ssrf.ts';
import { route, type RestContext, type RestRoute } from './route.ts';

/** The v4 callback commands (callbacks.md) plus our offline-push extension (DESIGN.md). */
export const V4_CALLBACK_COMMANDS = ['Call.CallbackAfterStartCall', 'Call.CallbackAfterEndCall', 'Call.CallbackAfterMemberChanged', 'Call.CallbackOfflinePush'] as const;

/** A callback URL: http(s) only, at most 1024 characters. */
export const callbackUrl = (field: string) =>
  v.pipe(
    v.string(`${field} must be a string`),
    v.maxLength(1024, `${field} is at most 1024 characters`),
    v.check((u) => {
      try {
        const url = new URL(u);
        return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
      } catch {
        return false;
      }
    }, `${field} must be an http or https URL`),
  );

const emptyBody = v.object({});
const configSchema = { type: 'object', properties: { Url: { type: 'string' }, CallbackCommandList: { type: 'array', items: { enum: [...V4_CALLBACK_COMMANDS] } } } };

/** `call_config/*`: the app's one v4 callback configuration. */
export const v4CallbackRoutes: RestRoute[] = [
  route({
    generation: 'v4',
    path: 'call_config/get_callback',
    summary: 'The callback URL and the commands that trigger it.',
    ratePerSec: 200,
    body: emptyBody,
    invalidCode: 100002,
    response: { type: 'object', properties: { Response: configSchema } },
    async handle(ctx) {
      const config = (await ctx.deps.callbackConfigs.get(ctx.app.sdkAppId)).v4;
      if (!config) throw new RestError(100301, 'no callback configuration; create one with set_callback');
      return { Response: config };
    },
  }),
  route({
    generation: 'v4',
    path: 'call_config/set_callback',
    summary: 'Sets the callback configuration (replacing any previous one).',
    ratePerSec: 200,
    body: v.object({
      Url: callbackUrl('Url'),
      CallbackCommandList: v.pipe(
        v.array(v.picklist(V4_CALLBACK_COMMANDS, `CallbackCommandList entries must be among ${V4_CALLBACK_COMMANDS.join(', ')}`), 'CallbackCommandList must be an array'),
        v.check((list) => new Set(list).size === list.length, 'CallbackCommandList has duplicates'),
      ),
    }),
    invalidCode: 100002,
    response: { type: 'object' },
    async handle(ctx, body) {
      await refuseUnsafeUrl(ctx, body.Url, 100002);
      await ctx.deps.callbackConfigs.put(ctx.app.sdkAppId, 'v4', { Url: body.Url, CallbackCommandList: body.CallbackCommandList });
      return {};
    },
  }),
  route({
    generation: 'v4',
    path: 'call_config/delete_callback',
    summary: 'Deletes the callback configuration (deleting none is not an error).',
    ratePerSec: 200,
    body: emptyBody,
    invalidCode: 100002,
    response: { type: 'object' },
    async handle(ctx) {
      await ctx.deps.callbackConfigs.put(ctx.app.sdkAppId, 'v4', undefined);
      return {};
    },
  }),
];

/** The SSRF rule at configuration time (it is checked again before every delivery: DNS may change). */
export async function refuseUnsafeUrl(ctx: RestContext, url: string, code: number): Promise<void> {
  const verdict = await checkCallbackUrl(url, ctx.deps.callbackPolicy);
  if (!verdict.ok) throw new RestError(code, `callback URL refused: ${verdict.reason}`);
}
