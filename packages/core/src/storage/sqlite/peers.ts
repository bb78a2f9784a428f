import type { PeerRecord, PeerRepository, PeerType } from '../types.js';
import { CHUNK, inList, lookupGroups, runChunked, valuesList } from './chunks.js';
import { joinUsernames, splitUsernames, toFlag } from './codec.js';
import type { SqliteDriver } from './driver.js';

interface PeerRow {
  id: bigint;
  type: string;
  access_hash: bigint | null;
  min: number;
  usernames: string;
  first_name: string | null;
  last_name: string | null;
  title: string | null;
  phone: string | null;
  lang_code: string | null;
  lang_code_seen_at: number | null;
  premium: number | null;
  verified: number | null;
  deleted: number;
  photo_id: bigint | null;
  first_seen: number;
  last_seen: number;
  last_updated: number;
}

const COLUMNS =
  'id, type, access_hash, min, usernames, first_name, last_name, title, phone, lang_code, lang_code_seen_at, ' +
  'premium, verified, deleted, photo_id, first_seen, last_seen, last_updated';
/**
 * What upserts write: the record's columns and `username`, its first username lower-cased, indexed in `peers` itself
 * (see migrations.ts); the usernames repository keeps only further names in its side table.
 */
const WRITTEN = `${COLUMNS}, username`;
const COLUMN_COUNT = WRITTEN.split(', ').length;
/**
 * What SELECTs read: the statements use safeIntegers, so every INTEGER would come back as a bigint; small ones
 * (flags, ms timestamps, exact below 2^53) are read as REAL instead, sparing a BigInt allocation each.
 */
const NUMBER_COLUMNS = new Set([
  'min',
  'lang_code_seen_at',
  'premium',
  'verified',
  'deleted',
  'first_seen',
  'last_seen',
  'last_updated',
]);
const SELECTED = COLUMNS.split(', ')
  .map((c) => (NUMBER_COLUMNS.has(c) ? `CAST(${c} AS REAL) AS ${c}` : c))
  .join(', ');
/** Below this many keys, single-row lookups beat a padded IN list. */
const FEW = 8;
const UPDATES = WRITTEN.split(', ')
  .slice(1)
  .map((c) => `${c} = excluded.${c}`)
  .join(', ');

function fromRow(r: PeerRow): PeerRecord {
  return {
    id: r.id,
    type: r.type as PeerType,
    accessHash: r.access_hash,
    min: r.min !== 0,
    usernames: splitUsernames(r.usernames),
    firstName: r.first_name,
    lastName: r.last_name,
    title: r.title,
    phone: r.phone,
    langCode: r.lang_code,
    langCodeSeenAt: r.lang_code_seen_at,
    premium: r.premium === null ? null : r.premium !== 0,
    verified: r.verified === null ? null : r.verified !== 0,
    deleted: r.deleted !== 0,
    photoId: r.photo_id,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    lastUpdated: r.last_updated,
  };
}

function toParams(r: PeerRecord): unknown[] {
  return [
    r.id,
    r.type,
    r.accessHash,
    r.min ? 1 : 0,
    joinUsernames(r.usernames),
    r.firstName,
    r.lastName,
    r.title,
    r.phone,
    r.langCode,
    r.langCodeSeenAt,
    toFlag(r.premium),
    toFlag(r.verified),
    r.deleted ? 1 : 0,
    r.photoId,
    r.firstSeen,
    r.lastSeen,
    r.lastUpdated,
    r.usernames[0]?.toLowerCase() ?? null,
  ];
}

export class SqlitePeerRepository implements PeerRepository {
  readonly #driver: SqliteDriver;
  readonly #inTx: boolean;
  readonly #get;
  readonly #getChunk;
  readonly #byPhone;
  readonly #upsert;
  readonly #upsertChunk;
  readonly #delete;
  readonly #count;
  readonly #first;
  readonly #after;

  constructor(driver: SqliteDriver, inTx: boolean) {
    this.#driver = driver;
    this.#inTx = inTx;
    const db = driver.db;
    this.#get = db.prepare<[bigint], PeerRow>(`SELECT ${SELECTED} FROM peers WHERE id = ?`);
    this.#byPhone = db.prepare<[string], { id: bigint }>(
      'SELECT id FROM peers WHERE phone = ? ORDER BY last_updated DESC LIMIT 1',
    );
    this.#getChunk = db.prepare<bigint[], PeerRow>(
      `SELECT ${SELECTED} FROM peers WHERE id IN (${inList(CHUNK)})`,
    );
    const upsert = (rows: number) =>
      `INSERT INTO peers (${WRITTEN}) VALUES ${valuesList(rows, COLUMN_COUNT)} ON CONFLICT (id) DO UPDATE SET ${UPDATES} ` +
      // A record seen before the stored one's last sighting changes nothing (see PeerRepository.upsertMany).
      'WHERE excluded.min <> peers.min OR (excluded.last_seen >= peers.last_seen AND excluded.last_updated >= peers.last_updated)';
    this.#upsert = db.prepare<unknown[]>(upsert(1));
    this.#upsertChunk = db.prepare<unknown[]>(upsert(CHUNK));
    this.#delete = db.prepare<[bigint]>('DELETE FROM peers WHERE id = ?');
    this.#count = db.prepare<[], { n: bigint }>('SELECT count(*) AS n FROM peers');
    this.#first = db.prepare<[number], PeerRow>(`SELECT ${SELECTED} FROM peers ORDER BY id LIMIT ?`);
    this.#after = db.prepare<[bigint, number], PeerRow>(
      `SELECT ${SELECTED} FROM peers WHERE id > ? ORDER BY id LIMIT ?`,
    );
  }

  async get(id: bigint): Promise<PeerRecord | undefined> {
    this.#driver.read();
    const row = this.#get.get(id);
    return row === undefined ? undefined : fromRow(row);
  }

  async getMany(ids: readonly bigint[]): Promise<Map<bigint, PeerRecord>> {
    this.#driver.read();
    const found = new Map<bigint, PeerRecord>();
    if (ids.length < FEW) {
      for (const id of ids) {
        const row = this.#get.get(id);
        if (row !== undefined) found.set(id, fromRow(row));
      }
    } else {
      for (const group of lookupGroups(ids)) {
        for (const row of this.#getChunk.all(...group)) found.set(row.id, fromRow(row));
      }
    }
    return found;
  }

  async findByPhones(phones: readonly string[]): Promise<Map<string, bigint>> {
    this.#driver.read();
    const found = new Map<string, bigint>();
    for (const phone of phones) {
      const row = this.#byPhone.get(phone);
      if (row !== undefined) found.set(phone, row.id);
    }
    return found;
  }

  upsertMany(records: readonly PeerRecord[]): Promise<void> {
    return this.#driver.write(this.#inTx, () => {
      runChunked(
        [...records].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
        toParams,
        (flat) => this.#upsertChunk.run(flat),
        (record) => this.#upsert.run(toParams(record)),
      );
    });
  }

  deleteMany(ids: readonly bigint[]): Promise<void> {
    return this.#driver.write(this.#inTx, () => {
      for (const id of ids) this.#delete.run(id);
    });
  }

  async count(): Promise<number> {
    this.#driver.read();
    return Number(this.#count.get()?.n ?? 0n);
  }

  async page(after: bigint | null, limit: number): Promise<PeerRecord[]> {
    this.#driver.read();
    const rows = after === null ? this.#first.all(limit) : this.#after.all(after, limit);
    return rows.map(fromRow);
  }
}
