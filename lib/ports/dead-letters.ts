/** Callbacks that failed every attempt, kept for an operator to inspect and replay. */
export interface DeadLetters {
  /** Keeps a message that will not be retried any more. */
  add(body: string): Promise<void>;
  /** The dead-lettered messages of an app (at most `limit`). */
  list(sdkAppId: number, limit: number): Promise<string[]>;
  /** Takes an app's dead-lettered messages out, handing each to `replay`; answers how many. */
  replay(sdkAppId: number, replay: (body: string) => Promise<void>): Promise<number>;
}
