import type { HistoryEntry, HistoryField, HistoryRepository } from '../types.js';
import type { SqliteDriver } from './driver.js';

interface HistoryRow {
  peer_id: bigint;
  field: string;
  before: string | null;
  after: string | null;
  at: bigint;
}

/** Values are JSON, null is NULL: as in PostgreSQL's jsonb columns (storage/schema/tables.ts). */
function encode(value: string | readonly string[] | null): string | null {
  return value === null ? null : JSON.stringify(value);
}

function decode(value: string | null): string | string[] | null {
  return value === null ? null : (JSON.parse(value) as string | string[]);
}

export class SqliteHistoryRepository implements HistoryRepository {
  readonly #driver: SqliteDriver;
  readonly #inTx: boolean;
  readonly #insert;
  readonly #list;
  readonly #deletePeer;

  constructor(driver: SqliteDriver, inTx: boolean) {
    this.#driver = driver;
    this.#inTx = inTx;
    const db = driver.db;
    this.#insert = db.prepare<[bigint, string, string | null, string | null, number]>(
      'INSERT INTO history (peer_id, field, before, after, at) VALUES (?, ?, ?, ?, ?)',
    );
    this.#list = db.prepare<[bigint], HistoryRow>(
      'SELECT peer_id, field, before, after, at FROM history WHERE peer_id = ? ORDER BY seq',
    );
    this.#deletePeer = db.prepare<[bigint]>('DELETE FROM history WHERE peer_id = ?');
  }

  append(entries: readonly HistoryEntry[]): Promise<void> {
    return this.#driver.write(this.#inTx, () => {
      for (const e of entries) this.#insert.run(e.peerId, e.field, encode(e.before), encode(e.after), e.at);
    });
  }

  async list(peerId: bigint): Promise<HistoryEntry[]> {
    this.#driver.read();
    return this.#list.all(peerId).map((r) => {
      const field = r.field as HistoryField;
      return {
        peerId: r.peer_id,
        field,
        before: decode(r.before),
        after: decode(r.after),
        at: Number(r.at),
      } as HistoryEntry;
    });
  }

  deleteForPeers(peerIds: readonly bigint[]): Promise<void> {
    return this.#driver.write(this.#inTx, () => {
      for (const peerId of peerIds) this.#deletePeer.run(peerId);
    });
  }
}
