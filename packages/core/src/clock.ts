/** Time comes from here, never from globals in logic, so tests can drive it. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * Time that only moves forward (`performance.now()`), for intervals and rates: a wall clock set back an hour (NTP,
 * a resumed VM) would otherwise look like an hour yet to wait.
 */
export const monotonicClock: Clock = { now: () => performance.now() };

/** setTimeout's longest delay, about 24.8 days: a longer one fires at once (with a TimeoutOverflowWarning). */
export const MAX_TIMER_MS = 2 ** 31 - 1;
