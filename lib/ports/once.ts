/**
 * Runs a piece of work at most once per key, across every instance: a second run of a key that
 * succeeded does nothing. A run that fails leaves the key free, so a later run may try again.
 */
export interface Once {
  /** `'ran'` when the work ran now; `'duplicate'` when a run with this key already succeeded. Rethrows the work's error. */
  run(key: string, work: () => Promise<void>): Promise<'ran' | 'duplicate'>;
}

/** Another instance is running the same key right now: try again later (SQS redelivers). */
export class OnceBusyError extends Error {
  override readonly name = 'OnceBusyError';
  constructor(readonly key: string, options?: { cause?: unknown }) {
    super(`work ${key} is running elsewhere; retry later`, options);
  }
}
