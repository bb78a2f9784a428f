import type { DialogRepository, DialogStartVia, DialogState } from '@pm/core';
import type { Access } from './access.js';

interface DialogRow {
  user_id: bigint;
  started_at: bigint | null;
  via: string | null;
  payload: string | null;
  blocked: boolean;
  blocked_since: bigint | null;
  last_message_at: bigint | null;
  start_message_id: bigint | null;
}

const COLUMNS =
  'user_id, started_at, via, payload, blocked, blocked_since, last_message_at, start_message_id';
const time = (v: bigint | null): number | null => (v === null ? null : Number(v));

function fromRow(r: DialogRow): DialogState {
  return {
    userId: r.user_id,
    startedAt: time(r.started_at),
    via: r.via as DialogStartVia | null,
    payload: r.payload,
    startMessageId: time(r.start_message_id),
    blocked: r.blocked,
    blockedSince: time(r.blocked_since),
    lastMessageAt: time(r.last_message_at),
  };
}

export class PostgresDialogRepository implements DialogRepository {
  readonly #sql: Record<'get' | 'upsert' | 'delete' | 'first' | 'after' | 'count' | 'countBlocked', string>;

  constructor(private readonly access: Access) {
    const t = access.driver.table('dialogs');
    this.#sql = {
      get: `SELECT ${COLUMNS} FROM ${t} WHERE user_id = $1`,
      upsert: `INSERT INTO ${t} (${COLUMNS})
        SELECT DISTINCT ON (user_id) ${COLUMNS}
        FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::boolean[], $6::bigint[], $7::bigint[],
          $8::bigint[])
          WITH ORDINALITY AS d(${COLUMNS}, n)
        ORDER BY user_id, n DESC
        ON CONFLICT (user_id) DO UPDATE SET started_at = excluded.started_at, via = excluded.via,
          payload = excluded.payload, blocked = excluded.blocked, blocked_since = excluded.blocked_since,
          last_message_at = excluded.last_message_at, start_message_id = excluded.start_message_id`,
      delete: `DELETE FROM ${t} WHERE user_id = ANY($1::bigint[])`,
      first: `SELECT ${COLUMNS} FROM ${t} ORDER BY user_id LIMIT $1`,
      after: `SELECT ${COLUMNS} FROM ${t} WHERE user_id > $2 ORDER BY user_id LIMIT $1`,
      count: `SELECT count(*) AS n FROM ${t}`,
      countBlocked: `SELECT count(*) AS n FROM ${t} WHERE blocked = $1`,
    };
  }

  async get(userId: bigint): Promise<DialogState | undefined> {
    const { rows } = await this.access.read.query<DialogRow>(this.#sql.get, [userId]);
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  async upsertMany(states: readonly DialogState[]): Promise<void> {
    this.access.driver.assertOpen();
    if (states.length === 0) return;
    await this.access.write.query(this.#sql.upsert, [
      states.map((s) => s.userId),
      states.map((s) => s.startedAt),
      states.map((s) => s.via),
      states.map((s) => s.payload),
      states.map((s) => s.blocked),
      states.map((s) => s.blockedSince),
      states.map((s) => s.lastMessageAt),
      states.map((s) => s.startMessageId ?? null),
    ]);
  }

  async deleteMany(userIds: readonly bigint[]): Promise<void> {
    this.access.driver.assertOpen();
    if (userIds.length === 0) return;
    await this.access.write.query(this.#sql.delete, [userIds]);
  }

  async page(after: bigint | null, limit: number): Promise<DialogState[]> {
    const { rows } =
      after === null
        ? await this.access.read.query<DialogRow>(this.#sql.first, [limit])
        : await this.access.read.query<DialogRow>(this.#sql.after, [limit, after]);
    return rows.map(fromRow);
  }

  async count(filter: { blocked?: boolean } = {}): Promise<number> {
    const { rows } =
      filter.blocked === undefined
        ? await this.access.read.query<{ n: bigint }>(this.#sql.count)
        : await this.access.read.query<{ n: bigint }>(this.#sql.countBlocked, [filter.blocked]);
    return Number(rows[0]?.n ?? 0n);
  }
}
