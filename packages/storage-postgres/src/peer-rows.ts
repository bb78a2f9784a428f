/** Peer rows: the column list, the row ↔ record conversions and the record comparisons the repositories need. */
import { PEER_COLUMNS as CORE_PEER_COLUMNS, type PeerRecord, peerRowCodec, sqlType } from '@pm/core';

/** Column names of a peer row, from the table description shared with SQLite (`PEER_COLUMNS` of @pm/core). */
export const PEER_COLUMNS: readonly string[] = CORE_PEER_COLUMNS.map((c) => c.column);
const CODEC = peerRowCodec('postgres');

/** `id, type, ...` optionally prefixed by a table alias. */
export function peerColumns(alias?: string): string {
  return PEER_COLUMNS.map((c) => (alias ? `${alias}.${c}` : c)).join(', ');
}

/** A peers row as the driver returns it (int8 as bigint, usernames as text[]); decoded by {@link recordOf}. */
export type PeerRow = Readonly<Record<string, unknown>> & { readonly id: bigint };

export const recordOf = (r: PeerRow): PeerRecord => CODEC.record(r);

/** Usernames cannot contain spaces, so a space-joined list is unambiguous; '' is the empty list. */
export const joinNames = (names: readonly string[]): string => names.join(' ');

/** Column-wise parameters for `unnest($1::bigint[], $2::text[], ...)`, in {@link PEER_COLUMNS} order. */
export function peerParams(records: readonly PeerRecord[]): unknown[][] {
  const cols: unknown[][] = PEER_COLUMNS.map(() => []);
  for (const r of records) {
    const values = CODEC.values(r);
    for (let i = 0; i < values.length; i++) cols[i]?.push(values[i]);
  }
  return cols;
}

/** The array type of each column's parameter (usernames go as one space-separated text per row). */
export const PEER_UNNEST_TYPES: readonly string[] = CORE_PEER_COLUMNS.map((c) =>
  c.type === 'names' ? 'text[]' : `${sqlType(c.type, 'postgres')}[]`,
);

function same(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => v === b[i]);
  return a === b;
}

/** Two records are equal field by field. */
export function sameRecord(a: PeerRecord, b: PeerRecord): boolean {
  for (const key of Object.keys(a) as (keyof PeerRecord)[]) if (!same(a[key], b[key])) return false;
  return true;
}

export const sameList = (a: readonly string[], b: readonly string[]): boolean => same(a, b);
