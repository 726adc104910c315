/** A message queue with per-message delay (SQS on AWS, an in-process queue locally). */
export interface Queue {
  /**
   * Enqueues one message. `delayMs` postpones its first delivery; the SQS adapter rounds it up to
   * whole seconds (SQS DelaySeconds, at most 900), the local queue honours milliseconds.
   */
  send(body: string, options?: { delayMs?: number }): Promise<void>;
}
