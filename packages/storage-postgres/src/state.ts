import type { KeyValueRepository } from '@pm/core';
import type { Access } from './access.js';

/** Key-value state; keys sort bytewise (COLLATE "C"), as in SQLite. */
export class PostgresKeyValueRepository implements KeyValueRepository {
  readonly #sql: { get: string; set: string; delete: string; list: string };

  constructor(private readonly access: Access) {
    const kv = access.driver.table('kv');
    this.#sql = {
      get: `SELECT value FROM ${kv} WHERE key = $1`,
      set: `INSERT INTO ${kv} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      delete: `DELETE FROM ${kv} WHERE key = $1`,
      list: `SELECT key, value FROM ${kv} WHERE starts_with(key, $1) ORDER BY key`,
    };
  }

  async get(key: string): Promise<string | undefined> {
    const { rows } = await this.access.read.query<{ value: string }>(this.#sql.get, [key]);
    return rows[0]?.value;
  }

  async set(key: string, value: string): Promise<void> {
    await this.access.write.query(this.#sql.set, [key, value]);
  }

  async delete(key: string): Promise<void> {
    await this.access.write.query(this.#sql.delete, [key]);
  }

  async list(prefix: string): Promise<[string, string][]> {
    const { rows } = await this.access.read.query<{ key: string; value: string }>(this.#sql.list, [prefix]);
    return rows.map((r) => [r.key, r.value]);
  }
}
