import type { DialogRepository, DialogStartVia, DialogState } from '../types.js';
import { toTime } from './codec.js';
import type { SqliteDriver } from './driver.js';

interface DialogRow {
  user_id: bigint;
  started_at: bigint | null;
  via: string | null;
  payload: string | null;
  blocked: bigint;
  blocked_since: bigint | null;
  last_message_at: bigint | null;
  start_message_id: bigint | null;
}

const COLUMNS =
  'user_id, started_at, via, payload, blocked, blocked_since, last_message_at, start_message_id';

function fromRow(r: DialogRow): DialogState {
  return {
    userId: r.user_id,
    startedAt: toTime(r.started_at),
    via: r.via as DialogStartVia | null,
    payload: r.payload,
    startMessageId: r.start_message_id === null ? null : Number(r.start_message_id),
    blocked: r.blocked !== 0n,
    blockedSince: toTime(r.blocked_since),
    lastMessageAt: toTime(r.last_message_at),
  };
}

export class SqliteDialogRepository implements DialogRepository {
  readonly #driver: SqliteDriver;
  readonly #inTx: boolean;
  readonly #get;
  readonly #upsert;
  readonly #delete;
  readonly #first;
  readonly #after;
  readonly #count;
  readonly #countBlocked;

  constructor(driver: SqliteDriver, inTx: boolean) {
    this.#driver = driver;
    this.#inTx = inTx;
    const db = driver.db;
    this.#get = db.prepare<[bigint], DialogRow>(`SELECT ${COLUMNS} FROM dialogs WHERE user_id = ?`);
    this.#upsert = db.prepare<unknown[]>(
      `INSERT INTO dialogs (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET ` +
        'started_at = excluded.started_at, via = excluded.via, payload = excluded.payload, ' +
        'blocked = excluded.blocked, blocked_since = excluded.blocked_since, last_message_at = excluded.last_message_at, ' +
        'start_message_id = excluded.start_message_id',
    );
    this.#delete = db.prepare<[bigint]>('DELETE FROM dialogs WHERE user_id = ?');
    this.#first = db.prepare<[number], DialogRow>(`SELECT ${COLUMNS} FROM dialogs ORDER BY user_id LIMIT ?`);
    this.#after = db.prepare<[bigint, number], DialogRow>(
      `SELECT ${COLUMNS} FROM dialogs WHERE user_id > ? ORDER BY user_id LIMIT ?`,
    );
    this.#count = db.prepare<[], { n: bigint }>('SELECT count(*) AS n FROM dialogs');
    this.#countBlocked = db.prepare<[number], { n: bigint }>(
      'SELECT count(*) AS n FROM dialogs WHERE blocked = ?',
    );
  }

  async get(userId: bigint): Promise<DialogState | undefined> {
    this.#driver.assertOpen();
    const row = this.#get.get(userId);
    return row === undefined ? undefined : fromRow(row);
  }

  upsertMany(states: readonly DialogState[]): Promise<void> {
    return this.#driver.write(this.#inTx, () => {
      for (const s of states) {
        this.#upsert.run(
          s.userId,
          s.startedAt,
          s.via,
          s.payload,
          s.blocked ? 1 : 0,
          s.blockedSince,
          s.lastMessageAt,
          s.startMessageId ?? null,
        );
      }
    });
  }

  deleteMany(userIds: readonly bigint[]): Promise<void> {
    return this.#driver.write(this.#inTx, () => {
      for (const userId of userIds) this.#delete.run(userId);
    });
  }

  async page(after: bigint | null, limit: number): Promise<DialogState[]> {
    this.#driver.assertOpen();
    return (after === null ? this.#first.all(limit) : this.#after.all(after, limit)).map(fromRow);
  }

  async count(filter: { blocked?: boolean } = {}): Promise<number> {
    this.#driver.assertOpen();
    const row =
      filter.blocked === undefined ? this.#count.get() : this.#countBlocked.get(filter.blocked ? 1 : 0);
    return Number(row?.n ?? 0n);
  }
}
