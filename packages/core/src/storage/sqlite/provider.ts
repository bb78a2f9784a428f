/**
 * The SQLite provider (better-sqlite3): one file, WAL, prepared statements, one transaction per write batch.
 * One process at a time should write a given file; for several bot processes sharing a store use PostgreSQL.
 */

import { compiled } from '../../compiled.js';
import type { PeerGroup } from '../packed-peers.js';
import type {
  BulkLoadResult,
  PeerRecord,
  SalvageReport,
  StorageProvider,
  StorageRepositories,
} from '../types.js';
import { SqliteBroadcastRepository } from './broadcasts.js';
import { bulkLoadPeers } from './bulk-load.js';
import { SqliteDialogRepository } from './dialogs.js';
import { SqliteDriver, type SqliteStorageOptions } from './driver.js';
import { storageError } from './errors.js';
import { SqliteHistoryRepository } from './history.js';
import { SqlitePeerRepository } from './peers.js';
import { salvagePeers } from './salvage.js';
import { SqliteKeyValueRepository } from './state.js';
import { SqliteUsernameRepository } from './usernames.js';

/**
 * A repository whose every method answers SQLite's own errors (a damaged page, a full disk) as a typed
 * StorageError naming the file, never a raw SqliteError. A plain object with a wrapper per method of the
 * repository's class, made once, each calling whatever the method is at call time: a Proxy's trap on every call
 * (and a wrapper made per call before that) was a visible share of a cold lookup. Each wrapper is a function of its
 * own, compiled with the method's name in it (`target.getNow(...)`): closures made from one function literal share
 * its inline caches, so `target[key]` in them was a megamorphic lookup, several hundred instructions a cold lookup.
 */
function guarded<T extends object>(repository: T, path: string): T {
  const wrapped: Record<string, (...args: unknown[]) => unknown> = {};
  const target = repository as unknown as Record<string, (...args: unknown[]) => unknown>;
  const failOf = (key: string) => (error: unknown) => storageError(path, `${key}()`, error);
  const compiledFor = (key: string) =>
    new Function(
      'target',
      'fail',
      `return function (...args) {
        try {
          const result = target.${key}(...args);
          return result instanceof Promise ? result.catch((error) => { throw fail(error); }) : result;
        } catch (error) {
          throw fail(error);
        }
      };`,
    )(target, failOf(key)) as (...args: unknown[]) => unknown;
  // The same wrapper without code built from strings (a runtime that refuses it: compiled.ts).
  const generic = (key: string) => {
    const fail = failOf(key);
    return (...args: unknown[]): unknown => {
      try {
        const result = (target[key] as (...a: unknown[]) => unknown)(...args);
        return result instanceof Promise
          ? result.catch((error: unknown) => {
              throw fail(error);
            })
          : result;
      } catch (error) {
        throw fail(error);
      }
    };
  };
  const wrap = (key: string): ((...args: unknown[]) => unknown) =>
    // Method names of pm's own repository classes: identifiers (anything else keeps the generic wrapper).
    (/^[A-Za-z_$][\w$]*$/.test(key) ? compiled(() => compiledFor(key)) : undefined) ?? generic(key);
  for (let proto = Object.getPrototypeOf(repository); proto !== null && proto !== Object.prototype; ) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (key !== 'constructor' && !Object.hasOwn(wrapped, key) && typeof target[key] === 'function')
        wrapped[key] = wrap(key);
    }
    proto = Object.getPrototypeOf(proto);
  }
  return wrapped as unknown as T;
}

function repositories(driver: SqliteDriver, inTx: boolean): StorageRepositories {
  return {
    peers: guarded(new SqlitePeerRepository(driver, inTx), driver.path),
    usernames: guarded(new SqliteUsernameRepository(driver, inTx), driver.path),
    history: guarded(new SqliteHistoryRepository(driver, inTx), driver.path),
    state: guarded(new SqliteKeyValueRepository(driver, inTx), driver.path),
    dialogs: guarded(new SqliteDialogRepository(driver, inTx), driver.path),
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
    try {
      const outside = repositories(this.driver, false);
      this.peers = outside.peers;
      this.usernames = outside.usernames;
      this.history = outside.history;
      this.state = outside.state;
      this.dialogs = outside.dialogs;
      this.broadcasts = guarded(new SqliteBroadcastRepository(this.driver), options.path);
      this.#tx = repositories(this.driver, true);
    } catch (error) {
      this.driver.db.close();
      throw storageError(options.path, 'open', error);
    }
  }

  /**
   * Runs SQLite's `PRAGMA integrity_check` over the whole file: an empty list when it is sound, else what SQLite
   * found (at most `max` lines).
   */
  async check(max = 100): Promise<string[]> {
    try {
      const rows = this.driver.db.pragma(`integrity_check(${Math.max(1, Math.trunc(max))})`) as {
        integrity_check: string;
      }[];
      const found = rows.map((r) => r.integrity_check);
      return found.length === 1 && found[0] === 'ok' ? [] : found;
    } catch (error) {
      const damaged = storageError(this.driver.path, 'integrity_check', error);
      if (damaged.code !== 'STORAGE_DAMAGED') throw damaged;
      // Damage that stops the check itself: what SQLite said is all there is to report.
      return [`integrity_check stopped: ${error instanceof Error ? error.message : String(error)}`];
    }
  }

  /** See {@link StorageProvider.salvagePeers} and salvage.ts. */
  salvagePeers(done: (report: SalvageReport) => void): AsyncIterable<PeerRecord> {
    return salvagePeers(this.driver, done);
  }

  transaction<T>(fn: (tx: StorageRepositories) => Promise<T>): Promise<T> {
    return this.driver.transaction(() => fn(this.#tx));
  }

  /** See {@link StorageProvider.bulkLoadPeers} and bulk-load.ts. */
  bulkLoadPeers(batches: AsyncIterable<PeerGroup>): Promise<BulkLoadResult | undefined> {
    return bulkLoadPeers(this.driver, batches);
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
