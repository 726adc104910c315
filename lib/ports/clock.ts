/** Time and randomness, injected so use cases stay testable. */
export interface Clock {
  now(): number;
}

/** Identifier and room number generation. */
export interface Ids {
  uuid(): string;
  /** A random integer room id in 1..2^31-1. */
  roomId(): number;
  /**
   * The `since` a request stamps on the lines it takes at `now`: `now` plus a random fraction of a
   * millisecond, so two requests in the same millisecond tell their parts of a call apart.
   */
  lineStamp(now: number): number;
}
