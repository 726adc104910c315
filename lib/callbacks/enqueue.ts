import type { Call, CallbackEffect, Effect } from '../calls/types.ts';
import type { Deps } from '../usecases/deps.ts';
import { legacyCallbacks } from './legacy-bodies.ts';
import type { CallbackMessage } from './message.ts';
import { v4Callback } from './v4-bodies.ts';

const isCallback = (e: Effect): e is CallbackEffect => e.kind === 'callback';

/**
 * Turns a transition's callback effects into the messages for the callbacks queue (serialized), for
 * the commands the app configured (v4 `CallbackCommandList`, legacy v1 `actions`). They are built
 * once, with the call as the transition left it, and kept in the call's outbox, so a redo enqueues
 * the very same messages. Event ids derive from the call and the effect's `seq`.
 */
export async function buildCallbackMessages(deps: Deps, call: Call, effects: readonly Effect[]): Promise<string[]> {
  const callbacks = effects.filter(isCallback);
  if (callbacks.length === 0) return [];
  const config = await deps.callbackConfigs.get(call.sdkAppId);
  const messages: CallbackMessage[] = [];
  const base = (generation: 'v4' | 'v1', url: string) => ({ sdkAppId: call.sdkAppId, generation, url, attempt: 1 });
  for (const effect of callbacks) {
    const eventId = `${call.callId}.${effect.seq}`;
    if (config.v4?.CallbackCommandList.includes(effect.command)) {
      const req = v4Callback(call, effect, eventId);
      messages.push({ ...base('v4', config.v4.Url), eventId, command: req.command, query: req.query, body: JSON.stringify(req.body) });
    }
    if (config.v1) {
      const actions = config.v1.actions;
      for (const req of legacyCallbacks(call, effect, `${eventId}.v1`)) {
        if (!actions.includes(req.command)) continue;
        messages.push({ ...base('v1', config.v1.address), eventId: String(req.body.EventId), command: req.command, query: req.query, body: JSON.stringify(req.body) });
      }
    }
  }
  return messages.map((m) => JSON.stringify(m));
}

/** Puts built callback messages on the queue (handlers only enqueue; the worker delivers). */
export async function enqueueCallbacks(deps: Deps, messages: readonly string[], delayMs = 0): Promise<void> {
  await Promise.all(messages.map((m) => deps.callbacks.send(m, delayMs > 0 ? { delayMs } : undefined)));
}
