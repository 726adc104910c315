import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Queue } from '../ports/queue.ts';

/** Options of a LocalQueue; the defaults are those of SQS and of Lambda's SQS event source. */
export interface LocalQueueOptions {
  name: string;
  visibilityTimeoutMs?: number; // default 30_000
  maxReceiveCount?: number; // receives before dead-lettering; default none (no redrive)
  deadLetterQueue?: LocalQueue;
  batchSize?: number; // default 10
  pollIntervalMs?: number; // default 20: added to each wake-up so messages sent together share a batch
  maxConcurrency?: number; // default 5 batches at once
}

/** A consumer with the signature of a Lambda SQS handler that reports batch item failures. */
export type LocalQueueHandler = (event: SQSEvent) => Promise<SQSBatchResponse | void>;

/** A queued message as shown by peek(), drain() and a future CLI. */
export type LocalQueueMessage = Readonly<{ messageId: string; body: string; receiveCount: number }>;

interface Stored {
  readonly messageId: string;
  readonly body: string;
  readonly md5OfBody: string;
  readonly sentTimestamp: number; // epoch ms, as SQS reports it
  firstReceiveTimestamp?: number; // epoch ms
  receiveCount: number;
  visibleAt: number; // monotonic ms (performance.now), immune to wall-clock jumps
  processing: boolean; // in a batch whose handler has not settled yet
}

/** Largest delay SQS accepts (DelaySeconds 900), so local runs cannot rely on longer ones. */
const MAX_DELAY_MS = 900_000;
const now = (): number => performance.now();

/**
 * An in-process queue with the semantics of SQS plus Lambda's SQS event source (ReportBatchItemFailures),
 * so the local runtime feeds the real handlers exactly as AWS would: batches, visibility timeout, redrive.
 */
export class LocalQueue implements Queue {
  readonly name: string;
  readonly arn: string;
  private readonly options: ReturnType<typeof resolve>;
  /** Insertion-ordered, so messages visible at the same instant are delivered first-in first-out. */
  private readonly messages = new Map<string, Stored>();
  private readonly active = new Set<Promise<void>>();
  private handler: LocalQueueHandler | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Infinity;
  private closed = false;
  /** Messages sent to this queue so far (SendMessage requests), for counting the work of a call. */
  sent = 0;

  constructor(options: LocalQueueOptions) {
    this.name = options.name;
    this.arn = `arn:aws:sqs:local:000000000000:${options.name}`;
    this.options = resolve(options);
  }

  /** Enqueues one message; still accepted after close() (kept, not delivered) so shutdown never fails a handler. */
  async send(body: string, options?: { delayMs?: number }): Promise<void> {
    const delayMs = Math.min(MAX_DELAY_MS, Math.max(0, options?.delayMs || 0)); // `||` also maps NaN to 0
    const md5OfBody = createHash('md5').update(body, 'utf8').digest('hex');
    const message = { messageId: randomUUID(), body, md5OfBody, sentTimestamp: Date.now(), receiveCount: 0 };
    this.sent += 1;
    this.accept({ ...message, visibleAt: now() + delayMs, processing: false });
  }

  /** Starts delivering batches to the handler, like an event source mapping (one per queue). */
  consume(handler: LocalQueueHandler): void {
    if (this.closed) throw new Error(`LocalQueue ${this.name} is closed`);
    if (this.handler) throw new Error(`LocalQueue ${this.name} already has a consumer`);
    this.handler = handler;
    this.scheduleNext();
  }

  /** Stops deliveries, clears every timer and resolves once the batches in flight have settled. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.active.size > 0) await Promise.allSettled([...this.active]);
  }

  /** Counts like SQS's ApproximateNumberOfMessages / …Delayed / …NotVisible (received, not yet deleted). */
  size(): { visible: number; delayed: number; inFlight: number } {
    const t = now();
    const count = { visible: 0, delayed: 0, inFlight: 0 };
    for (const m of this.messages.values()) {
      if (m.processing || (m.receiveCount > 0 && m.visibleAt > t)) count.inFlight += 1;
      else if (m.visibleAt > t) count.delayed += 1;
      else count.visible += 1;
    }
    return count;
  }

  /**
   * Makes every delayed message (never received yet) visible now, as if its delay had passed, and returns how many.
   * Benchmarks count a ring timer's work once its call has ended without waiting for the deadline.
   */
  releaseDelayed(): number {
    const t = now();
    let released = 0;
    for (const m of this.messages.values()) {
      if (m.processing || m.receiveCount > 0 || m.visibleAt <= t) continue;
      m.visibleAt = t;
      released += 1;
    }
    if (released > 0) this.scheduleNext();
    return released;
  }

  /** Every message still in the queue (visible, delayed or in flight), in arrival order, left untouched. */
  peek(): ReadonlyArray<LocalQueueMessage> {
    return [...this.messages.values()].map(({ messageId, body, receiveCount }) => ({ messageId, body, receiveCount }));
  }

  /** Removes and returns every message, like PurgeQueue: a batch in flight can no longer fail it back in. */
  drain(): LocalQueueMessage[] {
    const all = [...this.peek()];
    this.messages.clear();
    return all;
  }

  /**
   * Moves every message not in flight to `target` (DLQ replay), visible at once with its receive count reset;
   * messageId, body and SentTimestamp are kept. In-flight ones stay, or their handler's verdict would be lost.
   */
  redriveTo(target: LocalQueue): number {
    if (target === this) throw new RangeError(`LocalQueue ${this.name} cannot redrive to itself`);
    let moved = 0;
    for (const m of [...this.messages.values()]) {
      if (m.processing) continue;
      this.messages.delete(m.messageId);
      target.accept({ ...m, firstReceiveTimestamp: undefined, receiveCount: 0, visibleAt: now() });
      moved += 1;
    }
    return moved;
  }

  private accept(message: Stored): void {
    this.messages.set(message.messageId, message);
    this.wake(message.visibleAt);
  }

  /** Arms the single timer for `at` (plus the coalescing delay) unless it is already armed earlier. */
  private wake(at: number): void {
    if (!this.handler || this.closed || this.active.size >= this.options.maxConcurrency) return;
    const fireAt = at + this.options.pollIntervalMs;
    if (this.timer && this.timerAt <= fireAt) return;
    clearTimeout(this.timer);
    this.timerAt = fireAt;
    // At least 1 ms: a timer may fire a little early, and the pump then simply re-arms it.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.pump();
    }, Math.max(1, fireAt - now()));
  }

  /** Arms the timer for the earliest message not in flight, if any. */
  private scheduleNext(): void {
    let next = Infinity;
    for (const m of this.messages.values()) if (!m.processing && m.visibleAt < next) next = m.visibleAt;
    if (next !== Infinity) this.wake(next);
  }

  /** Dispatches as many batches as concurrency allows, then arms the timer for what is left. */
  private pump(): void {
    if (!this.handler || this.closed) return;
    while (this.active.size < this.options.maxConcurrency) {
      const batch = this.receive();
      if (batch.length === 0) break;
      const run: Promise<void> = this.invoke(this.handler, batch)
        .catch((error: unknown) => console.error(`[local-queue ${this.name}] internal error`, error))
        .finally(() => {
          this.active.delete(run);
          this.pump();
        });
      this.active.add(run);
    }
    this.scheduleNext();
  }

  /** Takes up to batchSize visible messages, oldest first; exhausted ones are dead-lettered, not delivered. */
  private receive(): Stored[] {
    const t = now();
    const ready = [...this.messages.values()].filter((m) => !m.processing && m.visibleAt <= t);
    ready.sort((a, b) => a.visibleAt - b.visibleAt); // stable: ties keep arrival order
    const batch: Stored[] = [];
    for (const m of ready) {
      if (batch.length >= this.options.batchSize) break;
      if (m.receiveCount >= (this.options.maxReceiveCount ?? Infinity)) {
        this.deadLetter(m);
        continue;
      }
      m.receiveCount += 1;
      m.firstReceiveTimestamp ??= Date.now();
      m.visibleAt = t + this.options.visibilityTimeoutMs; // the timeout runs from the receive, as in SQS
      m.processing = true;
      batch.push(m);
    }
    return batch;
  }

  private deadLetter(m: Stored): void {
    this.messages.delete(m.messageId);
    // As in SQS, the message keeps its id, SentTimestamp and receive count in the dead-letter queue.
    if (this.options.deadLetterQueue) this.options.deadLetterQueue.accept({ ...m, visibleAt: now() });
    else this.warn(`dropped message ${m.messageId} after ${m.receiveCount} receives (no dead-letter queue)`);
  }

  /**
   * Runs one batch and deletes what succeeded. A batch in flight is never redelivered meanwhile (on AWS the function
   * timeout cannot exceed the visibility timeout), so one that runs longer here only gets a warning.
   */
  private async invoke(handler: LocalQueueHandler, batch: Stored[]): Promise<void> {
    const startedAt = now();
    const failed = await this.run(handler, { Records: batch.map((m) => this.toRecord(m)) });
    if (now() - startedAt > this.options.visibilityTimeoutMs) this.warn('a batch outlived the visibility timeout');
    for (const m of batch) {
      if (this.messages.get(m.messageId) !== m) continue; // drained or moved meanwhile
      if (failed === 'all' || failed.has(m.messageId)) m.processing = false;
      else this.messages.delete(m.messageId);
    }
  }

  /** Calls the handler and returns the ids to retry, or 'all' when the whole batch failed. */
  private async run(handler: LocalQueueHandler, event: SQSEvent): Promise<ReadonlySet<string> | 'all'> {
    try {
      const failed = batchItemFailures(await handler(event), event);
      if (failed === 'all') this.warn('an itemIdentifier in batchItemFailures is not in the batch: all retried');
      return failed;
    } catch (error) {
      console.error(`[local-queue ${this.name}] handler failed, ${event.Records.length} message(s) to retry`, error);
      return 'all';
    }
  }

  private warn(message: string): void {
    console.warn(`[local-queue ${this.name}] ${message}`);
  }

  private toRecord(m: Stored): SQSRecord {
    const attributes = {
      ApproximateReceiveCount: String(m.receiveCount),
      SentTimestamp: String(m.sentTimestamp),
      SenderId: '000000000000',
      ApproximateFirstReceiveTimestamp: String(m.firstReceiveTimestamp),
    };
    // A fresh opaque receipt handle per receive, as SQS gives.
    const receiptHandle = randomBytes(64).toString('base64');
    const { messageId, body, md5OfBody } = m;
    const source = { eventSource: 'aws:sqs', eventSourceARN: this.arn, awsRegion: 'local' };
    return { messageId, receiptHandle, body, attributes, messageAttributes: {}, md5OfBody, ...source };
  }
}

/** Lambda's rules: no list is success; an itemIdentifier missing or not in the batch fails the whole batch. */
function batchItemFailures(response: SQSBatchResponse | void | null, event: SQSEvent): ReadonlySet<string> | 'all' {
  const items: unknown = response?.batchItemFailures;
  if (items === undefined || items === null) return new Set();
  if (!Array.isArray(items)) return 'all';
  const ids = new Set(event.Records.map((r) => r.messageId));
  const failed = new Set<string>();
  for (const item of items) {
    const id: unknown = (item as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !ids.has(id)) return 'all';
    failed.add(id);
  }
  return failed;
}

/** Applies the defaults and fails fast, naming the option, on a value that makes no sense. */
function resolve(o: LocalQueueOptions) {
  const check = (option: string, value: number, min: number): number => {
    if (Number.isFinite(value) && value >= min) return value;
    throw new RangeError(`LocalQueue ${o.name}: option ${option} must be a finite number >= ${min}, got ${value}`);
  };
  return {
    visibilityTimeoutMs: check('visibilityTimeoutMs', o.visibilityTimeoutMs ?? 30_000, 0),
    maxReceiveCount: o.maxReceiveCount === undefined ? undefined : check('maxReceiveCount', o.maxReceiveCount, 1),
    deadLetterQueue: o.deadLetterQueue,
    batchSize: check('batchSize', o.batchSize ?? 10, 1),
    pollIntervalMs: check('pollIntervalMs', o.pollIntervalMs ?? 20, 0),
    maxConcurrency: check('maxConcurrency', o.maxConcurrency ?? 5, 1),
  };
}
