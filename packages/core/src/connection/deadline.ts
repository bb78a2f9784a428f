import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Per-call deadlines without threading them through every layer: a public method runs its work inside
 * `withTimeout(ms, fn)`, and every network call made from it (resolve, then send, then the retries) shares the
 * one deadline.
 *
 * While an AsyncLocalStorage is enabled, Node 20 runs a hook on every promise the process creates (GramJS's receive
 * loop and the whole update path included): this one is enabled only while a call made with a timeout is pending,
 * not from the first such call on for the rest of the process.
 */
const ambient = new AsyncLocalStorage<Deadline>();
/** Calls made through withTimeout (with a timeout) not settled yet. */
let pending = 0;

function settled(): void {
  if (--pending === 0) ambient.disable();
}

/** A deadline: monotonic ms, and the timeout it came from (for messages). */
export interface Deadline {
  readonly at: number;
  readonly timeoutMs: number;
}

/** Monotonic milliseconds (deadlines must not move with the wall clock). */
export const monotonicNow = (): number => performance.now();

/** Runs `fn` with a deadline `ms` from now (the earlier one wins when already inside another). */
export function withTimeout<T>(ms: number | undefined, fn: () => Promise<T>): Promise<T> {
  if (ms === undefined) return fn();
  if (!(ms >= 0) || !Number.isFinite(ms))
    throw new RangeError(`timeoutMs must be a finite number >= 0, got ${ms}`);
  const outer = ambient.getStore();
  const mine = { at: monotonicNow() + ms, timeoutMs: ms };
  pending++;
  let result: Promise<T>;
  try {
    result = ambient.run(outer !== undefined && outer.at <= mine.at ? outer : mine, fn);
  } catch (error) {
    settled();
    throw error;
  }
  return Promise.resolve(result).finally(settled);
}

/** The deadline the current call runs under, if a caller set one. */
export function ambientDeadline(): Deadline | undefined {
  return ambient.getStore();
}

/** The deadline for a call starting now: the ambient one, else `defaultMs` from now. */
export function deadlineFor(defaultMs: number): Deadline {
  const outer = ambient.getStore();
  const own = { at: monotonicNow() + defaultMs, timeoutMs: defaultMs };
  return outer !== undefined && outer.at <= own.at ? outer : own;
}
