/** Commit counting for tests and the e2e bench, in a module of its own (no side effects, no test server). */
import type { StorageProvider } from '@pm/core';

/**
 * Counts the commits a storage provider makes: its transactions, and the dialog and update state writes made
 * outside one (each its own transaction). Installed on the provider itself (own properties over its methods).
 */
export function countCommits(storage: StorageProvider): () => number {
  let commits = 0;
  const transaction = storage.transaction.bind(storage);
  const upsertDialogs = storage.dialogs.upsertMany.bind(storage.dialogs);
  const setState = storage.state.set.bind(storage.state);
  Object.assign(storage, {
    transaction: async (op: Parameters<StorageProvider['transaction']>[0]) => {
      const r = await transaction(op);
      commits++;
      return r;
    },
  });
  Object.assign(storage.dialogs, {
    upsertMany: async (...a: Parameters<typeof upsertDialogs>) => {
      await upsertDialogs(...a);
      commits++;
    },
  });
  Object.assign(storage.state, {
    set: async (...a: Parameters<typeof setState>) => {
      await setState(...a);
      commits++;
    },
  });
  return () => commits;
}
