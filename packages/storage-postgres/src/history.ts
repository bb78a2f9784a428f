import type { HistoryEntry, HistoryField, HistoryRepository } from '@pm/core';
import type { Access } from './access.js';
import { insertHistory } from './write-context.js';

interface HistoryRow {
  peer_id: bigint;
  field: string;
  before: unknown;
  after: unknown;
  at: bigint;
}

/**
 * Append-only history. Inside a transaction the rows are collected and written at its end, reconciled with the
 * actual change of each peer row the transaction wrote (write-context.ts); outside one they are appended as is.
 */
export class PostgresHistoryRepository implements HistoryRepository {
  readonly #table: string;
  readonly #list: string;
  readonly #delete: string;

  constructor(
    private readonly access: Access,
    private readonly inTx: boolean,
  ) {
    this.#table = access.driver.table('history');
    this.#list = `SELECT peer_id, field, before, after, at FROM ${this.#table} WHERE peer_id = $1 ORDER BY seq`;
    this.#delete = `DELETE FROM ${this.#table} WHERE peer_id = ANY($1::bigint[])`;
  }

  async append(entries: readonly HistoryEntry[]): Promise<void> {
    this.access.driver.assertOpen();
    if (entries.length === 0) return;
    if (this.inTx) {
      await this.access.atomic(async (scope) => {
        scope.ctx.appended.push(...entries);
      });
    } else {
      await insertHistory(this.access.write, this.#table, entries);
    }
  }

  async list(peerId: bigint): Promise<HistoryEntry[]> {
    const { rows } = await this.access.read.query<HistoryRow>(this.#list, [peerId]);
    return rows.map(
      (r) =>
        ({
          peerId: r.peer_id,
          field: r.field as HistoryField,
          before: r.before,
          after: r.after,
          at: Number(r.at),
        }) as HistoryEntry,
    );
  }

  async deleteForPeers(peerIds: readonly bigint[]): Promise<void> {
    this.access.driver.assertOpen();
    if (peerIds.length === 0) return;
    await this.access.atomic(async (scope) => {
      const ids = new Set(peerIds);
      const kept = scope.ctx.appended.filter((r) => !ids.has(r.peerId));
      scope.ctx.appended.length = 0;
      scope.ctx.appended.push(...kept);
      await scope.sql.query(this.#delete, [peerIds]);
    });
  }
}
