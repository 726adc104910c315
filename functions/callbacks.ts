import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { deliverCallback } from '../lib/callbacks/deliver.ts';
import { parseCallbackMessage } from '../lib/callbacks/message.ts';
import { loadConfig } from '../lib/config.ts';
import { lambdaEntry } from '../lib/runtime/lambda-entry.ts';
import type { Deps } from '../lib/usecases/deps.ts';
import { wire } from '../lib/wiring.ts';

/**
 * The callbacks queue consumer: one delivery attempt per message (failures are re-enqueued with the
 * documented delays by `deliverCallback`); only unexpected errors are left to SQS's redrive.
 */
export function makeHandler(deps: Deps) {
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const failures: SQSBatchResponse['batchItemFailures'] = [];
    await Promise.all(
      event.Records.map(async (record) => {
        try {
          await deliverCallback(deps, parseCallbackMessage(record.body));
        } catch (err) {
          deps.log.error('callback message failed', { messageId: record.messageId, error: String(err) });
          failures.push({ itemIdentifier: record.messageId });
        }
      }),
    );
    deps.metrics.flush();
    return { batchItemFailures: failures };
  };
}

export const handler = lambdaEntry(() => makeHandler(wire(loadConfig(process.env))));
