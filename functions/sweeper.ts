import type { ScheduledEvent } from 'aws-lambda';
import { loadConfig } from '../lib/config.ts';
import { lambdaEntry } from '../lib/runtime/lambda-entry.ts';
import type { Deps } from '../lib/usecases/deps.ts';
import { sweep } from '../lib/usecases/timers.ts';
import { wire } from '../lib/wiring.ts';

/** Runs every minute (EventBridge): ends what its timers missed, settles calls that ended. */
export function makeHandler(deps: Deps) {
  return async (_event: ScheduledEvent): Promise<{ checked: number; settled: number }> => sweep(deps);
}

export const handler = lambdaEntry(() => makeHandler(wire(loadConfig(process.env))));
