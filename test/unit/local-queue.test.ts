import { createHash } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LocalQueue } from '../../lib/local/local-queue.ts';
import type { LocalQueueOptions } from '../../lib/local/local-queue.ts';

// Real timers with small values. Assertions are on order, counts and "not before" bounds only;
// upper bounds are left to vi.waitFor's generous timeout, so a busy CI machine cannot make them flaky.
const WAIT = { timeout: 5_000, interval: 5 };
const VISIBILITY_MS = 80;
// The visibility timeout starts when the queue hands a batch out, an instant before the handler (and the test's
// clock reading) runs; redelivery also waits pollIntervalMs (5) more. So "not before" is checked with this slack.
const SLACK_MS = 5;

interface Delivery {
  at: number; // performance.now() when the handler was called
  records: SQSRecord[];
}

const queues: LocalQueue[] = [];
const newQueue = (options: LocalQueueOptions): LocalQueue => {
  const queue = new LocalQueue({ pollIntervalMs: 5, ...options });
  queues.push(queue);
  return queue;
};
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const bodies = (deliveries: Delivery[]) => deliveries.map((d) => d.records.map((r) => r.body));

type Respond = (event: SQSEvent, call: number) => SQSBatchResponse | void;

/** Consumes `queue`, answering each delivery with `respond` (which may throw), and records every delivery. */
function record(queue: LocalQueue, respond: Respond = () => {}) {
  const deliveries: Delivery[] = [];
  queue.consume(async (event) => {
    deliveries.push({ at: performance.now(), records: event.Records });
    return respond(event, deliveries.length);
  });
  return deliveries;
}

const failAll = (event: SQSEvent): SQSBatchResponse => ({
  batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })),
});

describe('LocalQueue', () => {
  beforeEach(() => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    vi.spyOn(console, 'error').mockImplementation(() => {});
  });
  afterEach(async () => {
    await Promise.all(queues.splice(0).map((q) => q.close()));
    vi.restoreAllMocks();
  });

  it('does not deliver a delayed message before its delay, in milliseconds', async () => {
    // Prepare
    const queue = newQueue({ name: 'delays' });
    const deliveries = record(queue);

    // Act
    const sentAt = performance.now();
    await queue.send('late', { delayMs: 120 });
    await queue.send('now');

    // Assess
    await vi.waitFor(() => expect(deliveries).toHaveLength(2), WAIT);
    expect(bodies(deliveries)).toEqual([['now'], ['late']]);
    expect(deliveries[1]!.at - sentAt).toBeGreaterThanOrEqual(120);
  });

  it('builds records in the exact shape of the Lambda SQS event', async () => {
    // Prepare
    const queue = newQueue({ name: 'shapes' });
    const deliveries = record(queue);
    const before = Date.now();

    // Act
    await queue.send('hello');

    // Assess
    await vi.waitFor(() => expect(deliveries).toHaveLength(1), WAIT);
    const r = deliveries[0]!.records[0]!;
    expect(r).toMatchObject({
      body: 'hello',
      md5OfBody: '5d41402abc4b2a76b9719d911017c592',
      messageAttributes: {},
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:local:000000000000:shapes',
      awsRegion: 'local',
      attributes: { ApproximateReceiveCount: '1', SenderId: expect.any(String) },
    });
    expect(r.messageId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(r.receiptHandle.length).toBeGreaterThan(20);
    expect(Number(r.attributes.SentTimestamp)).toBeGreaterThanOrEqual(before);
    const firstReceive = Number(r.attributes.ApproximateFirstReceiveTimestamp);
    expect(firstReceive).toBeGreaterThanOrEqual(Number(r.attributes.SentTimestamp));
  });

  it('computes md5OfBody over the UTF-8 bytes of the body', async () => {
    // Prepare
    const queue = newQueue({ name: 'md5' });
    const deliveries = record(queue);
    const body = '{"callId":"c-1","note":"appel reçu 📞"}';

    // Act
    await queue.send(body);

    // Assess
    await vi.waitFor(() => expect(deliveries).toHaveLength(1), WAIT);
    const expected = createHash('md5').update(Buffer.from(body, 'utf8')).digest('hex');
    expect(deliveries[0]!.records[0]!.md5OfBody).toBe(expected);
  });

  it('delivers at most batchSize messages per event, oldest first, each exactly once', async () => {
    // Prepare
    const queue = newQueue({ name: 'batches', batchSize: 3 });
    for (const n of [1, 2, 3, 4, 5, 6, 7]) await queue.send(`m${n}`);

    // Act
    const deliveries = record(queue);

    // Assess
    await vi.waitFor(() => expect(deliveries.flatMap((d) => d.records)).toHaveLength(7), WAIT);
    expect(bodies(deliveries)).toEqual([['m1', 'm2', 'm3'], ['m4', 'm5', 'm6'], ['m7']]);
    await vi.waitFor(() => expect(queue.size()).toEqual({ visible: 0, delayed: 0, inFlight: 0 }), WAIT);
  });

  it('coalesces messages sent together into one batch', async () => {
    // Prepare
    const queue = newQueue({ name: 'coalesce', pollIntervalMs: 20 });
    const deliveries = record(queue);

    // Act
    await Promise.all(['a', 'b', 'c'].map((body) => queue.send(body)));

    // Assess
    await vi.waitFor(() => expect(deliveries).toHaveLength(1), WAIT);
    expect(bodies(deliveries)).toEqual([['a', 'b', 'c']]);
  });

  it('never runs more than maxConcurrency batches at once', async () => {
    // Prepare
    const queue = newQueue({ name: 'concurrency', batchSize: 1, maxConcurrency: 2 });
    for (const n of [1, 2, 3, 4, 5]) await queue.send(`m${n}`);
    let running = 0;
    let peak = 0;
    let done = 0;

    // Act
    queue.consume(async () => {
      peak = Math.max(peak, ++running);
      await sleep(15);
      running -= 1;
      done += 1;
    });

    // Assess
    await vi.waitFor(() => expect(done).toBe(5), WAIT);
    expect(peak).toBe(2);
  });

  it('redelivers only the failed batch item, after the visibility timeout, with its receive count up', async () => {
    // Prepare
    const queue = newQueue({ name: 'partial', visibilityTimeoutMs: VISIBILITY_MS });
    for (const body of ['a', 'b', 'c']) await queue.send(body);
    let leftDuringRetry: unknown;
    const failB = (event: SQSEvent, call: number): SQSBatchResponse | void => {
      if (call === 2) leftDuringRetry = { messages: queue.peek().map((m) => m.body), size: queue.size() };
      const b = event.Records.find((r) => r.body === 'b');
      return call === 1 && b ? { batchItemFailures: [{ itemIdentifier: b.messageId }] } : undefined;
    };

    // Act
    const deliveries = record(queue, failB);

    // Assess
    await vi.waitFor(() => expect(deliveries).toHaveLength(2), WAIT);
    const [first, second] = deliveries as [Delivery, Delivery];
    expect(bodies(deliveries)).toEqual([['a', 'b', 'c'], ['b']]);
    expect(leftDuringRetry).toEqual({ messages: ['b'], size: { visible: 0, delayed: 0, inFlight: 1 } });
    expect(second.records[0]!.messageId).toBe(first.records[1]!.messageId);
    expect(second.records[0]!.attributes.ApproximateReceiveCount).toBe('2');
    expect(second.records[0]!.receiptHandle).not.toBe(first.records[1]!.receiptHandle);
    expect(second.at - first.at).toBeGreaterThanOrEqual(VISIBILITY_MS - SLACK_MS);
    await vi.waitFor(() => expect(queue.peek()).toEqual([]), WAIT);
  });

  it('redelivers the whole batch after the visibility timeout when the handler throws', async () => {
    // Prepare
    const queue = newQueue({ name: 'throws', visibilityTimeoutMs: VISIBILITY_MS });
    for (const body of ['a', 'b']) await queue.send(body);

    // Act
    const deliveries = record(queue, (_event, call) => {
      if (call === 1) throw new Error('dynamo is down');
    });

    // Assess
    await vi.waitFor(() => expect(deliveries).toHaveLength(2), WAIT);
    const [first, second] = deliveries as [Delivery, Delivery];
    expect(bodies(deliveries)).toEqual([['a', 'b'], ['a', 'b']]);
    expect(second.records.map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['2', '2']);
    expect(second.at - first.at).toBeGreaterThanOrEqual(VISIBILITY_MS - SLACK_MS);
    expect(console.error).toHaveBeenCalled();
    await vi.waitFor(() => expect(queue.peek()).toEqual([]), WAIT);
  });

  it('treats an itemIdentifier that is not in the batch as a failure of the whole batch, as Lambda does', async () => {
    // Prepare
    const queue = newQueue({ name: 'bad-ids', visibilityTimeoutMs: VISIBILITY_MS });
    for (const body of ['a', 'b']) await queue.send(body);

    // Act
    const deliveries = record(queue, (_event, call) =>
      call === 1 ? { batchItemFailures: [{ itemIdentifier: 'not-a-message-id' }] } : undefined,
    );

    // Assess
    await vi.waitFor(() => expect(deliveries).toHaveLength(2), WAIT);
    expect(bodies(deliveries)).toEqual([['a', 'b'], ['a', 'b']]);
    expect(console.warn).toHaveBeenCalled();
  });

  it('moves a message to the dead-letter queue instead of a receive beyond maxReceiveCount', async () => {
    // Prepare
    const dlq = newQueue({ name: 'dlq' });
    const queue = newQueue({ name: 'main', visibilityTimeoutMs: 30, maxReceiveCount: 2, deadLetterQueue: dlq });
    const deliveries = record(queue, failAll);

    // Act
    await queue.send('poison');

    // Assess
    await vi.waitFor(() => expect(dlq.size()).toEqual({ visible: 1, delayed: 0, inFlight: 0 }), WAIT);
    const counts = deliveries.map((d) => d.records[0]!.attributes.ApproximateReceiveCount);
    expect(counts).toEqual(['1', '2']);
    expect(dlq.peek()).toEqual([{ messageId: deliveries[0]!.records[0]!.messageId, body: 'poison', receiveCount: 2 }]);
    expect(queue.peek()).toEqual([]);
  });

  it('drops an exhausted message with a warning when there is no dead-letter queue', async () => {
    // Prepare
    const queue = newQueue({ name: 'no-dlq', visibilityTimeoutMs: 30, maxReceiveCount: 1 });
    const deliveries = record(queue, failAll);

    // Act
    await queue.send('poison');

    // Assess
    await vi.waitFor(() => expect(console.warn).toHaveBeenCalledWith(expect.stringContaining('dropped message')), WAIT);
    expect(deliveries).toHaveLength(1);
    expect(queue.peek()).toEqual([]);
  });

  it('replays dead-lettered messages with redriveTo, receive count reset', async () => {
    // Prepare
    const dlq = newQueue({ name: 'replay-dlq' });
    const queue = newQueue({ name: 'replay', visibilityTimeoutMs: 30, maxReceiveCount: 1, deadLetterQueue: dlq });
    let healthy = false;
    const deliveries = record(queue, (event) => (healthy ? undefined : failAll(event)));
    await queue.send('x');
    await vi.waitFor(() => expect(dlq.peek()).toHaveLength(1), WAIT);
    const [dead] = dlq.peek();

    // Act
    healthy = true;
    const moved = dlq.redriveTo(queue);

    // Assess
    expect(moved).toBe(1);
    expect(dlq.peek()).toEqual([]);
    await vi.waitFor(() => expect(deliveries).toHaveLength(2), WAIT);
    const replayed = deliveries[1]!.records[0]!;
    expect(replayed).toMatchObject({ messageId: dead!.messageId, body: 'x' });
    expect(replayed.attributes.ApproximateReceiveCount).toBe('1');
    await vi.waitFor(() => expect(queue.peek()).toEqual([]), WAIT);
  });

  it('reports visible, delayed and in-flight counts and drains every message', async () => {
    // Prepare
    const queue = newQueue({ name: 'inspect' });
    await queue.send('now');
    await queue.send('later', { delayMs: 60_000 });

    // Act
    const size = queue.size();
    const drained = queue.drain();

    // Assess
    expect(size).toEqual({ visible: 1, delayed: 1, inFlight: 0 });
    expect(drained.map((m) => [m.body, m.receiveCount])).toEqual([['now', 0], ['later', 0]]);
    expect(queue.size()).toEqual({ visible: 0, delayed: 0, inFlight: 0 });
  });

  it('stops delivering on close() and resolves only after the batch in flight has finished', async () => {
    // Prepare
    const queue = newQueue({ name: 'closing' });
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    queue.consume(async () => {
      calls += 1;
      await blocked;
    });
    await queue.send('in-flight');
    await vi.waitFor(() => expect(calls).toBe(1), WAIT);
    await queue.send('delayed', { delayMs: 30 });

    // Act
    let closed = false;
    const closing = queue.close().then(() => (closed = true));
    await queue.send('after-close');
    await sleep(60);

    // Assess
    expect(closed).toBe(false);
    release();
    await closing;
    expect(closed).toBe(true);
    await sleep(60);
    expect(calls).toBe(1);
    expect(queue.peek().map((m) => m.body)).toEqual(['delayed', 'after-close']);
    expect(() => queue.consume(async () => {})).toThrow(/closed/);
  });
});
