import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SqsQueue } from '../../lib/adapters/sqs-queue.ts';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/callsignal-timeouts';
const sqsMock = mockClient(SQSClient);

describe('SqsQueue', () => {
  beforeEach(() => {
    // Prepare
    sqsMock.reset();
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
  });
  afterAll(() => sqsMock.restore());

  const queue = (): SqsQueue => new SqsQueue(new SQSClient({ region: 'eu-west-1' }), QUEUE_URL);
  const sentInputs = () => sqsMock.commandCalls(SendMessageCommand).map((call) => call.args[0].input);

  it('sends the body to the queue URL without DelaySeconds when no delay is asked', async () => {
    // Act
    await queue().send('{"type":"ring-timeout"}');

    // Assess
    expect(sentInputs()).toEqual([{ QueueUrl: QUEUE_URL, MessageBody: '{"type":"ring-timeout"}' }]);
  });

  it.each([
    [0, 0],
    [1, 1],
    [999, 1],
    [1000, 1],
    [1001, 2],
    [30_000, 30],
    [30_500, 31],
  ])('rounds delayMs %i up to DelaySeconds %i so a message never arrives early', async (delayMs, seconds) => {
    // Act
    await queue().send('x', { delayMs });

    // Assess
    expect(sentInputs()).toEqual([{ QueueUrl: QUEUE_URL, MessageBody: 'x', DelaySeconds: seconds }]);
  });

  it.each([
    [-5_000, 0],
    [Number.NaN, 0],
    [900_000, 900],
    [900_001, 900],
    [3_600_000, 900],
    [Number.POSITIVE_INFINITY, 900],
  ])('clamps delayMs %d to DelaySeconds %i, the range SQS accepts', async (delayMs, seconds) => {
    // Act
    await queue().send('x', { delayMs });

    // Assess
    expect(sentInputs()[0]?.DelaySeconds).toBe(seconds);
  });

  it('rejects with the SDK error when SQS refuses the message', async () => {
    // Prepare
    sqsMock.on(SendMessageCommand).rejects(new Error('AWS.SimpleQueueService.NonExistentQueue'));

    // Act & Assess
    await expect(queue().send('x')).rejects.toThrow('NonExistentQueue');
  });
});
