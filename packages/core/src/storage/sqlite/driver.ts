/**
 * The SQLite driver: one better-sqlite3 connection in WAL mode, file permissions, migrations and transactions.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { PmError, StorageError, type StorageFailureKind } from '../../errors.js';
import { SQLITE_DEFAULTS } from '../defaults.js';
import { TxGate } from '../tx-gate.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations.js';

/** Options of `openSqliteStorage()`. */
export interface SqliteStorageOptions {
  /** Database file (created with mode `fileMode`, parent folders too), or ':memory:' for a throw-away store. */
  path: string;
  /**
   * `PRAGMA synchronous` in WAL mode. 'NORMAL': once a write is committed (`PeerCache.flush()` resolved) it
   * survives the process being killed; a power loss may drop the last commits. 'FULL': survives power loss too,
   * one fsync per commit. @default 'NORMAL'
   */
  synchronous?: 'NORMAL' | 'FULL';
  /** How long a statement waits for another connection's lock, ms. @default 5000 */
  busyTimeoutMs?: number;
  /** SQLite page cache, KiB. @default 65536 */
  cacheSizeKiB?: number;
  /** WAL size in pages that triggers an automatic checkpoint. @default 10000 */
  walAutocheckpointPages?: number;
  /** Mode of a newly created database file and of its -wal/-shm files. @default 0o600 */
  fileMode?: number;
}

export type SqliteDatabase = Database.Database;

export class SqliteDriver {
  readonly gate = new TxGate();
  readonly path: string;
  #db: SqliteDatabase | null;

  constructor(options: SqliteStorageOptions) {
    this.path = options.path;
    const fileMode = options.fileMode ?? SQLITE_DEFAULTS.fileMode;
    const onDisk = options.path !== ':memory:' && options.path !== '';
    if (onDisk) {
      mkdirSync(dirname(options.path), { recursive: true });
      // Created here, not by SQLite, so that it never exists with the umask's wider permissions.
      closeSync(openSync(options.path, 'a', fileMode));
    }
    const db = new Database(options.path);
    this.#db = db;
    try {
      db.defaultSafeIntegers(true);
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${options.synchronous === 'FULL' ? 'FULL' : SQLITE_DEFAULTS.synchronous}`);
      db.pragma(
        `busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? SQLITE_DEFAULTS.busyTimeoutMs))}`,
      );
      db.pragma(
        `cache_size = ${-Math.max(64, Math.trunc(options.cacheSizeKiB ?? SQLITE_DEFAULTS.cacheSizeKiB))}`,
      );
      db.pragma('temp_store = MEMORY');
      const checkpoint = options.walAutocheckpointPages ?? SQLITE_DEFAULTS.walAutocheckpointPages;
      db.pragma(`wal_autocheckpoint = ${Math.max(1, Math.trunc(checkpoint))}`);
      this.#migrate(db);
      if (onDisk) {
        for (const suffix of ['-wal', '-shm']) {
          if (existsSync(options.path + suffix)) chmodSync(options.path + suffix, fileMode);
        }
      }
    } catch (error) {
      db.close();
      this.#db = null;
      throw error instanceof PmError
        ? error
        : new StorageError('STORAGE_FAILED', `Cannot open SQLite storage at ${options.path}`, {
            cause: error,
          });
    }
  }

  /** The open connection; throws `StorageError('STORAGE_CLOSED')` after `close()`. */
  get db(): SqliteDatabase {
    if (this.#db === null)
      throw new StorageError('STORAGE_CLOSED', `The SQLite storage ${this.path} was closed`);
    return this.#db;
  }

  /** Throws `StorageError('STORAGE_CLOSED')` after `close()`. */
  assertOpen(): void {
    if (this.#db === null)
      throw new StorageError('STORAGE_CLOSED', `The SQLite storage ${this.path} was closed`);
  }

  /**
   * Runs synchronous statements as one write: directly inside a transaction body, else in their own transaction
   * once no transaction is open.
   */
  async write(inTx: boolean, op: () => void): Promise<void> {
    const db = this.db;
    if (inTx) op();
    else await this.gate.run(() => db.transaction(op)());
  }

  get schemaVersion(): number {
    return readVersion(this.db);
  }

  /** Runs `body` in BEGIN IMMEDIATE … COMMIT; rolls back if it throws. One transaction at a time. */
  transaction<T>(body: () => Promise<T>): Promise<T> {
    return this.gate.exclusive(async () => {
      const db = this.db;
      db.exec('BEGIN IMMEDIATE');
      try {
        const result = await body();
        db.exec('COMMIT');
        return result;
      } catch (error) {
        if (db.open && db.inTransaction) db.exec('ROLLBACK');
        throw error instanceof PmError
          ? error
          : new StorageError(
              'STORAGE_FAILED',
              `SQLite transaction on ${this.path} failed: ${error instanceof Error ? error.message : String(error)}`,
              { cause: error, kind: sqliteFailureKind(error) },
            );
      }
    });
  }

  /** Idempotent; waits for a running transaction. */
  async close(): Promise<void> {
    await this.gate.exclusive(async () => {
      this.#db?.close();
      this.#db = null;
    });
  }

  #migrate(db: SqliteDatabase): void {
    db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    if (readVersion(db) === LATEST_SCHEMA_VERSION) return;
    db.exec('BEGIN IMMEDIATE'); // re-read under the write lock: another process may be migrating too
    try {
      const current = readVersion(db);
      if (current > LATEST_SCHEMA_VERSION) {
        throw new StorageError(
          'STORAGE_SCHEMA_TOO_NEW',
          `SQLite storage ${this.path} has schema version ${current}; this pm knows up to ${LATEST_SCHEMA_VERSION}. Upgrade pm.`,
        );
      }
      for (const migration of MIGRATIONS) {
        if (migration.version <= current) continue;
        db.exec(migration.sql);
        db.prepare('DELETE FROM schema_version').run();
        db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(migration.version);
      }
      db.exec('COMMIT');
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw error;
    }
  }
}

function readVersion(db: SqliteDatabase): number {
  const row = db.prepare('SELECT max(version) AS version FROM schema_version').get() as
    | { version: bigint | null }
    | undefined;
  return row?.version == null ? 0 : Number(row.version);
}

/**
 * What a failed statement says about a retry: a lock held by another connection may be released (busy, locked); a
 * constraint, a type mismatch or an oversized value is the data's fault; the rest (read-only, full, I/O, damaged
 * file) is the store's. Errors that are not SQLite's (a bug of the caller's) count as the data's.
 */
export function sqliteFailureKind(error: unknown): StorageFailureKind {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return 'record';
  if (/^SQLITE_(BUSY|LOCKED)/.test(code)) return 'transient';
  if (/^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/.test(code)) return 'record';
  return 'store';
}
