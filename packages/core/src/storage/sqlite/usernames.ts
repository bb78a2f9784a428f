import type { PeerRecord, UsernameEntry, UsernameRepository } from '../types.js';
import { CHUNK, inList, lookupGroups, runChunked, valuesList } from './chunks.js';
import type { SqliteDriver } from './driver.js';
import { PEER_ROW, peerRows } from './peers.js';
import type { PeerRowSink } from './row-function.js';

/**
 * The username index over two places (see migrations.ts): a peer's first username is the indexed `peers.username`
 * column, written with the record by the peer repository; the `usernames` side table holds the other names, and
 * every name of an entry written without its record (`withRecord` unset). The side table answers first.
 */
const FEW = 8;
const UPSERT = (rows: number) =>
  `INSERT INTO usernames (username_lower, peer_id) VALUES ${valuesList(rows, 2)} ` +
  'ON CONFLICT (username_lower) DO UPDATE SET peer_id = excluded.peer_id';

interface UsernameRow {
  lower: string;
  peerId: bigint;
}

const rowParams = (r: UsernameRow): unknown[] => [r.lower, r.peerId];

export class SqliteUsernameRepository implements UsernameRepository {
  readonly #driver: SqliteDriver;
  readonly #inTx: boolean;
  readonly #rows: PeerRowSink;
  readonly #side;
  readonly #column;
  readonly #sideChunk;
  readonly #columnChunk;
  readonly #deletePeer;
  readonly #clearColumn;
  readonly #insert;
  readonly #insertChunk;

  constructor(driver: SqliteDriver, inTx: boolean) {
    this.#driver = driver;
    this.#inTx = inTx;
    const db = driver.db;
    // Should both places name an owner (a record rejected as older than the stored one keeps its first name), the
    // side table wins, then the record changed last.
    // Plucked: the owner's id alone, with no object built around it (better-sqlite3 sets a row's keys one by one).
    this.#side = db
      .prepare<[string], bigint>('SELECT peer_id FROM usernames WHERE username_lower = ?')
      .pluck();
    // The owner's whole row: the lookup by id that follows (PeerCache.getByUsername) takes it from the driver
    // instead of walking the id index and the table again. Every row holding the name, the latest picked here: an
    // ORDER BY in SQL sorts through a temporary B-tree, a few µs per lookup, for what is nearly always one row. The
    // rows are handed to the function inside an aggregate, so the statement returns one row (`get`) rather than an
    // array of one NULL per row built by `all`.
    this.#rows = peerRows(driver);
    this.#column = db
      .prepare<[string], number>(`SELECT count(${PEER_ROW}) FROM peers WHERE username = ?`)
      .pluck();
    const list = inList(CHUNK);
    this.#sideChunk = db.prepare<string[], { name: string; peer_id: bigint }>(
      `SELECT username_lower AS name, peer_id FROM usernames WHERE username_lower IN (${list})`,
    );
    this.#columnChunk = db.prepare<string[], { name: string; id: bigint; at: number }>(
      `SELECT username AS name, id, CAST(last_updated AS REAL) AS at FROM peers WHERE username IN (${list})`,
    );
    this.#deletePeer = db.prepare<[bigint]>('DELETE FROM usernames WHERE peer_id = ?');
    this.#clearColumn = db.prepare<[bigint]>(
      'UPDATE peers SET username = NULL WHERE id = ? AND username IS NOT NULL',
    );
    this.#insert = db.prepare<unknown[]>(UPSERT(1));
    this.#insertChunk = db.prepare<unknown[]>(UPSERT(CHUNK));
  }

  async resolveMany(lowerNames: readonly string[]): Promise<Map<string, bigint>> {
    this.#driver.read();
    const found = new Map<string, bigint>();
    if (lowerNames.length < FEW) {
      for (const name of lowerNames) {
        const owner = this.#resolveOne(name);
        if (owner !== undefined) found.set(name, owner);
      }
    } else {
      const latest = new Map<string, number>();
      for (const group of lookupGroups(lowerNames)) {
        for (const row of this.#columnChunk.all(...group)) {
          if ((latest.get(row.name) ?? -1) >= row.at) continue;
          latest.set(row.name, row.at);
          found.set(row.name, row.id);
        }
        for (const row of this.#sideChunk.all(...group)) found.set(row.name, row.peer_id);
      }
    }
    return found;
  }

  resolveNow(lowerName: string): bigint | undefined {
    this.#driver.read();
    return this.#resolveOne(lowerName);
  }

  #resolveOne(name: string): bigint | undefined {
    const side = this.#side.get(name);
    if (side !== undefined) return side;
    let latest: PeerRecord | undefined;
    this.#rows.reset();
    this.#column.get(name);
    for (const record of this.#rows.take()) {
      if (latest === undefined || record.lastUpdated > latest.lastUpdated) latest = record;
    }
    if (latest === undefined) return undefined;
    this.#driver.keep(latest.id, latest);
    return latest.id;
  }

  replaceForPeers(entries: readonly UsernameEntry[]): Promise<void> {
    return this.#driver.write(this.#inTx, () => {
      for (const { peerId, isNew, withRecord } of entries) {
        if (!isNew) this.#deletePeer.run(peerId);
        if (!withRecord) this.#clearColumn.run(peerId);
      }
      const rows: UsernameRow[] = [];
      for (const { peerId, usernames, withRecord } of entries) {
        for (let i = withRecord ? 1 : 0; i < usernames.length; i++) {
          rows.push({ lower: (usernames[i] as string).toLowerCase(), peerId });
        }
      }
      if (rows.length === 0) return;
      rows.sort((a, b) => (a.lower < b.lower ? -1 : a.lower > b.lower ? 1 : 0));
      runChunked(
        rows,
        rowParams,
        (flat) => this.#insertChunk.run(flat),
        (row) => this.#insert.run(rowParams(row)),
      );
    });
  }

  deleteForPeers(peerIds: readonly bigint[]): Promise<void> {
    return this.#driver.write(this.#inTx, () => {
      for (const peerId of peerIds) {
        this.#deletePeer.run(peerId);
        this.#clearColumn.run(peerId);
      }
    });
  }
}
