/**
 * Schema 3 → 4 (peers keyed by append order, first username in the peer's row): a 100,000-peer store written the
 * way schema 3 stored peers (rows in `peers` keyed by id, every username a row of `usernames` with its position) is
 * opened by the current code, migrated, and answers every lookup as before; the merge rules keep working on it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { PeerCache } from '../../src/storage/peer-cache.js';
import { LATEST_SCHEMA_VERSION, openSqliteStorage } from '../../src/storage/sqlite/index.js';
import { MIGRATIONS } from '../../src/storage/sqlite/migrations.js';

const dir = mkdtempSync(join(tmpdir(), 'pm-sqlite-migration-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const N = 100_000;
const AT = 1_700_000_000_000;
/** Peer i (1-based): ids spread out of order; every 10th has a second (collectible) username, every 7th none. */
const idOf = (i: number): bigint => BigInt(((i * 7_368_787) % N) + 1) * 1000n + 7n;
const namesOf = (i: number): string[] =>
  i % 7 === 0 ? [] : i % 10 === 0 ? [`User_${i}`, `extra_${i}`] : [`User_${i}`];
const phoneOf = (i: number): string | null => (i % 1000 === 0 ? `7900${i}` : null);

/** A schema-3 store, written with the statements schema 3's SQLite provider ran. */
function makeVersion3Store(path: string): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE schema_version (version INTEGER NOT NULL)');
  for (const m of MIGRATIONS.filter((m) => m.version <= 3)) db.exec(m.sql);
  db.exec('INSERT INTO schema_version (version) VALUES (3)');
  const peer = db.prepare(
    'INSERT INTO peers (id, type, access_hash, min, usernames, first_name, last_name, title, phone, lang_code, ' +
      'lang_code_seen_at, premium, verified, deleted, photo_id, first_seen, last_seen, last_updated) ' +
      'VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, NULL, 0, NULL, ?, ?, ?)',
  );
  const username = db.prepare(
    'INSERT INTO usernames (username_lower, peer_id, username, position) VALUES (?, ?, ?, ?)',
  );
  const history = db.prepare(
    'INSERT INTO peer_history (peer_id, field, old_value, new_value, at) VALUES (?, ?, ?, ?, ?)',
  );
  db.transaction(() => {
    for (let i = 1; i <= N; i++) {
      const id = idOf(i);
      const names = namesOf(i);
      peer.run(
        id,
        'user',
        -id,
        i % 13 === 0 ? 1 : 0,
        names.join(' '),
        `First${i}`,
        i % 2 === 0 ? 'Last' : null,
        phoneOf(i),
        i % 3 === 0 ? 'en' : null,
        i % 3 === 0 ? AT : null,
        i % 5 === 0 ? 1 : null,
        AT,
        AT + i,
        AT,
      );
      names.forEach((name, position) => {
        username.run(name.toLowerCase(), id, name, position);
      });
    }
    history.run(idOf(42), 'firstName', 'Old', 'First42', AT);
  })();
  db.close();
}

describe('SQLite schema 3 → 4', () => {
  it('migrates a 100,000-peer store written by schema 3: every record, username, phone and history row answers as before', async () => {
    const path = join(dir, 'v3.db');
    makeVersion3Store(path);

    const storage = await openSqliteStorage({ path });
    expect(storage.driver.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(await storage.check()).toEqual([]);
    const cache = new PeerCache({ storage, now: () => AT + 10 * N });
    expect(await cache.count()).toBe(N);
    for (const i of [1, 7, 10, 13, 42, 999, 1000, 54_321, N - 1, N]) {
      const id = idOf(i);
      const names = namesOf(i);
      expect(await cache.get(id)).toEqual({
        id,
        type: 'user',
        accessHash: -id,
        min: i % 13 === 0,
        usernames: names,
        firstName: `First${i}`,
        lastName: i % 2 === 0 ? 'Last' : null,
        title: null,
        phone: phoneOf(i),
        langCode: i % 3 === 0 ? 'en' : null,
        langCodeSeenAt: i % 3 === 0 ? AT : null,
        premium: i % 5 === 0 ? true : null,
        verified: null,
        deleted: false,
        photoId: null,
        firstSeen: AT,
        lastSeen: AT + i,
        lastUpdated: AT,
      });
      for (const name of names) expect((await cache.getByUsername(name.toUpperCase()))?.id).toBe(id);
      const phone = phoneOf(i);
      if (phone !== null) expect((await cache.getByPhone(`+${phone}`))?.id).toBe(id);
    }
    // Every username of every peer, straight from the repository.
    const all = Array.from({ length: N }, (_, k) => k + 1).flatMap((i) =>
      namesOf(i).map((name) => [name.toLowerCase(), idOf(i)] as const),
    );
    const owners = await storage.usernames.resolveMany(all.map(([name]) => name));
    expect(owners.size).toBe(all.length);
    for (const [name, id] of all) expect(owners.get(name)).toBe(id);
    expect(await cache.history(idOf(42))).toEqual([
      { peerId: idOf(42), field: 'firstName', before: 'Old', after: 'First42', at: AT },
    ]);
    let previous = -1n;
    let seen = 0;
    for await (const record of cache.iterate({ pageSize: 5000 })) {
      expect(record.id > previous).toBe(true);
      previous = record.id;
      seen++;
    }
    expect(seen).toBe(N);

    // The rules keep working on migrated rows: a username (primary or collectible) moves to its new owner.
    await cache.upsert([{ id: idOf(1), type: 'user', accessHash: 1n, usernames: ['extra_10', 'user_20'] }]);
    await cache.close();
    const again = new PeerCache({ storage: await openSqliteStorage({ path }) });
    expect((await again.getByUsername('extra_10'))?.id).toBe(idOf(1));
    expect((await again.getByUsername('user_20'))?.id).toBe(idOf(1));
    expect((await again.getByUsername('user_1'))?.id).toBeUndefined();
    expect((await again.get(idOf(10)))?.usernames).toEqual(['User_10']);
    expect((await again.get(idOf(20)))?.usernames).toEqual(['extra_20']);
    expect((await again.getByUsername('extra_20'))?.id).toBe(idOf(20));
    expect(await again.history(idOf(20))).toMatchObject([
      { field: 'usernames', before: ['User_20', 'extra_20'], after: ['extra_20'] },
    ]);
    await again.close();
  }, 120_000);
});
