/** Commit counting for tests and the e2e bench, in a module of its own (no side effects, no test server). */
import type { StorageProvider } from '@pm/core';

/**
 * `repo` seen through a proxy whose `method` also calls `counted` once it resolved. A new object rather than an own
 * property on `repo`: SQLite's repositories are proxies that call whatever the method is at call time, so a
 * wrapper installed on one would call itself.
 */
function counting<T extends object>(repo: T, method: keyof T & string, counted: () => void): T {
  const original = (repo[method] as (...a: unknown[]) => Promise<unknown>).bind(repo);
  const wrapped = async (...a: unknown[]): Promise<unknown> => {
    const result = await original(...a);
    counted();
    return result;
  };
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(repo, {
    get(target, key) {
      if (key === method) return wrapped;
      const value = Reflect.get(target, key, target) as unknown;
      if (typeof value !== 'function') return value;
      if (!bound.has(key)) bound.set(key, value.bind(target));
      return bound.get(key);
    },
  });
}

/**
 * Counts the commits a storage provider makes: its transactions, and the dialog and update state writes made
 * outside one (each its own transaction). Installed on the provider itself (own properties over its members), so
 * call it before the provider is handed to a client.
 */
export function countCommits(storage: StorageProvider): () => number {
  let commits = 0;
  const count = (): void => {
    commits++;
  };
  const transaction = storage.transaction.bind(storage);
  Object.assign(storage, {
    transaction: async (op: Parameters<StorageProvider['transaction']>[0]) => {
      const r = await transaction(op);
      count();
      return r;
    },
    dialogs: counting(storage.dialogs, 'upsertMany', count),
    state: counting(storage.state, 'set', count),
  });
  return () => commits;
}
