/**
 * Read-only access to another library's SQLite file: is it SQLite, which tables and columns does it have, and a
 * streaming row iterator whose 64-bit integers arrive as `bigint`. SQLite's own errors are turned into
 * {@link ImportError}s naming the file. Nothing is written to the database; for a WAL-mode one (mtcute's) SQLite
 * itself creates the `-wal` / `-shm` companions a reader needs if they are missing.
 */
import Database from 'better-sqlite3';
import { ImportError } from './errors.js';
import { notAFile, readHead, statSource } from './source-file.js';

/** Table name → column names. */
export type SqliteTables = ReadonlyMap<string, ReadonlySet<string>>;

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/** True when the file starts with SQLite's 16-byte header. */
export function isSqliteHeader(head: Buffer): boolean {
  return head.length >= SQLITE_MAGIC.length && head.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC);
}

/** Opens read-only; never creates or migrates anything. */
function openReadOnly(path: string): Database.Database {
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    db.defaultSafeIntegers(true);
    return db;
  } catch (e) {
    throw sqliteError(path, e);
  }
}

function sqliteError(path: string, e: unknown): ImportError {
  const code = (e as { code?: unknown }).code;
  if (code === 'SQLITE_NOTADB') {
    return new ImportError('IMPORT_NOT_SQLITE', path, 'is not a SQLite database', { cause: e });
  }
  if (code === 'SQLITE_CORRUPT') {
    return new ImportError('IMPORT_UNREADABLE', path, 'is a damaged SQLite database', { cause: e });
  }
  const what = typeof code === 'string' ? code : e instanceof Error ? e.message : String(e);
  return new ImportError('IMPORT_UNREADABLE', path, `SQLite cannot read it (${what})`, { cause: e });
}

/**
 * The tables and columns of a SQLite file; throws IMPORT_FILE_NOT_FOUND, IMPORT_NOT_SQLITE (checked by header
 * before SQLite sees the file) or IMPORT_UNREADABLE.
 */
export async function readSqliteTables(path: string): Promise<SqliteTables> {
  const info = await statSource(path);
  if (!info.isFile())
    throw new ImportError('IMPORT_UNREADABLE', path, `is ${notAFile(info)}, expected a SQLite file`);
  if (!isSqliteHeader(await readHead(path, SQLITE_MAGIC.length))) {
    throw new ImportError('IMPORT_NOT_SQLITE', path, 'is not a SQLite database (no SQLite header)');
  }
  const db = openReadOnly(path);
  try {
    const tables = new Map<string, Set<string>>();
    const names = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all() as string[];
    for (const name of names) {
      const columns = db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(name) as string[];
      tables.set(name, new Set(columns));
    }
    return tables;
  } catch (e) {
    throw e instanceof ImportError ? e : sqliteError(path, e);
  } finally {
    db.close();
  }
}

/** True when every listed table exists with at least the listed columns. */
export function hasTables(
  tables: SqliteTables,
  required: Readonly<Record<string, readonly string[]>>,
): boolean {
  return Object.entries(required).every(([table, columns]) => {
    const present = tables.get(table);
    return present !== undefined && columns.every((c) => present.has(c));
  });
}

/** Throws IMPORT_SCHEMA_MISMATCH naming what is missing, for a file that should be `library`'s. */
export function requireTables(
  path: string,
  tables: SqliteTables,
  required: Readonly<Record<string, readonly string[]>>,
  library: string,
): void {
  const missing: string[] = [];
  for (const [table, columns] of Object.entries(required)) {
    const present = tables.get(table);
    if (present === undefined) missing.push(`table ${table}`);
    else for (const c of columns) if (!present.has(c)) missing.push(`column ${table}.${c}`);
  }
  if (missing.length > 0) {
    const found = tables.size === 0 ? 'no tables' : `tables ${[...tables.keys()].join(', ')}`;
    throw new ImportError(
      'IMPORT_SCHEMA_MISMATCH',
      path,
      `is a SQLite database but not a ${library} one: missing ${missing.join(', ')} (found ${found})`,
    );
  }
}

/**
 * Streams the rows of one query. The file is opened when iteration starts and closed when it ends, fails or is
 * abandoned; SQLite errors become {@link ImportError}s.
 */
export async function* iterateSqlite(path: string, sql: string): AsyncGenerator<Record<string, unknown>> {
  const db = openReadOnly(path);
  let rows: IterableIterator<unknown> | undefined;
  try {
    try {
      rows = db.prepare(sql).iterate();
    } catch (e) {
      throw sqliteError(path, e);
    }
    while (true) {
      let next: IteratorResult<unknown>;
      try {
        next = rows.next();
      } catch (e) {
        throw sqliteError(path, e);
      }
      if (next.done) break;
      yield next.value as Record<string, unknown>;
    }
  } finally {
    // An abandoned iteration leaves the statement running, and a busy connection refuses to close.
    rows?.return?.();
    db.close();
  }
}
