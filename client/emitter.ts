/**
 * A small typed event emitter that runs in browsers and Node alike. A throwing handler does not
 * stop the others or the engine: its error is reported the way the DOM reports listener errors.
 */

/** A handler of one event. */
export type Handler<T> = (payload: T) => void;

function report(error: unknown): void {
  const reportError = (globalThis as { reportError?: (e: unknown) => void }).reportError;
  if (typeof reportError === 'function') reportError(error);
  else
    queueMicrotask(() => {
      throw error;
    });
}

/** Typed on/off/emit over an event map. */
export class Emitter<M extends object> {
  private readonly handlers = new Map<keyof M, Set<Handler<never>>>();

  /** Adds `handler` for `event` (adding the same handler twice keeps one). */
  on<K extends keyof M>(event: K, handler: Handler<M[K]>): void {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(handler as Handler<never>);
  }

  /** Removes `handler` for `event`; without a handler, removes all handlers of `event`. */
  off<K extends keyof M>(event: K, handler?: Handler<M[K]>): void {
    if (handler) this.handlers.get(event)?.delete(handler as Handler<never>);
    else this.handlers.delete(event);
  }

  /** Calls the handlers of `event` with `payload`, in the order they were added. */
  emit<K extends keyof M>(event: K, payload: M[K]): void {
    const set = this.handlers.get(event);
    if (!set) return;
    for (const handler of [...set]) {
      try {
        (handler as Handler<M[K]>)(payload);
      } catch (error) {
        report(error);
      }
    }
  }

  /** Removes every handler. */
  clear(): void {
    this.handlers.clear();
  }
}
