/**
 * WAL checkpoints in a worker thread (checkpointer.ts): once a store is large enough, what a commit wrote reaches the
 * database file without the committing thread running the checkpoint.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { PeerCache } from '../../src/storage/peer-cache.js';
import { openSqliteStorage } from '../../src/storage/sqlite/index.js';

const dir = mkdtempSync(join(tmpdir(), 'pm-sqlite-checkpoint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const users = (from: number, count: number) =>
  Array.from({ length: count }, (_, k) => ({
    id: BigInt(from + k),
    type: 'user' as const,
    accessHash: BigInt(-(from + k)),
    usernames: [`user_${from + k}`],
  }));

/**
 * Peers in the database file alone, as a copy without its WAL sees them; -1 when the copy caught the worker halfway
 * through writing pages (a torn copy reads as damaged or not a database), so the caller looks again.
 */
function peersInMainFile(path: string, name: string): number {
  const copy = join(dir, name);
  copyFileSync(path, copy);
  let db: Database.Database;
  try {
    db = new Database(copy, { readonly: true });
  } catch (error) {
    if (tornCopy(error)) return -1;
    throw error;
  }
  try {
    // Before any checkpoint even the schema is only in the WAL.
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE name = 'peers'").all();
    if (tables.length === 0) return 0;
    return Number((db.prepare('SELECT count(*) AS n FROM peers').get() as { n: number }).n);
  } catch (error) {
    if (tornCopy(error)) return -1;
    throw error;
  } finally {
    db.close();
  }
}

function tornCopy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB';
}

async function until(check: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('SQLite WAL checkpoints', () => {
  it('copies committed pages into the database file from a worker thread once the store is large enough', async () => {
    const path = join(dir, 'background.db');
    const storage = await openSqliteStorage({ path, backgroundCheckpointPages: 0 });
    const cache = new PeerCache({ storage });
    await cache.upsert(users(1, 500));
    await cache.flush();
    expect(storage.driver.backgroundCheckpoints).toBe(true);
    // SQLite's own checkpoint is off on the writing connection: only the worker moves pages into the file.
    expect(storage.driver.db.pragma('wal_autocheckpoint', { simple: true })).toBe(0n);
    let copies = 0;
    await until(() => peersInMainFile(path, `copy-${copies++}.db`) === 500);
    await cache.upsert(users(1000, 300));
    await cache.flush();
    await until(() => peersInMainFile(path, `copy-${copies++}.db`) === 800);
    expect((await cache.getByUsername('user_1200'))?.id).toBe(1200n);
    await cache.close();
    const again = await openSqliteStorage({ path });
    expect(await again.peers.count()).toBe(800);
    await again.close();
  }, 90_000);

  // Linux: the read system calls of this process (/proc/self/io; the forks pool runs each test file in its own).
  it.skipIf(process.platform !== 'linux')(
    'reads pages the worker copied into the file through the memory map, not with a system call each',
    async () => {
      const path = join(dir, 'mapped.db');
      // A page cache of 16 pages: a page read from the file, not from the map, is read again on every lookup.
      const storage = await openSqliteStorage({ path, backgroundCheckpointPages: 0, cacheSizeKiB: 64 });
      const cache = new PeerCache({ storage, closeStorage: false });
      let copies = 0;
      await cache.upsert(users(1, 500));
      await cache.flush();
      await until(() => peersInMainFile(path, `mapped-${copies++}.db`) === 500);
      await new Promise((resolve) => setImmediate(resolve));
      expect(await storage.peers.get(1n)).toBeDefined(); // the connection maps the file as it is now
      const n = 5000;
      for (let from = 501; from <= n; from += 500) {
        await cache.upsert(users(from, 500));
        await cache.flush();
      }
      await until(() => peersInMainFile(path, `mapped-${copies++}.db`) === n);
      const readCalls = (): number =>
        Number(/^syscr:\s+(\d+)/m.exec(readFileSync('/proc/self/io', 'utf8'))?.[1]);
      const readsToLookUpAll = async (): Promise<number> => {
        await new Promise((resolve) => setImmediate(resolve)); // a read transaction of its own
        const before = readCalls();
        // Ids far apart, each on another page than the last.
        for (let k = 0; k < n; k++) {
          if ((await storage.peers.get(BigInt(((k * 1009) % n) + 1))) === undefined) return -1;
        }
        return readCalls() - before;
      };
      // The file grew tenfold after the connection mapped it; once the worker's checkpoint is done, it is mapped
      // whole (a few reads remain: /proc/self/io itself). Before, every lookup of a page past the old map read it.
      const deadline = Date.now() + 20_000;
      let reads = await readsToLookUpAll();
      while (reads > 100 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        reads = await readsToLookUpAll();
      }
      expect(reads).toBeGreaterThanOrEqual(0);
      expect(reads).toBeLessThan(100);
      await cache.close();
      await storage.close();
    },
    60_000,
  );

  it('leaves small stores to SQLite: no worker below the threshold', async () => {
    const path = join(dir, 'small.db');
    const storage = await openSqliteStorage({ path });
    const cache = new PeerCache({ storage });
    await cache.upsert(users(1, 100));
    await cache.flush();
    expect(storage.driver.backgroundCheckpoints).toBe(false);
    expect(peersInMainFile(path, 'small-copy.db')).toBe(0); // still in the WAL, below wal_autocheckpoint
    await cache.close();
  });

  it('checkpoints a store below the threshold every 1000 WAL pages, so its pages are read through the map', async () => {
    // 100k small peers, ~2600 pages (well under the worker's 10,000): with a WAL allowed to grow to the worker's
    // threshold such a store lived wholly in its WAL, and every cold lookup read its pages with a system call each.
    const path = join(dir, 'medium.db');
    const storage = await openSqliteStorage({ path });
    const cache = new PeerCache({ storage });
    for (let from = 1; from <= 100_000; from += 10_000) {
      await cache.upsert(users(from, 10_000));
      await cache.flush();
    }
    expect(storage.driver.backgroundCheckpoints).toBe(false);
    const inMainFile = peersInMainFile(path, 'medium-copy.db');
    expect(inMainFile).toBeGreaterThan(50_000); // only the peers of the last < 1000 pages are still in the WAL
    await cache.close();
  });
});

describe('SQLite reads of one event-loop turn', () => {
  it('share one read transaction that ends before any write and at the next turn, so no commit is missed', async () => {
    const storage = await openSqliteStorage({ path: join(dir, 'reads.db') });
    const [ann] = users(1, 1);
    expect(await storage.peers.get(1n)).toBeUndefined();
    expect(storage.driver.db.inTransaction).toBe(true); // the read transaction of this turn
    const cache = new PeerCache({ storage, closeStorage: false });
    await cache.upsert(ann ? [ann] : []);
    await cache.flush(); // ends the read, commits
    expect((await storage.peers.get(1n))?.usernames).toEqual(['user_1']);
    expect((await storage.usernames.resolveMany(['user_1'])).get('user_1')).toBe(1n);
    await new Promise((resolve) => setImmediate(resolve));
    expect(storage.driver.db.inTransaction).toBe(false);
    await cache.close();
    await storage.close();
  });
});

describe('SQLite WAL checkpoints when the worker cannot run', () => {
  it('goes back to SQLite’s own checkpoints and keeps writing when the worker cannot open the file', async () => {
    const path = join(dir, 'gone.db');
    const storage = await openSqliteStorage({ path, backgroundCheckpointPages: 0 });
    const autocheckpoint = storage.driver.db.pragma('wal_autocheckpoint', { simple: true });
    // The file disappears under the open connection (a cleanup job, another user): the worker, which opens the
    // file by name on the first commit, fails; the open connection still holds it.
    rmSync(path);
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    const cache = new PeerCache({ storage });
    await cache.upsert(users(1, 50));
    await cache.flush();
    await until(() => !storage.driver.backgroundCheckpoints);
    // Said out loud, once, naming the store.
    await until(() => warnings.length > 0);
    process.off('warning', onWarning);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ code: 'PM_SQLITE_CHECKPOINT_THREAD_FAILED' });
    expect(warnings[0]?.message).toContain(path);
    expect(storage.driver.db.pragma('wal_autocheckpoint', { simple: true })).toBe(autocheckpoint);
    await cache.upsert(users(100, 50));
    await cache.flush();
    expect(await storage.peers.count()).toBe(100);
    expect((await cache.getByUsername('user_120'))?.id).toBe(120n);
    await cache.close();
  }, 90_000);
});
