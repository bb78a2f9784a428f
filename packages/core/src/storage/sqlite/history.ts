import type { HistoryEntry, HistoryField, HistoryRepository } from '../types.js';
import { joinUsernames, splitUsernames } from './codec.js';
import type { SqliteDriver } from './driver.js';

interface HistoryRow {
  peer_id: bigint;
  field: string;
  old_value: string | null;
  new_value: string | null;
  at: bigint;
}

function encode(value: string | readonly string[] | null): string | null {
  return Array.isArray(value) ? joinUsernames(value) : (value as string | null);
}

function decode(field: HistoryField, value: string | null): string | string[] | null {
  return field === 'usernames' ? splitUsernames(value) : value;
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
      'INSERT INTO peer_history (peer_id, field, old_value, new_value, at) VALUES (?, ?, ?, ?, ?)',
    );
    this.#list = db.prepare<[bigint], HistoryRow>(
      'SELECT peer_id, field, old_value, new_value, at FROM peer_history WHERE peer_id = ? ORDER BY seq',
    );
    this.#deletePeer = db.prepare<[bigint]>('DELETE FROM peer_history WHERE peer_id = ?');
  }

  append(entries: readonly HistoryEntry[]): Promise<void> {
    return this.#driver.write(this.#inTx, () => {
      for (const e of entries) this.#insert.run(e.peerId, e.field, encode(e.before), encode(e.after), e.at);
    });
  }

  async list(peerId: bigint): Promise<HistoryEntry[]> {
    this.#driver.assertOpen();
    return this.#list.all(peerId).map((r) => {
      const field = r.field as HistoryField;
      return {
        peerId: r.peer_id,
        field,
        before: decode(field, r.old_value),
        after: decode(field, r.new_value),
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
