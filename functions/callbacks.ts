import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { deliverCallback } from '../lib/callbacks/deliver.ts';
import { parseCallbackMessage } from '../lib/callbacks/message.ts';
import { loadConfig } from '../lib/config.ts';
import { lambdaEntry } from '../lib/runtime/lambda-entry.ts';
import { sqsBatchHandler } from '../lib/runtime/sqs-batch.ts';
import type { Deps } from '../lib/usecases/deps.ts';
import { dynamoClient, wire } from '../lib/wiring.ts';
import { PowertoolsOnce } from '../lib/adapters/powertools-once.ts';

/**
 * The callbacks queue consumer: one delivery attempt per message (failures are re-enqueued with the
 * documented delays by `deliverCallback`); only unexpected errors are left to SQS's redrive.
 */
export function makeHandler(deps: Deps): (event: SQSEvent) => Promise<SQSBatchResponse> {
  const each = sqsBatchHandler(deps.log, 'callback', async (body) => void (await deliverCallback(deps, parseCallbackMessage(body))));
  return async (event) => {
    const answer = await each(event);
    deps.metrics.flush();
    return answer;
  };
}

export const handler = lambdaEntry(() => {
  const config = loadConfig(process.env);
  // Its own low-level client: Powertools marshals its items itself.
  return makeHandler(wire(config, { once: new PowertoolsOnce(dynamoClient(config), config.tableName) }));
});
