import { describeValue, InvalidInputError, PmError } from '../errors.js';
import { createMemoryStorage } from './memory/index.js';
import { openSqliteStorage } from './sqlite/index.js';
import type { StorageProvider } from './types.js';

/** Options of {@link openStorage}. */
export interface OpenStorageOptions {
  /**
   * Create the store when it does not exist: the SQLite file and its folders, pm's schema in a PostgreSQL database.
   * false: a store that does not exist yet (no such file; a database or `?schema=` without pm's tables) is a
   * StorageError with the code `STORAGE_NOT_FOUND` naming it, and nothing is created. For readers (a report, an
   * export, a lookup), to which an empty store made at a mistyped path would be a silent wrong answer. A `memory`
   * store is new whatever this says. @default true
   */
  create?: boolean;
}

/**
 * Opens a storage provider from a spec string: `memory`, `sqlite:<path>`, a bare path (SQLite), or
 * `postgres://…` / `postgresql://…` (through @pm/storage-postgres, loaded only when named, so it and `pg` are
 * needed only by those who use them; `?schema=name` picks the schema). Other providers are passed in as objects.
 */
export async function openStorage(
  spec: string | StorageProvider,
  options: OpenStorageOptions = {},
): Promise<StorageProvider> {
  if (typeof spec !== 'string') return spec;
  const create = options.create ?? true;
  if (spec === 'memory' || spec === ':memory:') return createMemoryStorage();
  if (/^postgres(ql)?:\/\//i.test(spec)) return openPostgres(spec, create);
  const path = spec.startsWith('sqlite:') ? spec.slice('sqlite:'.length) : spec;
  if (/^[a-z]+:\/\//i.test(path) || path.length === 0) {
    throw new InvalidInputError(
      'INVALID_STORAGE',
      describeValue(spec),
      `Invalid storage ${describeValue(spec)}: use "memory", "sqlite:<path>", a file path or "postgres://…"; pass other providers as objects`,
    );
  }
  return openSqliteStorage({ path, create });
}

/** The package that holds the PostgreSQL provider; a variable, so that neither tsc nor bundlers pull it in. */
const POSTGRES_PACKAGE = '@pm/storage-postgres';

interface PostgresModule {
  openPostgresStorage(options: { url: string; schema?: string; create?: boolean }): Promise<StorageProvider>;
}

async function openPostgres(url: string, create: boolean): Promise<StorageProvider> {
  let mod: PostgresModule;
  try {
    mod = (await import(POSTGRES_PACKAGE)) as PostgresModule;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw error;
    throw new StorageProviderMissingError(redactUrlPassword(url), POSTGRES_PACKAGE);
  }
  // `?schema=name` picks the schema (several stores in one database); the rest of the URL goes to pg as is.
  const schema = /[?&]schema=([^&#]*)/.exec(url)?.[1];
  const rest = url.replace(/([?&])schema=[^&#]*&?/, '$1').replace(/[?&]$/, '');
  return mod.openPostgresStorage({
    url: rest,
    ...(schema ? { schema: decodeURIComponent(schema) } : {}),
    create,
  });
}

/** A storage spec names a provider package that is not installed. */
export class StorageProviderMissingError extends PmError {
  constructor(
    readonly spec: string,
    readonly packageName: string,
  ) {
    super(
      'STORAGE_PROVIDER_MISSING',
      `Storage "${spec}" needs ${packageName}, which is not installed: npm install ${packageName}`,
    );
  }
}

/** `postgres://user:***@host/db`: the spec as it may appear in an error. */
function redactUrlPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
  }
}
