import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SendMessageCommandInput, SQSClient } from '@aws-sdk/client-sqs';
import type { Queue } from '../ports/queue.ts';

/** SQS accepts DelaySeconds from 0 to 900 (15 minutes). */
const MAX_DELAY_SECONDS = 900;

/** The Queue port on Amazon SQS: one SendMessage per message, delay rounded up to whole seconds. */
export class SqsQueue implements Queue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  /** Sends one message; SDK errors propagate unchanged (the caller's invocation fails and is retried). */
  async send(body: string, options?: { delayMs?: number }): Promise<void> {
    const input: SendMessageCommandInput = { QueueUrl: this.queueUrl, MessageBody: body };
    // Omitted (not 0) when no delay is asked, so a queue-level default DelaySeconds still applies.
    if (options?.delayMs !== undefined) input.DelaySeconds = toDelaySeconds(options.delayMs);
    await this.client.send(new SendMessageCommand(input));
  }
}

/** Rounds up so a message is never delivered earlier than asked, then clamps to what SQS accepts. */
function toDelaySeconds(delayMs: number): number {
  const seconds = Math.ceil(delayMs / 1000);
  if (Number.isNaN(seconds)) return 0;
  return Math.min(MAX_DELAY_SECONDS, Math.max(0, seconds));
}
