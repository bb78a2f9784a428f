import type { UsernameEntry, UsernameRepository } from '../types.js';
import { CHUNK, inList, lookupGroups, runChunked, valuesList } from './chunks.js';
import type { SqliteDriver } from './driver.js';

const FEW = 8;
const UPSERT = (rows: number) =>
  `INSERT INTO usernames (username_lower, peer_id, username, position) VALUES ${valuesList(rows, 4)} ` +
  'ON CONFLICT (username_lower) DO UPDATE SET peer_id = excluded.peer_id, username = excluded.username, ' +
  'position = excluded.position';

interface UsernameRow {
  lower: string;
  peerId: bigint;
  username: string;
  position: number;
}

const rowParams = (r: UsernameRow): unknown[] => [r.lower, r.peerId, r.username, r.position];

export class SqliteUsernameRepository implements UsernameRepository {
  readonly #driver: SqliteDriver;
  readonly #inTx: boolean;
  readonly #resolve;
  readonly #resolveChunk;
  readonly #deletePeer;
  readonly #insert;
  readonly #insertChunk;

  constructor(driver: SqliteDriver, inTx: boolean) {
    this.#driver = driver;
    this.#inTx = inTx;
    const db = driver.db;
    this.#resolve = db.prepare<[string], { peer_id: bigint }>(
      'SELECT peer_id FROM usernames WHERE username_lower = ?',
    );
    this.#deletePeer = db.prepare<[bigint]>('DELETE FROM usernames WHERE peer_id = ?');
    this.#resolveChunk = db.prepare<string[], { username_lower: string; peer_id: bigint }>(
      `SELECT username_lower, peer_id FROM usernames WHERE username_lower IN (${inList(CHUNK)})`,
    );
    this.#insert = db.prepare<unknown[]>(UPSERT(1));
    this.#insertChunk = db.prepare<unknown[]>(UPSERT(CHUNK));
  }

  async resolveMany(lowerNames: readonly string[]): Promise<Map<string, bigint>> {
    this.#driver.assertOpen();
    const found = new Map<string, bigint>();
    if (lowerNames.length < FEW) {
      for (const name of lowerNames) {
        const row = this.#resolve.get(name);
        if (row !== undefined) found.set(name, row.peer_id);
      }
    } else {
      for (const group of lookupGroups(lowerNames)) {
        for (const row of this.#resolveChunk.all(...group)) found.set(row.username_lower, row.peer_id);
      }
    }
    return found;
  }

  replaceForPeers(entries: readonly UsernameEntry[]): Promise<void> {
    return this.#driver.write(this.#inTx, () => {
      for (const { peerId, isNew } of entries) if (!isNew) this.#deletePeer.run(peerId);
      const rows: UsernameRow[] = [];
      for (const { peerId, usernames } of entries) {
        usernames.forEach((username, position) => {
          rows.push({ lower: username.toLowerCase(), peerId, username, position });
        });
      }
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
      for (const peerId of peerIds) this.#deletePeer.run(peerId);
    });
  }
}
