/**
 * The SQLite provider (better-sqlite3): one file, WAL, prepared statements, one transaction per write batch.
 * One process at a time should write a given file; for several bot processes sharing a store use PostgreSQL.
 */
import type { StorageProvider, StorageRepositories } from '../types.js';
import { SqliteBroadcastRepository } from './broadcasts.js';
import { SqliteDialogRepository } from './dialogs.js';
import { SqliteDriver, type SqliteStorageOptions } from './driver.js';
import { SqliteHistoryRepository } from './history.js';
import { SqlitePeerRepository } from './peers.js';
import { SqliteKeyValueRepository } from './state.js';
import { SqliteUsernameRepository } from './usernames.js';

function repositories(driver: SqliteDriver, inTx: boolean): StorageRepositories {
  return {
    peers: new SqlitePeerRepository(driver, inTx),
    usernames: new SqliteUsernameRepository(driver, inTx),
    history: new SqliteHistoryRepository(driver, inTx),
    state: new SqliteKeyValueRepository(driver, inTx),
    dialogs: new SqliteDialogRepository(driver, inTx),
  };
}

export class SqliteStorageProvider implements StorageProvider {
  readonly name = 'sqlite';
  readonly persistent: boolean;
  readonly shared = false;
  readonly driver: SqliteDriver;
  readonly peers;
  readonly usernames;
  readonly history;
  readonly state;
  readonly dialogs;
  readonly broadcasts: SqliteBroadcastRepository;
  readonly #tx: StorageRepositories;

  constructor(options: SqliteStorageOptions) {
    this.driver = new SqliteDriver(options);
    this.persistent = options.path !== ':memory:' && options.path !== '';
    const outside = repositories(this.driver, false);
    this.peers = outside.peers;
    this.usernames = outside.usernames;
    this.history = outside.history;
    this.state = outside.state;
    this.dialogs = outside.dialogs;
    this.broadcasts = new SqliteBroadcastRepository(this.driver);
    this.#tx = repositories(this.driver, true);
  }

  transaction<T>(fn: (tx: StorageRepositories) => Promise<T>): Promise<T> {
    return this.driver.transaction(() => fn(this.#tx));
  }

  close(): Promise<void> {
    return this.driver.close();
  }
}

/** Opens (creating and migrating as needed) a SQLite store. */
export async function openSqliteStorage(options: SqliteStorageOptions): Promise<SqliteStorageProvider> {
  return new SqliteStorageProvider(options);
}

export type { SqliteStorageOptions };
