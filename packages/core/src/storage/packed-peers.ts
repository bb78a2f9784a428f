/**
 * Whole peer records packed as flat rows of values, ready to bind: what pm's export reader hands a bulk load
 * (`StorageProvider.bulkLoadPeers`) so that neither thread builds a record object per peer only for the writer to
 * take it apart again. A row is {@link PACKED_WIDTH} values: the record's fields in their declaration order
 * (`EXPORT_FIELDS`), with
 * - 64-bit integers (`id`, `accessHash`, `photoId`) as bigints or as their canonical decimal text (no leading zeros,
 *   no `-0`, within the signed 64-bit range), which a column of INTEGER affinity stores as the same integer; the id
 *   also as a number when it is a safe integer (every user and chat id, nearly every channel id), which that column
 *   stores as the same integer too, bound without a text to convert;
 * - flags (`min`, `premium`, `verified`, `deleted`) as 1, 0 or null;
 * - `usernames` as one space-separated text (usernames hold no spaces; '' is none);
 * - times as numbers, texts as they are;
 * then the first username lower-cased (null without one), the lookup key SQLite's provider keeps in `peers`.
 */
import type { PackedPeers, PeerGroup, PeerRecord, PeerType } from './types.js';

export type { PackedPeers, PeerGroup } from './types.js';

/** What each value of a packed row holds: every record field in declaration order, then the lookup username. */
export const PACKED_FIELDS: readonly (keyof PeerRecord | 'username')[] = [
  'id',
  'type',
  'accessHash',
  'min',
  'usernames',
  'firstName',
  'lastName',
  'title',
  'phone',
  'langCode',
  'langCodeSeenAt',
  'premium',
  'verified',
  'deleted',
  'photoId',
  'firstSeen',
  'lastSeen',
  'lastUpdated',
  'username',
];

/** Values per packed row. */
export const PACKED_WIDTH: number = PACKED_FIELDS.length;

export const isPacked = (group: PeerGroup): group is PackedPeers => !Array.isArray(group);

const flagOf = (value: boolean | null): number | null => (value === null ? null : value ? 1 : 0);

/** Appends `record` as a packed row to `out`. */
export function packRecord(r: PeerRecord, out: unknown[]): void {
  const names = r.usernames;
  out.push(
    r.id,
    r.type,
    r.accessHash,
    r.min ? 1 : 0,
    names.join(' '),
    r.firstName,
    r.lastName,
    r.title,
    r.phone,
    r.langCode,
    r.langCodeSeenAt,
    flagOf(r.premium),
    flagOf(r.verified),
    r.deleted ? 1 : 0,
    r.photoId,
    r.firstSeen,
    r.lastSeen,
    r.lastUpdated,
    names.length > 0 ? (names[0] as string).toLowerCase() : null,
  );
}

const int64Of = (value: unknown): bigint | null =>
  value === null ? null : typeof value === 'bigint' ? value : BigInt(value as string | number);

/**
 * A 32-bit hash of a (lower-cased) username, never 0: FNV-1a over its UTF-16 code units, then murmur3's finish
 * (one to one), which spreads the low bits. The SQLite bulk load keeps these to find the names several records claim
 * (sqlite/repeated-names.ts); pm's export reader computes them on its own thread, beside the rows.
 */
export function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h === 0 ? 1 : h;
}
const flagFrom = (value: unknown): boolean | null => (value === null ? null : value === 1);

/** The records of packed rows, as the reader would have handed them out. */
export function unpack(group: PackedPeers): PeerRecord[] {
  const v = group.values;
  const records: PeerRecord[] = new Array(group.count);
  for (let i = 0, at = 0; i < group.count; i++, at += PACKED_WIDTH) {
    const names = v[at + 4] as string;
    records[i] = {
      id: int64Of(v[at]) as bigint,
      type: v[at + 1] as PeerType,
      accessHash: int64Of(v[at + 2]),
      min: v[at + 3] === 1,
      usernames: names === '' ? [] : names.split(' '),
      firstName: v[at + 5] as string | null,
      lastName: v[at + 6] as string | null,
      title: v[at + 7] as string | null,
      phone: v[at + 8] as string | null,
      langCode: v[at + 9] as string | null,
      langCodeSeenAt: v[at + 10] as number | null,
      premium: flagFrom(v[at + 11]),
      verified: flagFrom(v[at + 12]),
      deleted: v[at + 13] === 1,
      photoId: int64Of(v[at + 14]),
      firstSeen: v[at + 15] as number,
      lastSeen: v[at + 16] as number,
      lastUpdated: v[at + 17] as number,
    };
  }
  return records;
}

/** The records of a group, packed or not. */
export const recordsOf = (group: PeerGroup): readonly PeerRecord[] =>
  isPacked(group) ? unpack(group) : group;
