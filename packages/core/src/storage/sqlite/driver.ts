/**
 * The SQLite driver: one better-sqlite3 connection in WAL mode, file permissions, migrations and transactions.
 */
import { chmodSync, existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { StorageError } from '../../errors.js';
import { SQLITE_DEFAULTS } from '../defaults.js';
import { createStoreStatements } from '../schema/ddl.js';
import { TxGate } from '../tx-gate.js';
import { BackgroundCheckpointer } from './checkpointer.js';
import { assertExists, createFile, openError, storageError } from './errors.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations.js';

/** The code of the process warning emitted when the WAL checkpoint thread fails (`process.on('warning')`). */
export const SQLITE_CHECKPOINT_THREAD_FAILED = 'PM_SQLITE_CHECKPOINT_THREAD_FAILED';

/** The code of the process warning emitted when the store stays out of WAL mode after a bulk load. */
export const SQLITE_WAL_NOT_RESTORED = 'PM_SQLITE_WAL_NOT_RESTORED';

/** Options of `openSqliteStorage()`. */
export interface SqliteStorageOptions {
  /** Database file (created with mode `fileMode`, parent folders too), or ':memory:' for a throw-away store. */
  path: string;
  /**
   * Create the file (and its folders) when it does not exist. false: a missing file, or an empty one (no tables), is
   * a StorageError with the code `STORAGE_NOT_FOUND` naming the path, and nothing is created or written; for readers
   * (a report, an export), to which an empty store made at a mistyped path would be a silent wrong answer.
   * @default true
   */
  create?: boolean;
  /**
   * `PRAGMA synchronous` in WAL mode. 'NORMAL': once a write is committed (`PeerCache.flush()` resolved) it
   * survives the process being killed; a power loss may drop the last commits. 'FULL': survives power loss too,
   * one fsync per commit. @default 'NORMAL'
   */
  synchronous?: 'NORMAL' | 'FULL';
  /** How long a statement waits for another connection's lock, ms. @default 5000 */
  busyTimeoutMs?: number;
  /** SQLite page cache, KiB (reads go through the memory map, see `mmapSizeMiB`). @default 4096 */
  cacheSizeKiB?: number;
  /** WAL size in pages that triggers an automatic checkpoint (before the worker thread takes over). @default 1000 */
  walAutocheckpointPages?: number;
  /** Mode of a newly created database file and of its -wal/-shm files. @default 0o600 */
  fileMode?: number;
  /**
   * A store of at least this many pages (4 KiB each) checkpoints its WAL in a worker thread after commits, instead of
   * inside the COMMIT that crosses `walAutocheckpointPages` on the event loop (see checkpointer.ts). 0: from the
   * start; Infinity: never. If the thread fails (it cannot open the file, say), the store goes back to checkpoints
   * in COMMIT and emits a process warning with the code `PM_SQLITE_CHECKPOINT_THREAD_FAILED`. @default 10000
   */
  backgroundCheckpointPages?: number;
  /**
   * Bytes of the database file SQLite reads through a memory map (`PRAGMA mmap_size`), MiB: a page read is then a
   * memory access instead of a `pread` system call and a copy into the page cache. The mapped pages are the kernel's
   * cache of the file, shared and reclaimable (RssFile, not RssAnon), yet counted in the process's RSS, which grows
   * towards the file's size as lookups of any peer (and an ingest's reads) map its pages in (see
   * SQLITE_DEFAULTS.mmapSizeMiB for figures); writes still go through the page cache and the WAL. A failing disk or the
   * file truncated by another program then ends the process (SIGBUS) on a read instead of a StorageError. 0: no map.
   * @default 1024
   */
  mmapSizeMiB?: number;
}

export type SqliteDatabase = Database.Database;

const SIZE_CHECK_EVERY_MS = 1000;
/**
 * The share of the file that may lie past the memory map before it is mapped again: at most about 6 pages × 1/32 =
 * 0.2 reads with a system call per cold lookup, and at a million peers (160 MB) a new map every 5 MB of growth.
 */
const REMAP_GROWTH = 1 / 32;

export class SqliteDriver {
  readonly gate = new TxGate();
  readonly path: string;
  #db: SqliteDatabase | null = null;
  readonly #synchronous: 'NORMAL' | 'FULL';
  readonly #busyTimeoutMs: number;
  /** A file (not ':memory:'). */
  readonly #onDisk: boolean;
  readonly #autocheckpoint: number;
  /** Pages from which checkpoints move to a worker; Infinity for in-memory stores. */
  readonly #backgroundFrom: number;
  #checkpointer: BackgroundCheckpointer | null = null;
  #pageCount: { get(): unknown } | null = null;
  /** When (performance.now()) the store's size may next be asked, to start background checkpoints. */
  #nextSizeCheck = 0;
  /** Runs a write's statements in one transaction (made once: better-sqlite3 builds a wrapper per call of transaction()). */
  #inTransaction: ((op: () => void) => void) | null = null;
  #backgroundFailed = false;
  /** `mmap_size` in bytes (0: no map), and the file size this connection last mapped (see #remapIfGrown). */
  #mmapBytes = 0;
  #mappedBytes = 0;
  /** Which of two equivalent limits is set: setting the other one is what makes SQLite map the file again. */
  #mmapToggle = false;
  /** A remap waits for the write transaction open when the worker's checkpoint ended. */
  #remapDue = false;
  /** A read transaction opened by {@link read} is open. */
  #reading = false;
  /**
   * Records a username lookup read in the current read transaction, for the `get` of its owner that follows: the
   * latest in a slot of its own (a lookup's `get` follows at once: no Map operation, each of which hashes the bigint
   * key anew), earlier ones in a Map.
   */
  #keptKey: bigint | undefined;
  #keptValue: unknown;
  readonly #kept = new Map<bigint, unknown>();

  constructor(options: SqliteStorageOptions) {
    this.path = options.path;
    this.#synchronous = options.synchronous === 'FULL' ? 'FULL' : SQLITE_DEFAULTS.synchronous;
    this.#autocheckpoint = Math.max(
      1,
      Math.trunc(options.walAutocheckpointPages ?? SQLITE_DEFAULTS.walAutocheckpointPages),
    );
    const fileMode = options.fileMode ?? SQLITE_DEFAULTS.fileMode;
    const onDisk = options.path !== ':memory:' && options.path !== '';
    this.#onDisk = onDisk;
    this.#busyTimeoutMs = Math.max(0, Math.trunc(options.busyTimeoutMs ?? SQLITE_DEFAULTS.busyTimeoutMs));
    let db: SqliteDatabase | undefined;
    try {
      const create = options.create ?? true;
      if (onDisk && create) createFile(options.path, fileMode);
      if (onDisk && !create) assertExists(options.path);
      db = new Database(options.path, { fileMustExist: onDisk && !create });
      db.defaultSafeIntegers(true);
      // Before anything is written (even the switch to WAL): refuse a file of another application or schema.
      this.#inspect(db, create || !onDisk);
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${this.#synchronous}`);
      db.pragma(`busy_timeout = ${this.#busyTimeoutMs}`);
      db.pragma(
        `cache_size = ${-Math.max(64, Math.trunc(options.cacheSizeKiB ?? SQLITE_DEFAULTS.cacheSizeKiB))}`,
      );
      db.pragma('temp_store = MEMORY');
      if (onDisk) {
        const mmapMiB = Math.max(0, Math.trunc(options.mmapSizeMiB ?? SQLITE_DEFAULTS.mmapSizeMiB));
        this.#mmapBytes = mmapMiB * 2 ** 20;
        db.pragma(`mmap_size = ${this.#mmapBytes}`);
      }
      db.pragma(`wal_autocheckpoint = ${this.#autocheckpoint}`);
      this.#migrate(db);
      if (onDisk) {
        for (const suffix of ['-wal', '-shm']) {
          if (existsSync(options.path + suffix)) chmodSync(options.path + suffix, fileMode);
        }
      }
    } catch (error) {
      db?.close();
      throw openError(options.path, error);
    }
    this.#db = db;
    this.#backgroundFrom = onDisk
      ? Math.max(0, options.backgroundCheckpointPages ?? SQLITE_DEFAULTS.backgroundCheckpointPages)
      : Number.POSITIVE_INFINITY;
    this.#pageCount = db.prepare('PRAGMA page_count').pluck();
    this.#mappedBytes = this.#fileSize();
  }

  #fileSize(): number {
    try {
      return statSync(this.path).size;
    } catch {
      return 0;
    }
  }

  /**
   * After a checkpoint of the worker: maps the file again if it grew. SQLite maps a file at its size of the moment
   * and widens the map only when this connection itself grows the file (its own checkpoints do); pages past the map
   * are read with a system call each, into the page cache. With checkpoints in the worker the map stayed at the size
   * the store had when they moved there (40 MB), so at a million peers most cold lookups read their pages with
   * `pread` instead of from the map. Setting a different `mmap_size` maps the file afresh (SQLite does so only
   * between statements, when no mapped page is in use); two equivalent limits a page apart take turns. A new map is
   * faulted in again page by page as lookups touch it, so it is made only once the part past the old one is worth it
   * (REMAP_GROWTH), not after every checkpoint of a bot that writes a few new peers at a time.
   */
  #remapIfGrown(): void {
    const db = this.#db;
    this.#remapDue = false;
    if (db === null || this.#mmapBytes === 0) return;
    if (db.inTransaction && !this.#reading) {
      this.#remapDue = true; // a write is open (a transaction() body awaiting): after its commit
      return;
    }
    const size = this.#fileSize();
    if (size - this.#mappedBytes <= size * REMAP_GROWTH) return;
    this.#mappedBytes = size;
    this.#mmapToggle = !this.#mmapToggle;
    try {
      db.pragma(`mmap_size = ${this.#mmapBytes - (this.#mmapToggle ? 4096 : 0)}`);
    } catch {
      // Only a faster way to the same pages: without it reads still find them, through the page cache.
    }
  }

  /** True while WAL checkpoints run in the worker thread (for tests and diagnostics). */
  get backgroundCheckpoints(): boolean {
    return this.#checkpointer !== null;
  }

  /** After a commit: a checkpoint in the worker, which starts once the store is large enough. */
  #committed(): void {
    if (this.#remapDue) this.#remapIfGrown();
    if (this.#checkpointer !== null) {
      this.#checkpointer.request();
      return;
    }
    if (this.#backgroundFailed || this.#backgroundFrom === Number.POSITIVE_INFINITY) return;
    // The size is asked at most once a second (a statement per commit was a visible share of a small commit's cost);
    // until the worker starts, SQLite's own checkpoints keep the WAL bounded.
    const now = performance.now();
    if (now < this.#nextSizeCheck) return;
    this.#nextSizeCheck = now + SIZE_CHECK_EVERY_MS;
    if (Number(this.#pageCount?.get() ?? 0) < this.#backgroundFrom) return;
    const db = this.db;
    const checkpointer = new BackgroundCheckpointer({
      path: this.path,
      synchronous: this.#synchronous,
      onCheckpoint: () => this.#remapIfGrown(),
      onFailure: (message) => {
        // Back to SQLite's own checkpoints in the COMMIT: slower to the event loop, never unbounded WAL growth.
        // Nothing is lost, but the bot's operator should know why its event loop stalls on commits from now on.
        process.emitWarning(
          `pm SQLite store ${this.path}: the checkpoint thread failed (${message}); SQLite checkpoints in COMMIT from now on`,
          { code: SQLITE_CHECKPOINT_THREAD_FAILED },
        );
        this.#backgroundFailed = true;
        if (this.#checkpointer === checkpointer) this.#checkpointer = null;
        if (this.#db !== null) this.#db.pragma(`wal_autocheckpoint = ${this.#autocheckpoint}`);
        void checkpointer.close();
      },
    });
    this.#checkpointer = checkpointer;
    db.pragma('wal_autocheckpoint = 0');
    checkpointer.request();
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
   * Before a read outside a transaction: the reads of one turn of the event loop share one read transaction, opened
   * here and ended at the next turn (or before any write). Each statement in autocommit mode takes and drops WAL read
   * locks (fcntl system calls) and checks the file, several µs a lookup, more than the lookup itself; this connection
   * is the store's only writer and ends the read before writing, so a read never misses a commit of its own.
   */
  read(): void {
    const db = this.db;
    if (this.#reading || db.inTransaction) return;
    db.exec('BEGIN');
    this.#reading = true;
    setImmediate(this.#endReadSoon);
  }

  readonly #endReadSoon = (): void => this.#endRead();

  /**
   * Keeps a value read for `key` in the current read transaction (a username lookup reads its owner's whole row),
   * so that the lookup by id that follows in the same transaction sees the same snapshot without reading it again.
   * Outside a read transaction of {@link read} (inside a write, or after it ended) nothing is kept.
   */
  keep(key: bigint, value: unknown): void {
    if (!this.#reading) return;
    if (this.#keptKey !== undefined && this.#keptKey !== key) {
      if (this.#kept.size >= 15) this.#kept.clear(); // a turn of many lookups: only the latest are asked for again
      this.#kept.set(this.#keptKey, this.#keptValue);
    }
    if (this.#kept.size !== 0) this.#kept.delete(key); // the slot holds the latest
    this.#keptKey = key;
    this.#keptValue = value;
  }

  /** The value kept for `key` in the current read transaction, once; undefined if none. */
  take(key: bigint): unknown {
    if (this.#keptKey === key) {
      const value = this.#keptValue;
      this.#keptKey = undefined;
      this.#keptValue = undefined;
      return value;
    }
    if (this.#kept.size === 0) return undefined;
    const value = this.#kept.get(key);
    if (value !== undefined) this.#kept.delete(key);
    return value;
  }

  #endRead(): void {
    this.#keptKey = undefined;
    this.#keptValue = undefined;
    this.#kept.clear();
    if (!this.#reading) return;
    this.#reading = false;
    const db = this.#db;
    if (!db?.inTransaction) return;
    // Nothing was written in it: ending it cannot lose data, and a failure here (a damaged file) is the reads' to tell.
    try {
      db.exec('COMMIT');
    } catch {
      try {
        if (db.inTransaction) db.exec('ROLLBACK');
      } catch {}
    }
  }

  /**
   * Runs synchronous statements as one write: directly inside a transaction body, else in their own transaction
   * once no transaction is open.
   */
  async write(inTx: boolean, op: () => void): Promise<void> {
    const db = this.db;
    if (inTx) op();
    else {
      await this.gate.run(() => {
        this.#endRead();
        this.#inTransaction ??= db.transaction((body: () => void) => body());
        this.#inTransaction(op);
      });
      this.#committed();
    }
  }

  get schemaVersion(): number {
    return readVersion(this.db);
  }

  /** Runs `body` in BEGIN IMMEDIATE … COMMIT; rolls back if it throws. One transaction at a time. */
  transaction<T>(body: () => Promise<T>): Promise<T> {
    return this.gate.exclusive(async () => {
      const result = await this.#transaction(body);
      this.#committed();
      return result;
    });
  }

  /**
   * {@link transaction} for one large write into a store that holds little (a bulk load), with a rollback journal
   * instead of the WAL when no other connection has the file open: the new pages are then written once, into the
   * file, rather than into the WAL and copied into the file by the checkpoint that follows the commit (at a million
   * peers that copy was most of the commit's half second). Pages beyond the file's size when the transaction began
   * need no journal, so the journal holds only the few pages the store had; a process killed mid-way leaves that
   * journal, which SQLite plays back on the next open (the store is as it was). While the journal is in use other
   * processes cannot read the store (they wait up to their busy timeout); one that has it open already keeps the
   * load in the WAL. Back in WAL mode afterwards, whatever happened. `worthIt` (asked first, in the gate) says whether
   * the store is one to load into at all: a switch out of WAL mode checkpoints what the WAL holds.
   */
  bulkTransaction<T>(body: () => Promise<T>, worthIt: () => boolean): Promise<T> {
    return this.gate.exclusive(async () => {
      this.#endRead();
      const journal = worthIt() && this.#leaveWal();
      let result: T;
      try {
        result = await this.#transaction(body);
      } finally {
        if (journal) this.#backToWal();
      }
      // Through the journal the WAL holds nothing to checkpoint: the checkpoint thread a store this large gets starts
      // with the next commit (a process that only imports then ends without starting it).
      if (!journal) this.#committed();
      return result;
    });
  }

  /** BEGIN IMMEDIATE, `body`, COMMIT (or ROLLBACK if it throws); in the gate, its caller runs {@link committed}. */
  async #transaction<T>(body: () => Promise<T>): Promise<T> {
    const db = this.db;
    this.#endRead();
    try {
      // Inside: a store another connection holds past the busy timeout fails here, as a typed (transient) error too.
      db.exec('BEGIN IMMEDIATE');
    } catch (error) {
      throw storageError(this.path, 'transaction', error);
    }
    try {
      const result = await body();
      db.exec('COMMIT');
      return result;
    } catch (error) {
      if (db.open && db.inTransaction) db.exec('ROLLBACK');
      throw storageError(this.path, 'transaction', error);
    }
  }

  /**
   * Switches to a rollback journal if this is a file, no checkpoint thread runs, and no other connection has it open
   * (asked without waiting: the switch needs the file to itself). Returns whether it did.
   */
  #leaveWal(): boolean {
    if (!this.#onDisk || this.#checkpointer !== null) return false;
    const db = this.db;
    this.#endRead();
    db.pragma('busy_timeout = 0');
    try {
      return db.pragma('journal_mode = DELETE', { simple: true }) === 'delete';
    } catch {
      return false; // another connection: the load stays in the WAL
    } finally {
      db.pragma(`busy_timeout = ${this.#busyTimeoutMs}`);
    }
  }

  /**
   * Back to WAL mode after {@link leaveWal}: waits up to the busy timeout for readers of other processes to let go.
   * If they do not, this connection writes with the rollback journal until it is closed (correct, slower) and the
   * next open goes back to WAL; a process warning says so.
   */
  #backToWal(): void {
    const db = this.#db;
    if (db === null) return;
    let mode: unknown;
    try {
      mode = db.pragma('journal_mode = WAL', { simple: true });
    } catch (error) {
      mode = error instanceof Error ? error.message : String(error);
    }
    if (mode !== 'wal') {
      process.emitWarning(
        `pm SQLite store ${this.path}: could not go back to WAL mode after a bulk load (${String(mode)}); it will when opened next`,
        { code: SQLITE_WAL_NOT_RESTORED },
      );
    }
  }

  /** Idempotent; waits for a running transaction. */
  async close(): Promise<void> {
    await this.gate.exclusive(async () => {
      const checkpointer = this.#checkpointer;
      this.#checkpointer = null;
      await checkpointer?.close();
      this.#endRead();
      this.#db?.close();
      this.#db = null;
    });
  }

  /** Refuses a file pm did not create (tables but no pm schema) or a newer schema, without writing to it. */
  #inspect(db: SqliteDatabase, create: boolean): void {
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
        name: string;
      }[]
    ).map((t) => t.name);
    if (tables.length === 0 && !create) {
      // An empty file (`touch`ed, or left by an open that failed) holds no store either.
      throw new StorageError(
        'STORAGE_NOT_FOUND',
        `SQLite storage ${this.path} is empty, no pm store in it (nothing was written): check the path; commands that write create it`,
      );
    }
    if (tables.length === 0) return; // a new, empty file
    if (!tables.includes('schema_version') || (readVersion(db) >= 1 && !tables.includes('peers'))) {
      const shown = tables.slice(0, 5).join(', ') + (tables.length > 5 ? ', ...' : '');
      throw new StorageError(
        'STORAGE_NOT_PM',
        `SQLite file ${this.path} is not a pm store (it holds the tables ${shown} and no pm schema): left untouched. Use another path.`,
      );
    }
    this.#refuseNewer(readVersion(db));
  }

  #refuseNewer(version: number): void {
    if (version > LATEST_SCHEMA_VERSION) {
      throw new StorageError(
        'STORAGE_SCHEMA_TOO_NEW',
        `SQLite storage ${this.path} has schema version ${version}; this pm knows up to ${LATEST_SCHEMA_VERSION}. Upgrade pm.`,
      );
    }
  }

  #migrate(db: SqliteDatabase): void {
    db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    if (readVersion(db) === LATEST_SCHEMA_VERSION) return;
    db.exec('BEGIN IMMEDIATE'); // re-read under the write lock: another process may be migrating too
    try {
      const current = readVersion(db);
      this.#refuseNewer(current);
      if (current === 0) {
        // A new store: the latest schema straight from the table description.
        for (const statement of createStoreStatements('sqlite')) db.exec(statement);
      } else {
        // Every pending migration, in this one transaction (migrations.ts).
        for (const migration of MIGRATIONS) if (migration.version > current) db.exec(migration.sql);
      }
      db.prepare('DELETE FROM schema_version').run();
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(LATEST_SCHEMA_VERSION);
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
