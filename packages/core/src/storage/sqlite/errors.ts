/**
 * SQLite's failures as pm's typed errors, each naming the file: opening (a directory, a read-only file or folder,
 * another application's file), a statement (damaged file, busy, the data's fault), and creating the file 0600.
 */
import { closeSync, existsSync, mkdirSync, openSync, type Stats, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { PmError, StorageError, type StorageFailureKind } from '../../errors.js';
import { notAFile } from '../../file-kind.js';

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

/**
 * The database file, created here with `fileMode` (never with the umask's wider permissions), its folders too.
 * A directory (or a device, a pipe) at the path is refused by name rather than as SQLite's "unable to open" or
 * "disk I/O error".
 */
export function createFile(path: string, fileMode: number): void {
  assertFileOrNothing(path, existsSync(path) ? statSync(path) : undefined);
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new StorageError(
      'STORAGE_CANNOT_OPEN',
      `Cannot open SQLite storage at ${path}: cannot create its folder ${dir} (${errnoText(error)})`,
      { cause: error },
    );
  }
  closeSync(openSync(path, 'a', fileMode));
}

/**
 * The database file of a store that must exist already (`create: false`): a missing file (or folder on its way) is
 * STORAGE_NOT_FOUND naming the path, and a directory, a device or a pipe is refused as by {@link createFile}.
 */
export function assertExists(path: string): void {
  let info: Stats;
  try {
    info = statSync(path);
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') {
      throw new StorageError(
        'STORAGE_CANNOT_OPEN',
        `Cannot open SQLite storage at ${path}: ${errnoText(error)}`,
        {
          cause: error,
        },
      );
    }
    throw new StorageError(
      'STORAGE_NOT_FOUND',
      `SQLite storage ${path} does not exist (nothing was created): check the path; commands that write create it`,
      { cause: error },
    );
  }
  assertFileOrNothing(path, info);
}

/** A directory, a device, a pipe or a socket at the store's path, refused by name. */
function assertFileOrNothing(path: string, info: Stats | undefined): void {
  if (info?.isDirectory()) {
    throw new StorageError('STORAGE_CANNOT_OPEN', `Cannot open SQLite storage at ${path}: it is a directory`);
  }
  if (info !== undefined && !info.isFile()) {
    throw new StorageError(
      'STORAGE_CANNOT_OPEN',
      `Cannot open SQLite storage at ${path}: it is ${notAFile(info)}, not a file`,
    );
  }
}

function errnoText(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const text: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOENT: 'no such file or folder',
    ENOTDIR: 'a part of the path is not a folder',
    EISDIR: 'it is a directory',
    ENOSPC: 'no space left on the device',
  };
  const known = typeof code === 'string' ? text[code] : undefined;
  if (known !== undefined) return `${code}: ${known}`;
  return error instanceof Error ? error.message : String(error);
}

/** SQLite found the file damaged (SQLITE_CORRUPT…, SQLITE_NOTADB…): what STORAGE_DAMAGED stands for. */
export function isSqliteDamage(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^SQLITE_(CORRUPT|NOTADB)/.test(code);
}

/** Any failure while opening, as a typed StorageError naming the path. */
export function openError(path: string, error: unknown): PmError {
  if (error instanceof PmError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'SQLITE_NOTADB') {
    return new StorageError(
      'STORAGE_NOT_PM',
      `SQLite file ${path} is not a SQLite database (another kind of file?): left untouched`,
      { cause: error },
    );
  }
  if (isSqliteDamage(error)) return storageError(path, 'open', error);
  if (typeof code === 'string' && /^SQLITE_(READONLY|CANTOPEN|PERM|AUTH)/.test(code)) {
    return new StorageError(
      'STORAGE_CANNOT_OPEN',
      `Cannot open SQLite storage at ${path} for writing (${error instanceof Error ? error.message : code}): check that the file and its folder are writable`,
      { cause: error },
    );
  }
  const detail = errnoText(error);
  return new StorageError(
    typeof code === 'string' && code.startsWith('SQLITE_') ? 'STORAGE_FAILED' : 'STORAGE_CANNOT_OPEN',
    `Cannot open SQLite storage at ${path}: ${detail}`,
    { cause: error },
  );
}

/**
 * A failure of a statement as a typed StorageError naming the file: STORAGE_DAMAGED when SQLite finds the file
 * corrupt (`pm peers check` says where), else STORAGE_FAILED with {@link sqliteFailureKind}.
 */
export function storageError(path: string, what: string, error: unknown): StorageError {
  if (error instanceof StorageError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (isSqliteDamage(error)) {
    return new StorageError(
      'STORAGE_DAMAGED',
      `SQLite storage ${path} is damaged (${message}) during ${what}; \`pm peers check\` reports what is broken, \`pm peers export --salvage\` saves the peers still readable`,
      { cause: error, kind: 'store' },
    );
  }
  return new StorageError('STORAGE_FAILED', `SQLite ${what} on ${path} failed: ${message}`, {
    cause: error,
    kind: sqliteFailureKind(error),
  });
}
