/** Time and randomness, injected so use cases stay testable. */
export interface Clock {
  now(): number;
}

/** Identifier and room number generation. */
export interface Ids {
  uuid(): string;
  /** A random integer room id in 1..2^31-1. */
  roomId(): number;
}
