import type { Subject } from '../subject.js';

/**
 * Every store compared, pm first, each loaded only when asked for: a child process then holds one library, so
 * its RSS is that library's.
 */
const LOADERS: Record<string, () => Promise<Subject>> = {
  'pm memory': async () => (await import('./pm.js')).pmMemory,
  'pm sqlite': async () => (await import('./pm.js')).pmSqlite,
  'pm postgres': async () => (await import('./postgres.js')).pmPostgres,
  'bare better-sqlite3 (pm schema)': async () => (await import('./bare.js')).bareSqlite,
  'gramjs MemorySession': async () => (await import('./gramjs.js')).gramMemory,
  'gramjs StoreSession': async () => (await import('./gramjs.js')).gramStore,
  'mtcute SqliteStorage': async () => (await import('./mtcute.js')).mtcuteSqlite,
  'telethon .session (replayed)': async () => (await import('./telethon.js')).telethonSession,
  'plain Map (lookup floor)': async () => (await import('./floor.js')).plainMap,
};

/** Measured only when named (`pnpm bench --subjects=...`): variants for a closer look. */
const EXTRA: Record<string, () => Promise<Subject>> = {
  'pm sqlite, flush per batch': async () => (await import('./pm.js')).pmSqliteFlushEach,
  'pm sqlite, no mmap': async () => (await import('./pm.js')).pmSqliteNoMmap,
};

/** Names of the stores, in table order. */
export const SUBJECT_NAMES: readonly string[] = Object.keys(LOADERS);
/** Every store that can be named, the extras included. */
export const ALL_SUBJECT_NAMES: readonly string[] = [...SUBJECT_NAMES, ...Object.keys(EXTRA)];

/** Stores that keep their peers on disk (their start-up is measured). */
export const PERSISTENT: ReadonlySet<string> = new Set([
  'pm sqlite',
  'pm postgres',
  'pm sqlite, flush per batch',
  'pm sqlite, no mmap',
  'bare better-sqlite3 (pm schema)',
  'gramjs StoreSession',
  'mtcute SqliteStorage',
  'telethon .session (replayed)',
]);

/** Why a store cannot be measured on this machine (it needs a server that is not configured), by name. */
export async function unavailable(name: string): Promise<string | undefined> {
  return name === 'pm postgres' ? (await import('./postgres.js')).postgresUnavailable() : undefined;
}

/**
 * Removes what a store's runs in `benchDir` keep outside that folder (the Postgres subject's schemas). Loads only
 * the subjects that keep something, so the parent process does not load every library.
 */
export async function cleanupAfter(name: string, benchDir: string): Promise<void> {
  if (name === 'pm postgres') await (await import('./postgres.js')).pmPostgres.cleanup?.(benchDir);
}

export function loadSubject(name: string): Promise<Subject> {
  const load = LOADERS[name] ?? EXTRA[name];
  if (!load)
    throw new Error(`unknown subject ${JSON.stringify(name)}: one of ${ALL_SUBJECT_NAMES.join(', ')}`);
  return load();
}
