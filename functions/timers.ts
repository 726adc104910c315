import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { loadConfig } from '../lib/config.ts';
import { lambdaEntry } from '../lib/runtime/lambda-entry.ts';
import { sqsBatchHandler } from '../lib/runtime/sqs-batch.ts';
import type { Deps } from '../lib/usecases/deps.ts';
import type { TimerMessage } from '../lib/usecases/timer-messages.ts';
import { onTimer } from '../lib/usecases/timers.ts';
import { wire } from '../lib/wiring.ts';

/** The timers queue consumer (ring deadlines, disconnect grace, credential expiry); failures are retried by SQS one by one. */
export function makeHandler(deps: Deps): (event: SQSEvent) => Promise<SQSBatchResponse> {
  return sqsBatchHandler(deps.log, 'timer', (body) => onTimer(deps, JSON.parse(body) as TimerMessage));
}

export const handler = lambdaEntry(() => makeHandler(wire(loadConfig(process.env))));
