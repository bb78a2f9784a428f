import type { KeyValueRepository } from '../types.js';
import type { SqliteDriver } from './driver.js';

export class SqliteKeyValueRepository implements KeyValueRepository {
  readonly #driver: SqliteDriver;
  readonly #inTx: boolean;
  readonly #get;
  readonly #set;
  readonly #delete;
  readonly #from;

  constructor(driver: SqliteDriver, inTx: boolean) {
    this.#driver = driver;
    this.#inTx = inTx;
    const db = driver.db;
    this.#get = db.prepare<[string], { value: string }>('SELECT value FROM kv WHERE key = ?');
    this.#set = db.prepare<[string, string]>(
      'INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    this.#delete = db.prepare<[string]>('DELETE FROM kv WHERE key = ?');
    this.#from = db.prepare<[string], { key: string; value: string }>(
      'SELECT key, value FROM kv WHERE key >= ? ORDER BY key',
    );
  }

  async get(key: string): Promise<string | undefined> {
    this.#driver.assertOpen();
    return this.#get.get(key)?.value;
  }

  set(key: string, value: string): Promise<void> {
    return this.#driver.write(this.#inTx, () => {
      this.#set.run(key, value);
    });
  }

  delete(key: string): Promise<void> {
    return this.#driver.write(this.#inTx, () => {
      this.#delete.run(key);
    });
  }

  async list(prefix: string): Promise<[string, string][]> {
    this.#driver.assertOpen();
    const entries: [string, string][] = [];
    // Keys sharing the prefix are contiguous in key order, starting at the prefix itself.
    for (const row of this.#from.iterate(prefix)) {
      if (!row.key.startsWith(prefix)) break;
      entries.push([row.key, row.value]);
    }
    return entries;
  }
}
