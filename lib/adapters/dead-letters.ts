import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, ChangeMessageVisibilityCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeadLetters } from '../ports/dead-letters.ts';

/** The app a dead-lettered callback belongs to. */
export const appOf = (body: string): number | undefined => {
  try {
    return (JSON.parse(body) as { sdkAppId?: number }).sdkAppId;
  } catch {
    return undefined;
  }
};

/** Dead letters on an SQS queue (shared by every app: listing reads messages and puts the others back). */
export class SqsDeadLetters implements DeadLetters {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async add(body: string): Promise<void> {
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: body }));
  }

  async list(sdkAppId: number, limit: number): Promise<string[]> {
    const found: string[] = [];
    await this.scan(async (body, handle) => {
      if (appOf(body) === sdkAppId && found.length < limit) found.push(body);
      await this.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.queueUrl, ReceiptHandle: handle, VisibilityTimeout: 0 }));
    });
    return found;
  }

  async replay(sdkAppId: number, replay: (body: string) => Promise<void>): Promise<number> {
    let n = 0;
    await this.scan(async (body, handle) => {
      if (appOf(body) !== sdkAppId) return void (await this.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.queueUrl, ReceiptHandle: handle, VisibilityTimeout: 0 })));
      await replay(body);
      await this.sqs.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: handle }));
      n += 1;
    });
    return n;
  }

  /** Receives batches (hidden for 30 s while handled) until the queue answers none; bounded to 100 batches. */
  private async scan(each: (body: string, receiptHandle: string) => Promise<void>): Promise<void> {
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const out = await this.sqs.send(new ReceiveMessageCommand({ QueueUrl: this.queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 30, WaitTimeSeconds: 0 }));
      const fresh = (out.Messages ?? []).filter((m) => m.MessageId && !seen.has(m.MessageId));
      if (fresh.length === 0) return;
      for (const m of fresh) {
        seen.add(m.MessageId ?? '');
        await each(m.Body ?? '', m.ReceiptHandle ?? '');
      }
    }
  }
}
