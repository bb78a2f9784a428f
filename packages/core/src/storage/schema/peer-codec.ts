/**
 * A peer record as a row, in each dialect, derived from the `peers` table of the description: its columns (the
 * ones both databases have; SQLite's `seq` and `username` are its own, written by its provider) map one to one to
 * the record's fields (`first_name` ↔ `firstName`), and each column's logical type says how its value is stored.
 */
import { compiled } from '../../compiled.js';
import type { PeerRecord } from '../types.js';
import { type ColumnType, type Dialect, tableSpec } from './tables.js';

export interface PeerColumn {
  readonly column: string;
  readonly field: keyof PeerRecord;
  readonly type: ColumnType;
}

const fieldOf = (column: string): keyof PeerRecord =>
  column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof PeerRecord;

/** The record's columns, in table order. */
export const PEER_COLUMNS: readonly PeerColumn[] = tableSpec('peers')
  .columns.filter((c) => c.only === undefined)
  .map((c) => ({ column: c.name, field: fieldOf(c.name), type: c.type }));

type Convert = (value: unknown) => unknown;

/** Usernames cannot contain spaces, so a space-separated list is unambiguous; '' is the empty list. */
const joinNames: Convert = (v) => (v as readonly string[]).join(' ');
const json: Convert = (v) => (v === null ? null : JSON.stringify(v));
const number: Convert = (v) => (v === null || v === undefined ? null : Number(v));

/**
 * Record value → parameter. PostgreSQL's writes pass usernames as one space-separated text per row through
 * `unnest(...::text[])` (an array of arrays cannot be unnested row by row) and split them in SQL.
 */
const ENCODE: { readonly [D in Dialect]: Partial<Record<ColumnType, Convert>> } = {
  sqlite: { flag: (v) => (v === null ? null : v ? 1 : 0), names: joinNames, json },
  postgres: { names: joinNames, json },
};

/** Column value → record value. SQLite's INTEGERs come as bigint (safeIntegers) or, cast to REAL, as numbers. */
const DECODE: { readonly [D in Dialect]: Partial<Record<ColumnType, Convert>> } = {
  sqlite: {
    flag: (v) => (v === null ? null : Number(v) !== 0),
    // Most peers hold one username or none: `split` goes through the runtime (about 1,000 instructions a call on Node
    // 20, a sixth of a cold lookup's own work), an array literal does not.
    // Anything but text (a damaged row) still fails in `split`, as a typed error of the read.
    names: (v) => (v ? (typeof v === 'string' && v.indexOf(' ') < 0 ? [v] : (v as string).split(' ')) : []),
    time: number,
    json: (v) => (v === null ? null : JSON.parse(v as string)),
  },
  postgres: { time: number },
};

export interface PeerRowCodec {
  /** Column names, in the order of `values` (the record's, then the extra ones). */
  readonly columns: readonly string[];
  /** The parameters that store a record, one per column. */
  values(record: PeerRecord): unknown[];
  /** The record a row (keyed by column name) holds. */
  record(row: Readonly<Record<string, unknown>>): PeerRecord;
  /**
   * The record a row read as an array holds, its values in `PEER_COLUMNS` order (better-sqlite3's `raw()` rows:
   * no object with a key per column built only to be read once).
   */
  recordOf(values: readonly unknown[]): PeerRecord;
  /**
   * The same as {@link recordOf} with the values as arguments, in `PEER_COLUMNS` order: what a SQL function called
   * with a row's columns receives (sqlite/row-function.ts).
   */
  recordOfArgs(...values: unknown[]): PeerRecord;
}

/**
 * The codec of a dialect. Its two functions are compiled from the column list (an object literal and an array
 * literal, with the conversions passed in): a loop over the columns building the record key by key ran ten to
 * twenty times slower, on the path every read and write of a peer takes. The generated code holds only the
 * description's own column and field names, never data.
 */
export function peerRowCodec(
  dialect: Dialect,
  /** Columns of this dialect's own written after the record's (SQLite: `username`), and their values. */
  extra: readonly { readonly column: string; readonly value: (record: PeerRecord) => unknown }[] = [],
): PeerRowCodec {
  const encoders: Convert[] = [];
  const decoders: Convert[] = [];
  const param = (c: PeerColumn): string => {
    const encode = ENCODE[dialect][c.type];
    if (encode === undefined) return `r.${c.field}`;
    encoders.push(encode);
    return `e[${encoders.length - 1}](r.${c.field})`;
  };
  const field = (c: PeerColumn, at: string): string => {
    const decode = DECODE[dialect][c.type];
    if (decode === undefined) return `${c.field}: ${at}`;
    decoders.push(decode);
    return `${c.field}: d[${decoders.length - 1}](${at})`;
  };
  const params = [...PEER_COLUMNS.map(param), ...extra.map((_, i) => `x[${i}](r)`)];
  const extraValues = extra.map((c) => c.value);
  const values =
    compiled(
      () =>
        new Function('e', 'x', `return (r) => [${params.join(', ')}];`)(
          encoders,
          extraValues,
        ) as PeerRowCodec['values'],
    ) ?? genericValues(dialect, extraValues);
  const record =
    compiled(
      () =>
        new Function(
          'd',
          `return (row) => ({ ${PEER_COLUMNS.map((c) => field(c, `row.${c.column}`)).join(', ')} });`,
        )(decoders) as PeerRowCodec['record'],
    ) ?? ((row: Record<string, unknown>) => genericRecord(dialect, (c) => row[c.column]));
  const recordOf =
    compiled(
      () =>
        new Function(
          'd',
          `return (row) => ({ ${PEER_COLUMNS.map((c, i) => field(c, `row[${i}]`)).join(', ')} });`,
        )(decoders) as PeerRowCodec['recordOf'],
    ) ?? ((row: readonly unknown[]) => genericRecord(dialect, (_, i) => row[i]));
  const args = PEER_COLUMNS.map((_, i) => `a${i}`);
  const recordOfArgs =
    compiled(
      () =>
        new Function(
          'd',
          `return (${args.join(', ')}) => ({ ${PEER_COLUMNS.map((c, i) => field(c, args[i] as string)).join(', ')} });`,
        )(decoders) as PeerRowCodec['recordOfArgs'],
    ) ?? ((...row: unknown[]) => recordOf(row));
  return {
    columns: [...PEER_COLUMNS.map((c) => c.column), ...extra.map((c) => c.column)],
    values,
    record,
    recordOf,
    recordOfArgs,
  };
}

/** {@link PeerRowCodec.values} as a loop over the columns, for a runtime that refuses compiled code. */
function genericValues(
  dialect: Dialect,
  extra: readonly ((record: PeerRecord) => unknown)[],
): PeerRowCodec['values'] {
  return (r) => {
    const out: unknown[] = [];
    for (const c of PEER_COLUMNS) {
      const encode = ENCODE[dialect][c.type];
      const value = r[c.field];
      out.push(encode === undefined ? value : encode(value));
    }
    for (const value of extra) out.push(value(r));
    return out;
  };
}

/** A record from its columns' values (`valueAt`), as the compiled decoders build it, key by key. */
function genericRecord(dialect: Dialect, valueAt: (c: PeerColumn, i: number) => unknown): PeerRecord {
  const record: Record<string, unknown> = {};
  PEER_COLUMNS.forEach((c, i) => {
    const decode = DECODE[dialect][c.type];
    const value = valueAt(c, i);
    record[c.field] = decode === undefined ? value : decode(value);
  });
  return record as unknown as PeerRecord;
}
