import type { PeerRecord, PeerRepository } from '@pm/core';
import type { Access } from './access.js';
import { type PeerRow, peerColumns, recordOf } from './peer-rows.js';
import { deletePeers, type PeerStatements, upsertPeers } from './peer-writes.js';

/** Peer rows. Writes merge by the rules in peer-writes.ts; reads are plain. */
export class PostgresPeerRepository implements PeerRepository {
  readonly #sql: {
    get: string;
    getMany: string;
    phones: string;
    count: string;
    first: string;
    after: string;
  };

  constructor(
    private readonly access: Access,
    private readonly statements: PeerStatements,
  ) {
    const peers = access.driver.table('peers');
    const cols = peerColumns();
    this.#sql = {
      get: `SELECT ${cols} FROM ${peers} WHERE id = $1`,
      getMany: `SELECT ${cols} FROM ${peers} WHERE id = ANY($1::bigint[])`,
      phones: `SELECT phone, id FROM ${peers} WHERE phone = ANY($1::text[])`,
      count: `SELECT count(*) AS n FROM ${peers}`,
      first: `SELECT ${cols} FROM ${peers} ORDER BY id LIMIT $1`,
      after: `SELECT ${cols} FROM ${peers} WHERE id > $2 ORDER BY id LIMIT $1`,
    };
  }

  async get(id: bigint): Promise<PeerRecord | undefined> {
    const { rows } = await this.access.read.query<PeerRow>(this.#sql.get, [id]);
    return rows[0] ? recordOf(rows[0]) : undefined;
  }

  async getMany(ids: readonly bigint[]): Promise<Map<bigint, PeerRecord>> {
    const found = new Map<bigint, PeerRecord>();
    if (ids.length === 0) return found;
    const { rows } = await this.access.read.query<PeerRow>(this.#sql.getMany, [ids]);
    for (const row of rows) found.set(row.id, recordOf(row));
    return found;
  }

  async findByPhones(phones: readonly string[]): Promise<Map<string, bigint>> {
    const found = new Map<string, bigint>();
    if (phones.length === 0) return found;
    const { rows } = await this.access.read.query<{ phone: string; id: bigint }>(this.#sql.phones, [phones]);
    for (const row of rows) found.set(row.phone, row.id);
    return found;
  }

  upsertMany(records: readonly PeerRecord[]): Promise<void> {
    if (records.length === 0) return this.#touch();
    return this.access.atomic((scope) => upsertPeers(scope, this.statements, records));
  }

  deleteMany(ids: readonly bigint[]): Promise<void> {
    if (ids.length === 0) return this.#touch();
    return this.access.atomic((scope) => deletePeers(scope, this.statements, ids));
  }

  async count(): Promise<number> {
    const { rows } = await this.access.read.query<{ n: bigint }>(this.#sql.count);
    return Number(rows[0]?.n ?? 0n);
  }

  async page(after: bigint | null, limit: number): Promise<PeerRecord[]> {
    const { rows } =
      after === null
        ? await this.access.read.query<PeerRow>(this.#sql.first, [limit])
        : await this.access.read.query<PeerRow>(this.#sql.after, [limit, after]);
    return rows.map(recordOf);
  }

  /** An empty write still fails after close, like any other. */
  async #touch(): Promise<void> {
    this.access.driver.assertOpen();
  }
}
