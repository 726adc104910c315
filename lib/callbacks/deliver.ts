import type { Deps } from '../usecases/deps.ts';
import type { CallbackMessage } from './message.ts';
import { isDelivered, nextDelayMs } from './retry.ts';
import { signCallback } from './signing.ts';
import { checkCallbackUrl } from './ssrf.ts';

/** What one attempt came to. */
export type AttemptOutcome = 'delivered' | 'retry' | 'dead';

/** Posts one callback: 3 s timeout, signed; success is HTTP 2xx with `ErrorCode` 0. */
async function attempt(deps: Deps, msg: CallbackMessage): Promise<{ ok: boolean; detail: string }> {
  const verdict = await checkCallbackUrl(msg.url, deps.callbackPolicy);
  if (!verdict.ok) return { ok: false, detail: verdict.reason };
  const app = await deps.apps.getApp(msg.sdkAppId);
  if (!app) return { ok: false, detail: `app ${msg.sdkAppId} no longer exists` };
  const url = new URL(msg.url);
  for (const [k, v] of Object.entries(msg.query)) url.searchParams.set(k, v);
  const headers = { 'content-type': 'application/json', ...signCallback(app.callbackSecret, Math.floor(deps.clock.now() / 1000), msg.body) };
  try {
    const res = await fetch(url, { method: 'POST', headers, body: msg.body, signal: AbortSignal.timeout(deps.callbackPolicy.timeoutMs), redirect: 'manual' });
    const text = await res.text();
    return { ok: isDelivered(msg.generation, res.status, text), detail: `HTTP ${res.status}` };
  } catch (err) {
    return { ok: false, detail: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}

/** An attempt that did not deliver: its key stays free for the retry. */
class AttemptFailed extends Error {
  override readonly name = 'AttemptFailed';
}

/** A callback is delivered once per event, command and generation, however often its message arrives. */
export const deliveryKeyOf = (msg: CallbackMessage) => `callback|${msg.sdkAppId}|${msg.generation}|${msg.command}|${msg.eventId}`;

/**
 * One delivery attempt of a callback message. A failure is retried as a new, delayed message
 * (1, 1, 2, 3, 5 s after each failure: 6 attempts in all), then kept in the dead letters. A message
 * whose callback was already delivered (an SQS duplicate, a retried handler's second enqueue, a
 * replay) is dropped: the attempt runs under `deps.once`, keyed by the event.
 */
export async function deliverCallback(deps: Deps, msg: CallbackMessage): Promise<AttemptOutcome> {
  const started = deps.clock.now();
  const context = { eventId: msg.eventId, command: msg.command, attempt: msg.attempt, sdkAppId: msg.sdkAppId };
  let detail = '';
  try {
    const ran = await deps.once.run(deliveryKeyOf(msg), async () => {
      const result = await attempt(deps, msg);
      detail = result.detail;
      if (!result.ok) throw new AttemptFailed(result.detail);
    });
    if (ran === 'duplicate') {
      deps.log.info('callback already delivered; duplicate dropped', context);
      deps.metrics.count('CallbackDuplicateDropped');
      return 'delivered';
    }
    deps.metrics.count('CallbackDelivered', { latencyMs: deps.clock.now() - started });
    return 'delivered';
  } catch (err) {
    if (!(err instanceof AttemptFailed)) throw err;
  }
  deps.metrics.count('CallbackFailed', { latencyMs: deps.clock.now() - started });
  const delayMs = nextDelayMs(msg.attempt, deps.callbackPolicy.retryScale);
  if (delayMs !== undefined) {
    deps.log.info('callback attempt failed, retrying', { ...context, detail, delayMs });
    deps.metrics.count('CallbackRetried');
    await deps.callbacks.send(JSON.stringify({ ...msg, attempt: msg.attempt + 1 }), { delayMs });
    return 'retry';
  }
  deps.log.warn('callback dead-lettered after its last attempt', { ...context, detail });
  deps.metrics.count('CallbackDeadLettered');
  await deps.deadLetters.add(JSON.stringify(msg));
  return 'dead';
}
