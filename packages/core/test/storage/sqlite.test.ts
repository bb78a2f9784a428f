import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { StorageError } from '../../src/errors.js';
import { PeerCache } from '../../src/storage/peer-cache.js';
import { INT64_MAX, INT64_MIN } from '../../src/storage/peer-ids.js';
import { LATEST_SCHEMA_VERSION, openSqliteStorage } from '../../src/storage/sqlite/index.js';

const dir = mkdtempSync(join(tmpdir(), 'pm-sqlite-'));
let n = 0;
const file = (): string => join(dir, `${n++}.db`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const mode = (path: string): number => statSync(path).mode & 0o777;

describe('SQLite provider', () => {
  it('creates the database and its -wal/-shm files readable by the owner only', async () => {
    const path = join(dir, 'nested', 'folder', 'peers.db');
    const storage = await openSqliteStorage({ path });
    const cache = new PeerCache({ storage, closeStorage: false });
    await cache.upsert([{ id: 1n, type: 'user', accessHash: 1n }]);
    await cache.flush();
    expect(mode(path)).toBe(0o600);
    expect(mode(`${path}-wal`)).toBe(0o600);
    expect(mode(`${path}-shm`)).toBe(0o600);
    await cache.close();
    await storage.close();
  });

  it('runs in WAL mode with synchronous NORMAL by default and FULL on request', async () => {
    const normal = await openSqliteStorage({ path: file() });
    expect(normal.driver.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(normal.driver.db.pragma('synchronous', { simple: true })).toBe(1n);
    await normal.close();
    const full = await openSqliteStorage({ path: file(), synchronous: 'FULL' });
    expect(full.driver.db.pragma('synchronous', { simple: true })).toBe(2n);
    await full.close();
  });

  it('records the schema version and migrates only once', async () => {
    const path = file();
    const first = await openSqliteStorage({ path });
    expect(first.driver.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    await first.close();
    const again = await openSqliteStorage({ path });
    expect(again.driver.db.prepare('SELECT count(*) AS n FROM schema_version').get()).toEqual({ n: 1n });
    await again.close();
  });

  it('refuses a database written by a newer schema', async () => {
    const path = file();
    await (await openSqliteStorage({ path })).close();
    const raw = new Database(path);
    raw.prepare('UPDATE schema_version SET version = ?').run(LATEST_SCHEMA_VERSION + 1);
    raw.close();
    const error = await openSqliteStorage({ path }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).code).toBe('STORAGE_SCHEMA_TOO_NEW');
  });

  it('stores ids and hashes as exact 64-bit INTEGERs', async () => {
    const path = file();
    const storage = await openSqliteStorage({ path });
    const cache = new PeerCache({ storage });
    await cache.upsert([{ id: INT64_MAX, type: 'user', accessHash: INT64_MIN }]);
    await cache.close();
    const raw = new Database(path, { readonly: true });
    raw.defaultSafeIntegers(true);
    expect(raw.prepare('SELECT typeof(id) AS t, id, access_hash FROM peers').get()).toEqual({
      t: 'integer',
      id: INT64_MAX,
      access_hash: INT64_MIN,
    });
    raw.close();
  });

  it('closes idempotently and refuses use afterwards', async () => {
    const storage = await openSqliteStorage({ path: file() });
    await storage.close();
    await storage.close();
    await expect(storage.peers.count()).rejects.toBeInstanceOf(StorageError);
    await expect(storage.transaction(async () => 1)).rejects.toMatchObject({ code: 'STORAGE_CLOSED' });
  });

  it('sets aside a peer a constraint of the file refuses and writes the others', async () => {
    const path = file();
    await (await openSqliteStorage({ path })).close();
    const raw = new Database(path);
    raw.exec(`CREATE TRIGGER no_poison BEFORE INSERT ON peers WHEN NEW.first_name = 'Poison'
      BEGIN SELECT RAISE(ABORT, 'poison refused'); END`);
    raw.close();
    const errors: StorageError[] = [];
    const storage = await openSqliteStorage({ path });
    const cache = new PeerCache({ storage, onError: (e) => errors.push(e) });
    await cache.upsert(
      Array.from({ length: 30 }, (_, i) => ({
        id: BigInt(i + 1),
        type: 'user' as const,
        accessHash: 1n,
        firstName: i === 20 ? 'Poison' : `U${i}`,
      })),
    );
    await cache.close();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'STORAGE_RECORD_REJECTED', peerIds: [21n] });
    expect(errors[0]?.message).toContain('poison refused');
    const check = await openSqliteStorage({ path });
    expect(await check.peers.count()).toBe(29);
    await check.close();
  });
});
