import { AsyncLocalStorage } from 'node:async_hooks';

const AsyncFunction = (async () => {}).constructor;

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Tells whether code runs inside one of the bot's event listeners, so that the update engine's stop() knows not to
 * wait for its queue (which waits for that very listener).
 *
 * A plain function is tracked by a counter while it runs: nothing else can run meanwhile. An async function (or one
 * that has returned a promise before) runs in an AsyncLocalStorage, enabled only while such a listener is pending:
 * while any AsyncLocalStorage is enabled, Node 20 runs a hook on every promise the process creates, GramJS's receive
 * loop included, which was the largest cost pm added to a burst of updates. A listener that is not an async function
 * and returns a promise for the first time is not tracked through that promise; until it settles, code is taken to
 * be inside a listener (stop() then stops at once rather than risk waiting for itself).
 */
export class HandlerScope {
  readonly #als = new AsyncLocalStorage<true>();
  /** Listeners running synchronously (nested when one emits from inside another). */
  #syncDepth = 0;
  /** Tracked (async) listeners not settled yet: the AsyncLocalStorage stays enabled while there are any. */
  #tracked = 0;
  /** Untracked listener promises not settled yet. */
  #untracked = 0;
  /** Plain functions seen returning a promise: tracked from then on. */
  readonly #returnsPromises = new WeakSet<object>();
  /** What stops counting a listener's pending promise (see {@link release}). */
  readonly #releases = new WeakMap<object, () => void>();

  /** True when called from inside a listener run by {@link call}. */
  get inside(): boolean {
    return this.#syncDepth > 0 || this.#untracked > 0 || this.#als.getStore() === true;
  }

  /**
   * True only when the caller is known to run inside a listener: synchronously in one, or in an async one's own
   * chain. Unlike {@link inside}, not while a plain function's promise is merely pending somewhere: code elsewhere is
   * not taken for the listener's.
   */
  get surelyInside(): boolean {
    return this.#syncDepth > 0 || this.#als.getStore() === true;
  }

  /** Runs `listener(event)` as a bot's listener; returns what it returns. */
  call<T>(listener: (event: T) => unknown, event: T): unknown {
    if (listener instanceof AsyncFunction || this.#returnsPromises.has(listener)) {
      return this.#callTracked(listener, event);
    }
    this.#syncDepth++;
    let result: unknown;
    try {
      result = listener(event);
    } finally {
      this.#syncDepth--;
    }
    if (!isThenable(result)) return result;
    this.#returnsPromises.add(listener);
    this.#untracked++;
    return this.#releasable(result, () => this.#untracked--);
  }

  /**
   * The caller no longer waits for this listener's promise (one returned by {@link call}; emit() gave up on it after
   * its deadline): it no longer counts as a listener running, so code elsewhere is not taken for its own, and the
   * work stop() would wait for is not waiting for it either.
   */
  release(promise: unknown): void {
    if (typeof promise === 'object' && promise !== null) this.#releases.get(promise)?.();
  }

  /** `result` as a promise whose settling, or an earlier release(), runs `uncount` once. */
  #releasable(result: PromiseLike<unknown>, uncount: () => void): Promise<unknown> {
    let counted = true;
    const once = (): void => {
      if (counted) {
        counted = false;
        uncount();
      }
    };
    const promise = Promise.resolve(result).finally(once);
    this.#releases.set(promise, once);
    return promise;
  }

  #callTracked<T>(listener: (event: T) => unknown, event: T): unknown {
    this.#tracked++;
    let result: unknown;
    try {
      result = this.#als.run(true, listener, event);
    } catch (error) {
      this.#settled();
      throw error;
    }
    if (!isThenable(result)) {
      this.#settled();
      return result;
    }
    return this.#releasable(result, () => this.#settled());
  }

  #settled(): void {
    if (--this.#tracked === 0) this.#als.disable();
  }
}
