/** Peer rows: the column list, the row ↔ record conversions and the record comparisons the repositories need. */
import type { PeerRecord, PeerType } from '@pm/core';

export const PEER_COLUMNS = [
  'id',
  'type',
  'access_hash',
  'min',
  'usernames',
  'first_name',
  'last_name',
  'title',
  'phone',
  'lang_code',
  'lang_code_seen_at',
  'premium',
  'verified',
  'deleted',
  'photo_id',
  'first_seen',
  'last_seen',
  'last_updated',
] as const;

/** `id, type, ...` optionally prefixed by a table alias. */
export function peerColumns(alias?: string): string {
  return PEER_COLUMNS.map((c) => (alias ? `${alias}.${c}` : c)).join(', ');
}

export interface PeerRow {
  id: bigint;
  type: string;
  access_hash: bigint | null;
  min: boolean;
  usernames: string[];
  first_name: string | null;
  last_name: string | null;
  title: string | null;
  phone: string | null;
  lang_code: string | null;
  lang_code_seen_at: bigint | null;
  premium: boolean | null;
  verified: boolean | null;
  deleted: boolean;
  photo_id: bigint | null;
  first_seen: bigint;
  last_seen: bigint;
  last_updated: bigint;
}

const time = (value: bigint | null): number | null => (value === null ? null : Number(value));

export function recordOf(r: PeerRow): PeerRecord {
  return {
    id: r.id,
    type: r.type as PeerType,
    accessHash: r.access_hash,
    min: r.min,
    usernames: r.usernames,
    firstName: r.first_name,
    lastName: r.last_name,
    title: r.title,
    phone: r.phone,
    langCode: r.lang_code,
    langCodeSeenAt: time(r.lang_code_seen_at),
    premium: r.premium,
    verified: r.verified,
    deleted: r.deleted,
    photoId: r.photo_id,
    firstSeen: Number(r.first_seen),
    lastSeen: Number(r.last_seen),
    lastUpdated: Number(r.last_updated),
  };
}

/** Usernames cannot contain spaces, so a space-joined list is unambiguous; '' is the empty list. */
export const joinNames = (names: readonly string[]): string => names.join(' ');

/** Column-wise parameters for `unnest($1::bigint[], $2::text[], ...)`, in {@link PEER_COLUMNS} order. */
export function peerParams(records: readonly PeerRecord[]): unknown[][] {
  const cols: unknown[][] = PEER_COLUMNS.map(() => []);
  for (const r of records) {
    const values = [
      r.id,
      r.type,
      r.accessHash,
      r.min,
      joinNames(r.usernames),
      r.firstName,
      r.lastName,
      r.title,
      r.phone,
      r.langCode,
      r.langCodeSeenAt,
      r.premium,
      r.verified,
      r.deleted,
      r.photoId,
      r.firstSeen,
      r.lastSeen,
      r.lastUpdated,
    ];
    values.forEach((v, i) => {
      cols[i]?.push(v);
    });
  }
  return cols;
}

export const PEER_UNNEST_TYPES = [
  'bigint[]',
  'text[]',
  'bigint[]',
  'boolean[]',
  'text[]',
  'text[]',
  'text[]',
  'text[]',
  'text[]',
  'text[]',
  'bigint[]',
  'boolean[]',
  'boolean[]',
  'boolean[]',
  'bigint[]',
  'bigint[]',
  'bigint[]',
  'bigint[]',
] as const;

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
