import { describeValue, InvalidInputError } from '../errors.js';
import { createMemoryStorage } from './memory/index.js';
import { openSqliteStorage } from './sqlite/index.js';
import type { StorageProvider } from './types.js';

/**
 * Opens a storage provider from a spec string: `memory`, `sqlite:<path>`, or a bare path (SQLite). Other providers
 * (e.g. `postgres:` from @pm/storage-postgres) are passed in as objects.
 */
export async function openStorage(spec: string | StorageProvider): Promise<StorageProvider> {
  if (typeof spec !== 'string') return spec;
  if (spec === 'memory' || spec === ':memory:') return createMemoryStorage();
  const path = spec.startsWith('sqlite:') ? spec.slice('sqlite:'.length) : spec;
  if (/^[a-z]+:\/\//i.test(path) || path.length === 0) {
    throw new InvalidInputError(
      'INVALID_STORAGE',
      describeValue(spec),
      `Invalid storage ${describeValue(spec)}: use "memory", "sqlite:<path>" or a file path; pass other providers as objects`,
    );
  }
  return openSqliteStorage({ path });
}
