/**
 * pm's PeerCache over its memory and SQLite providers, with its default options. Hot lookups are answered by the
 * LRU; cold ones by a second PeerCache over the same provider whose LRUs hold one entry, so every lookup reads the
 * provider (SQLite: a read through better-sqlite3, with SQLite's page cache warm).
 */
import { join } from 'node:path';
import {
  createMemoryStorage,
  openSqliteStorage,
  PeerCache,
  type PeerInput,
  type StorageProvider,
} from '@pm/core';
import type { Sighting } from '../data.js';
import type { OpenStore, Subject } from '../subject.js';

/** A benchmark sighting as the PeerInput a bot would hand the cache (also used by the Postgres suite). */
export function toInput(s: Sighting): PeerInput {
  return {
    id: s.id,
    type: 'user',
    accessHash: s.accessHash,
    firstName: s.firstName,
    lastName: s.lastName,
    usernames: [s.username],
    langCode: s.langCode,
  };
}

/** PeerCache over `storage` as the benchmark drives it (also used by the Postgres subject). */
export function openOver(storage: StorageProvider, flushEachBatch = false): OpenStore {
  const cache = new PeerCache({ storage, closeStorage: false });
  const cold = new PeerCache({ storage, closeStorage: false, cacheSize: 1, usernameCacheSize: 1 });
  return {
    prepare: (batch) => batch.map(toInput),
    // As a bot ingests: upserts back to back, written behind (group commit); the final flush() is timed.
    write: flushEachBatch
      ? async (prepared) => {
          await cache.upsert(prepared as PeerInput[]);
          await cache.flush();
        }
      : (prepared) => cache.upsert(prepared as PeerInput[]),
    settle: () => cache.flush(),
    commits: flushEachBatch
      ? 'each committed by flush()'
      : 'written behind (group commit), the final flush() timed',
    hot: { byId: (id) => cache.get(id), byUsername: (name) => cache.getByUsername(name) },
    cold: { byId: (id) => cold.get(id), byUsername: (name) => cold.getByUsername(name) },
    coldWrite: { write: (prepared) => cold.upsert(prepared as PeerInput[]), settle: () => cold.flush() },
    close: async () => {
      await cold.close();
      await cache.close();
      await storage.close();
    },
  };
}

export const pmMemory: Subject = {
  name: 'pm memory',
  open: async () => openOver(createMemoryStorage()),
};

export const pmSqlite: Subject = {
  name: 'pm sqlite',
  open: async (dir) => openOver(await openSqliteStorage({ path: join(dir, 'pm.db') })),
};

/**
 * pm over SQLite without the memory map (`mmapSizeMiB: 0`): reads go through `pread` and the page cache. Shows what the
 * map costs in RSS (the pages of the file it touched; a bot's cold lookups map in most of the file over time) against
 * what it saves per cold lookup.
 */
export const pmSqliteNoMmap: Subject = {
  name: 'pm sqlite, no mmap',
  open: async (dir) => openOver(await openSqliteStorage({ path: join(dir, 'pm.db'), mmapSizeMiB: 0 })),
};

/** pm over SQLite with `flush()` after every batch: each batch its own transaction, as before group commit. */
export const pmSqliteFlushEach: Subject = {
  name: 'pm sqlite, flush per batch',
  open: async (dir) => openOver(await openSqliteStorage({ path: join(dir, 'pm.db') }), true),
};
