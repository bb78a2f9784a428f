/**
 * The one retry loop of pm (`@pm/core/internal`): the sender's network retries, the PostgreSQL driver's
 * transaction retries and its change feed's reconnects all run through it. What is retried, how long to wait and
 * when to give up stays with the caller, in `retryAfter`; the waits come from `backoffDelay`.
 */

export interface RetryOptions {
  /**
   * Called after attempt number `attempt` (1-based) failed with `error`: returns the ms to wait before the next
   * attempt (0 for at once), or throws to give up (what it throws is what `retry` rejects with, so it may
   * translate the error). It is never called for a success.
   */
  retryAfter(error: unknown, attempt: number): number;
  /** Waits between attempts; an injected clock's sleep in tests. @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until it resolves or `retryAfter` gives up. Resolves with the first success; every failure is
 * either retried after the wait `retryAfter` names or turned into the rejection, so the loop cannot spin silently.
 */
export async function retry<T>(attempt: (n: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const sleep = options.sleep ?? realSleep;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      const wait = options.retryAfter(error, n);
      if (wait > 0) await sleep(wait);
    }
  }
}
