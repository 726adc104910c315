import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { loadConfig } from '../lib/config.ts';
import { lambdaEntry } from '../lib/runtime/lambda-entry.ts';
import type { Deps } from '../lib/usecases/deps.ts';
import type { TimerMessage } from '../lib/usecases/timer-messages.ts';
import { onTimer } from '../lib/usecases/timers.ts';
import { wire } from '../lib/wiring.ts';

/** The timers queue consumer (ring deadlines, disconnect grace, credential expiry); failures are retried by SQS one by one. */
export function makeHandler(deps: Deps) {
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const failures: SQSBatchResponse['batchItemFailures'] = [];
    await Promise.all(
      event.Records.map(async (record) => {
        try {
          await onTimer(deps, JSON.parse(record.body) as TimerMessage);
        } catch (err) {
          deps.log.error('timer failed', { messageId: record.messageId, error: String(err) });
          failures.push({ itemIdentifier: record.messageId });
        }
      }),
    );
    return { batchItemFailures: failures };
  };
}

export const handler = lambdaEntry(() => makeHandler(wire(loadConfig(process.env))));
