import * as v from 'valibot';
import { RestError } from './errors.ts';
import { route, type RestContext, type RestRoute } from './route.ts';
import { callbackUrl, refuseUnsafeUrl } from './v4-callback.ts';
import { missingField } from './v1-records.ts';

/** The legacy status callback commands (callbacks.md B.2): one per call result. */
export const LEGACY_STATUS_ACTIONS = ['cancel', 'reject', 'not_answer', 'normal_end', 'call_busy', 'interrupt'] as const;

/** The legacy event callback commands (callbacks.md B.2): the `Event` with its `caller_`/`callee_` prefix. */
export const LEGACY_EVENT_ACTIONS = [
  'caller_start_call',
  'caller_call_accepted',
  'caller_call_missed',
  'caller_call_rejected',
  'caller_call_busy',
  'caller_cancel_call',
  'caller_call_failed',
  'caller_call_end',
  'caller_call_interrupted',
  'callee_receive_call',
  'callee_accept_call',
  'callee_not_answer_call',
  'callee_reject_call',
  'callee_ignore_call',
  'callee_call_canceled',
  'callee_call_end',
  'callee_call_interrupted',
  'invite_user',
  'join_in_group_call',
] as const;

/** Every value `actions` may hold (and the `command` query parameter of legacy callbacks). */
export const LEGACY_CALLBACK_ACTIONS = [...LEGACY_STATUS_ACTIONS, ...LEGACY_EVENT_ACTIONS] as const;

const configBody = v.object(
  {
    address: callbackUrl('address'),
    actions: v.pipe(
      v.array(v.picklist(LEGACY_CALLBACK_ACTIONS, `actions entries must be among ${LEGACY_CALLBACK_ACTIONS.join(', ')}`), 'actions must be an array of strings'),
      v.check((list) => new Set(list).size === list.length, 'actions has duplicates'),
    ),
  },
  missingField,
);
const emptyBody = v.object({});
const NO_CONFIG = 999;

/** The app's v1 configuration, or 999 (documented "no configuration exists"). */
async function existing(ctx: RestContext, hint: string) {
  const config = (await ctx.deps.callbackConfigs.get(ctx.app.sdkAppId)).v1;
  if (!config) throw new RestError(NO_CONFIG, `no callback configuration; ${hint}`);
  return config;
}

/** `v1/callback/*`: the app's one legacy callback configuration (independent of the v4 one). */
export const v1CallbackRoutes: RestRoute[] = [
  route({
    generation: 'v1',
    path: 'callback/set',
    summary: 'Creates the legacy callback configuration (the last call wins); answers the address.',
    ratePerSec: 10,
    body: configBody,
    invalidCode: 70001,
    response: { type: 'string' },
    async handle(ctx, body) {
      await refuseUnsafeUrl(ctx, body.address, 70001);
      await ctx.deps.callbackConfigs.put(ctx.app.sdkAppId, 'v1', { address: body.address, actions: body.actions });
      return body.address;
    },
  }),
  route({
    generation: 'v1',
    path: 'callback/get',
    summary: 'The legacy callback address and the actions that trigger it (999 when none is configured).',
    ratePerSec: 10,
    body: emptyBody,
    invalidCode: 70001,
    response: {
      type: 'object',
      required: ['actions', 'address'],
      properties: { actions: { type: 'array', items: { enum: [...LEGACY_CALLBACK_ACTIONS] } }, address: { type: 'string' } },
    },
    async handle(ctx) {
      const config = await existing(ctx, 'create one with v1/callback/set');
      return { actions: config.actions, address: config.address };
    },
  }),
  route({
    generation: 'v1',
    path: 'callback/update',
    summary: 'Replaces an existing legacy callback configuration (999 when none exists); answers the address.',
    ratePerSec: 10,
    body: configBody,
    invalidCode: 70001,
    response: { type: 'string' },
    async handle(ctx, body) {
      // Not atomic with the put: a concurrent delete in between is overwritten, as a later set would be.
      await existing(ctx, 'create one with v1/callback/set before updating it');
      await refuseUnsafeUrl(ctx, body.address, 70001);
      await ctx.deps.callbackConfigs.put(ctx.app.sdkAppId, 'v1', { address: body.address, actions: body.actions });
      return body.address;
    },
  }),
  route({
    generation: 'v1',
    path: 'callback/delete',
    summary: 'Deletes the legacy callback configuration (deleting none is not an error); answers "".',
    ratePerSec: 10,
    body: emptyBody,
    invalidCode: 70001,
    response: { type: 'string' },
    async handle(ctx) {
      await ctx.deps.callbackConfigs.put(ctx.app.sdkAppId, 'v1', undefined);
      return '';
    },
  }),
];
