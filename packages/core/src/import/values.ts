/**
 * Turning values read from foreign files (SQLite cells, JSON) into exact 64-bit integers and strings. A value that
 * cannot be represented exactly is refused, never rounded.
 */
import { INT64_MAX, INT64_MIN } from '../storage/peer-ids.js';

export const INT64_RULE: string = `expected a signed 64-bit integer (${INT64_MIN}..${INT64_MAX})`;

const INTEGER_TEXT = /^-?\d{1,20}$/;

/**
 * An exact signed 64-bit integer from a bigint (SQLite INTEGER read with safe integers), a decimal string, or a
 * JS number that is a safe integer; undefined for anything else (a REAL, an out-of-range number, a blob, text).
 */
export function toInt64(value: unknown): bigint | undefined {
  let n: bigint;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'string' && INTEGER_TEXT.test(value)) n = BigInt(value);
  else if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value);
  else return undefined;
  return n >= INT64_MIN && n <= INT64_MAX ? n : undefined;
}

/**
 * Text from a cell: strings as they are, integers as decimal (Telethon keeps phones in an INTEGER column), null
 * for SQL NULL; undefined for a blob or anything else that is no text.
 */
export function toText(value: unknown): string | null | undefined {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint' || (typeof value === 'number' && Number.isSafeInteger(value))) {
    return String(value);
  }
  return undefined;
}

/** A non-empty string, or undefined ("the source does not know"). */
export function nonEmpty(value: string | null | undefined): string | undefined {
  return value === null || value === undefined || value === '' ? undefined : value;
}
