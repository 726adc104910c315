/** What the limiter decided for one frame. */
export type FrameVerdict = 'accept' | 'refuse' | 'close';

/** A connection's limit: frames per second (the bucket holds two seconds' worth) and refusals before closing. */
export interface FrameLimit {
  framesPerSec: number;
  refusalsBeforeClose: number;
}

interface Bucket {
  tokens: number;
  at: number;
  /** Refusals in the current 10-second window, and when that window started. */
  refusals: number;
  windowStart: number;
}

const REFUSAL_WINDOW_MS = 10_000;

/**
 * Per-connection token buckets, kept in this process. On AWS every Lambda instance keeps its own,
 * so a connection whose frames are spread over k instances gets up to k times the rate; the
 * WebSocket stage's throttling is the global ceiling (SECURITY.md). Locally it is exact.
 * The map is bounded: the least recently seen connections are forgotten first.
 */
export class FrameLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly maxConnections = 10_000) {}

  check(connectionId: string, now: number, limit: FrameLimit): FrameVerdict {
    const capacity = 2 * limit.framesPerSec;
    const bucket = this.buckets.get(connectionId) ?? { tokens: capacity, at: now, refusals: 0, windowStart: now };
    // Re-inserting keeps the map in least-recently-seen order.
    this.buckets.delete(connectionId);
    this.buckets.set(connectionId, bucket);
    if (this.buckets.size > this.maxConnections) this.buckets.delete(this.buckets.keys().next().value as string);
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * limit.framesPerSec);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 'accept';
    }
    if (now - bucket.windowStart >= REFUSAL_WINDOW_MS) {
      bucket.windowStart = now;
      bucket.refusals = 0;
    }
    bucket.refusals += 1;
    return bucket.refusals >= limit.refusalsBeforeClose ? 'close' : 'refuse';
  }

  get size(): number {
    return this.buckets.size;
  }
}
