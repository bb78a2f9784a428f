/**
 * GramJS 2.26's own entity caches, through their public session API (`processEntities`, `getInputEntity`), the
 * calls `TelegramClient` makes for every update and every `getInputEntity(peer)`:
 * - `MemorySession` (what `StringSession` extends): a `Set` of rows, scanned linearly on every lookup.
 * - `StoreSession`: one file per peer through node-localstorage (5 MB quota by default); it keeps no username
 *   index, so a lookup by username never finds a stored peer.
 */
import { createRequire } from 'node:module';
import { basename } from 'node:path';
import { Api, bigInt } from '../../../packages/core/src/gram/tl.js';
import type { Sighting } from '../data.js';
import type { Lookups, OpenStore, Subject } from '../subject.js';

interface GramSession {
  processEntities(tlo: unknown): void;
  getInputEntity(key: unknown): unknown;
  load(): Promise<void>;
}

// GramJS is a dependency of @pm/core, not of the workspace root: load it from there (the instance pm uses).
const requireFromCore = createRequire(new URL('../../../packages/core/package.json', import.meta.url));
const { MemorySession } = requireFromCore('telegram/sessions/Memory.js') as {
  MemorySession: new () => GramSession;
};
const { StoreSession } = requireFromCore('telegram/sessions/StoreSession.js') as {
  StoreSession: new (name: string) => GramSession;
};

function toUser(s: Sighting): Api.User {
  return new Api.User({
    id: bigInt(String(s.id)),
    accessHash: bigInt(String(s.accessHash)),
    firstName: s.firstName,
    lastName: s.lastName,
    username: s.username,
    langCode: s.langCode,
  });
}

/**
 * getInputEntity throws when it finds nothing; a lookup answers undefined instead. Ids go in as decimal strings
 * (as `client.getInputEntity('123')`): a big-integer key is taken for a Peer object and never found.
 */
function lookups(session: GramSession): Lookups {
  const find = (key: unknown): unknown => {
    try {
      return session.getInputEntity(key);
    } catch {
      return undefined;
    }
  };
  return { byId: (id) => find(String(id)), byUsername: (name) => find(name) };
}

function openSession(session: GramSession, unsupported?: OpenStore['unsupported']): OpenStore {
  const l = lookups(session);
  return {
    prepare: (batch) => ({ users: batch.map(toUser) }),
    write: (prepared) => session.processEntities(prepared),
    hot: l,
    cold: l,
    ...(unsupported ? { unsupported } : {}),
    close: () => {},
  };
}

export const gramMemory: Subject = {
  name: 'gramjs MemorySession',
  open: async () => openSession(new MemorySession()),
};

export const gramStore: Subject = {
  name: 'gramjs StoreSession',
  open: async (dir) => {
    // StoreSession keeps its files in ./<name> of the working directory, and store2 hands every StoreSession of
    // one name in a process the first one's storage: a name per store directory keeps them apart.
    process.chdir(dir);
    const session = new StoreSession(`gramjs_${basename(dir)}`);
    await session.load();
    return openSession(session, {
      byUsername: 'StoreSession keeps no username index: lookups by username never find a stored peer',
    });
  },
};
