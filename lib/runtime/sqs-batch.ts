import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Log } from '../usecases/deps.ts';

/**
 * An SQS consumer that handles each message on its own (Powertools batch processing): failed messages
 * are reported as `batchItemFailures`, so SQS retries only those.
 */
export function sqsBatchHandler(log: Log, name: string, each: (body: string) => Promise<void>) {
  const processor = new BatchProcessor(EventType.SQS);
  return async (event: SQSEvent): Promise<SQSBatchResponse> =>
    processPartialResponse(
      event,
      async (record: { messageId: string; body: string }) => {
        try {
          await each(record.body);
        } catch (err) {
          log.error(`${name} message failed`, { messageId: record.messageId, error: String(err) });
          throw err;
        }
      },
      processor,
    );
}
