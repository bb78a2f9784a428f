/** Conversions between SQLite values (read with safeIntegers: every INTEGER is a bigint) and project types. */

export const toTime = (value: bigint | null): number | null => (value === null ? null : Number(value));
