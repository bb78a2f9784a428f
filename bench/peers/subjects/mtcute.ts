/**
 * mtcute 0.30's SQLite storage (`SqliteStorage` of @mtcute/node) through its peers repository, the calls its
 * client's PeersService makes: `peers.store(dto)` then `driver.save()` (one transaction per batch), `getById`,
 * `getByUsername`. The `complete` column holds the TL serialization of the user, as mtcute stores it; here the
 * bytes come from GramJS's serializer (the same TL constructor), built outside the timed part. mtcute's client
 * puts a 100-entry LRU of input peers in front; the repository alone is measured, hot and cold alike.
 */
import { join } from 'node:path';
import { NodePlatform, SqliteStorage } from '@mtcute/node';
import { LogManager } from '@mtcute/node/utils.js';
import { Api, bigInt } from '../../../packages/core/src/gram/tl.js';
import type { Sighting } from '../data.js';
import type { Lookups, Subject } from '../subject.js';

interface PeerDto {
  id: number;
  accessHash: string;
  isMin: boolean;
  usernames: string[];
  updated: number;
  complete: Uint8Array;
}

function toDto(s: Sighting, now: number): PeerDto {
  const user = new Api.User({
    id: bigInt(String(s.id)),
    accessHash: bigInt(String(s.accessHash)),
    firstName: s.firstName,
    lastName: s.lastName,
    username: s.username,
    langCode: s.langCode,
  });
  return {
    id: Number(s.id),
    accessHash: s.accessHash.toString(),
    isMin: false,
    usernames: [s.username],
    updated: now,
    complete: user.getBytes(),
  };
}

export const mtcuteSqlite: Subject = {
  name: 'mtcute SqliteStorage',
  open: async (dir) => {
    const storage = new SqliteStorage(join(dir, 'mtcute.db'));
    const platform = new NodePlatform();
    const log = new LogManager(undefined, platform);
    log.level = LogManager.OFF;
    storage.driver.setup(log, platform);
    await storage.driver.load();
    const l: Lookups = {
      byId: (id) => storage.peers.getById(Number(id)),
      byUsername: (name) => storage.peers.getByUsername(name),
    };
    return {
      prepare: (batch) => {
        const now = Date.now();
        return batch.map((s) => toDto(s, now));
      },
      write: async (prepared) => {
        for (const dto of prepared as PeerDto[]) storage.peers.store(dto);
        await storage.driver.save();
      },
      hot: l,
      cold: l,
      close: () => storage.driver.destroy(),
    };
  },
};
