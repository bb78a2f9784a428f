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
