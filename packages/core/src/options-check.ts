/**
 * Numeric options are checked where they are taken: NaN, a negative wait or a zero rate would otherwise run as
 * something else (a NaN concurrency sends nothing and polls for good, a zero rate sends without limit). A bad
 * value is a RangeError naming the option and what was given.
 */

export type NumberRule =
  /** A finite number > 0. */
  | 'positive'
  /** A finite number >= 0. */
  | 'nonNegative'
  /** A whole number >= 1. */
  | 'count';

const WANTED: Record<NumberRule, string> = {
  positive: 'a number > 0',
  nonNegative: 'a number >= 0',
  count: 'a whole number >= 1',
};

/** `value` if it follows `rule` (or is Infinity, when `infinity` allows it); a RangeError naming `name` otherwise. */
export function checkNumber(
  name: string,
  value: unknown,
  rule: NumberRule,
  opts: { infinity?: boolean } = {},
): number {
  if (typeof value === 'number') {
    if (value === Number.POSITIVE_INFINITY && opts.infinity) return value;
    const ok =
      rule === 'count'
        ? Number.isSafeInteger(value) && value >= 1
        : Number.isFinite(value) && (rule === 'positive' ? value > 0 : value >= 0);
    if (ok) return value;
  }
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  throw new RangeError(`${name} must be ${WANTED[rule]}${opts.infinity ? ' or Infinity' : ''}, got ${shown}`);
}

/** {@link checkNumber} for an optional value: its default when not given. */
export function optionalNumber(
  name: string,
  value: unknown,
  fallback: number,
  rule: NumberRule,
  opts: { infinity?: boolean } = {},
): number {
  return value === undefined ? fallback : checkNumber(name, value, rule, opts);
}
