import { PEER_COLUMNS, peerRowCodec } from '../schema/peer-codec.js';
import type { PeerRecord, PeerRepository } from '../types.js';
import { CHUNK, inList, lookupGroups, runChunked, valuesList } from './chunks.js';
import type { SqliteDriver } from './driver.js';
import { PEER_ROW_FUNCTION, type PeerRowSink, peerRowSink } from './row-function.js';

/** A row of {@link PEER_SELECT} read with `raw()`: its values in `PEER_COLUMNS` order. */
export type PeerRow = unknown[];

/**
 * The record's columns and their conversions come from the table description (schema/peer-codec.ts); `username`, a
 * peer's first username lower-cased, is SQLite's own column (see migrations.ts).
 */
const CODEC = peerRowCodec('sqlite', [
  { column: 'username', value: (r) => r.usernames[0]?.toLowerCase() ?? null },
]);
const COLUMNS = PEER_COLUMNS.map((c) => c.column).join(', ');
/** What upserts write: the record's columns and `username`. */
const WRITTEN = CODEC.columns.join(', ');
const COLUMN_COUNT = WRITTEN.split(', ').length;
/**
 * What SELECTs read: the statements use safeIntegers, so every INTEGER would come back as a bigint; small ones
 * (flags, ms timestamps, exact below 2^53) are read as REAL instead, sparing a BigInt allocation each.
 */
const NUMBER_COLUMNS = new Set(
  PEER_COLUMNS.filter((c) => c.type === 'flag' || c.type === 'time').map((c) => c.column),
);
const SELECTED = COLUMNS.split(', ')
  .map((c) => (NUMBER_COLUMNS.has(c) ? `CAST(${c} AS REAL) AS ${c}` : c))
  .join(', ');
/** The columns every read of whole records selects as a row. */
export const PEER_SELECT: string = SELECTED;
/**
 * The same values handed to `pm_peer_row` (row-function.ts), which builds the record: what the reads of single
 * records and of unordered sets select (plucked), sparing better-sqlite3's row array.
 */
export const PEER_ROW = `${PEER_ROW_FUNCTION}(${COLUMNS.split(', ')
  .map((c) => (NUMBER_COLUMNS.has(c) ? `CAST(${c} AS REAL)` : c))
  .join(', ')})`;
/** The sink of `pm_peer_row` on a connection, registering it on first use. */
export const peerRows = (driver: SqliteDriver): PeerRowSink =>
  peerRowSink(driver.db, PEER_COLUMNS.length, CODEC.recordOfArgs);
/** Below this many keys, single-row lookups beat a padded IN list. */
const FEW = 8;
const UPDATES = WRITTEN.split(', ')
  .slice(1)
  .map((c) => `${c} = excluded.${c}`)
  .join(', ');

/**
 * Rows are read as arrays (`raw()`): better-sqlite3 builds an object with a key per column otherwise, a third of a
 * cold lookup's time at a million peers, only for the codec to read it once.
 */
export const fromRow = (row: PeerRow): PeerRecord => CODEC.recordOf(row);
const toParams = (record: PeerRecord): unknown[] => CODEC.values(record);

export class SqlitePeerRepository implements PeerRepository {
  readonly #driver: SqliteDriver;
  readonly #inTx: boolean;
  readonly #rows: PeerRowSink;
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
    this.#rows = peerRows(driver);
    this.#get = db.prepare<[bigint], null>(`SELECT ${PEER_ROW} FROM peers WHERE id = ?`).pluck();
    this.#byPhone = db.prepare<[string], { id: bigint }>(
      'SELECT id FROM peers WHERE phone = ? ORDER BY last_updated DESC LIMIT 1',
    );
    this.#getChunk = db
      .prepare<bigint[], null>(`SELECT ${PEER_ROW} FROM peers WHERE id IN (${inList(CHUNK)})`)
      .pluck();
    const upsert = (rows: number) =>
      `INSERT INTO peers (${WRITTEN}) VALUES ${valuesList(rows, COLUMN_COUNT)} ON CONFLICT (id) DO UPDATE SET ${UPDATES} ` +
      // A record seen before the stored one's last sighting changes nothing (see PeerRepository.upsertMany).
      'WHERE excluded.min <> peers.min OR (excluded.last_seen >= peers.last_seen AND excluded.last_updated >= peers.last_updated)';
    this.#upsert = db.prepare<unknown[]>(upsert(1));
    this.#upsertChunk = db.prepare<unknown[]>(upsert(CHUNK));
    this.#delete = db.prepare<[bigint]>('DELETE FROM peers WHERE id = ?');
    this.#count = db.prepare<[], { n: bigint }>('SELECT count(*) AS n FROM peers');
    this.#first = db.prepare<[number], PeerRow>(`SELECT ${SELECTED} FROM peers ORDER BY id LIMIT ?`).raw();
    this.#after = db
      .prepare<[bigint, number], PeerRow>(`SELECT ${SELECTED} FROM peers WHERE id > ? ORDER BY id LIMIT ?`)
      .raw();
  }

  async get(id: bigint): Promise<PeerRecord | undefined> {
    return this.getNow(id);
  }

  getNow(id: bigint): PeerRecord | undefined {
    this.#driver.read();
    return this.#one(id);
  }

  /** One record: the one a username lookup just read in this read transaction (driver.keep), else its row. */
  #one(id: bigint): PeerRecord | undefined {
    const kept = this.#driver.take(id) as PeerRecord | undefined;
    if (kept !== undefined) return kept;
    this.#rows.reset();
    this.#get.get(id);
    return this.#rows.takeOne();
  }

  async getMany(ids: readonly bigint[]): Promise<Map<bigint, PeerRecord>> {
    this.#driver.read();
    const found = new Map<bigint, PeerRecord>();
    if (ids.length < FEW) {
      for (const id of ids) {
        const record = this.#one(id);
        if (record !== undefined) found.set(id, record);
      }
    } else {
      for (const group of lookupGroups(ids)) {
        this.#rows.reset();
        this.#getChunk.all(...group);
        for (const record of this.#rows.take()) found.set(record.id, record);
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

/** How a record is written and read back, for the bulk load (bulk-load.ts). */
export const PEER_ROWS: {
  readonly codec: typeof CODEC;
  readonly written: string;
  readonly selected: string;
} = { codec: CODEC, written: WRITTEN, selected: SELECTED };
