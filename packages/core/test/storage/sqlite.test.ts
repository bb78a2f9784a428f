import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { sampleRecord } from '../../src/conformance/fixtures.js';
import { StorageError } from '../../src/errors.js';
import { PeerCache } from '../../src/storage/peer-cache.js';
import { INT64_MAX, INT64_MIN } from '../../src/storage/peer-ids.js';
import { LATEST_SCHEMA_VERSION, openSqliteStorage } from '../../src/storage/sqlite/index.js';
import { MIGRATIONS } from '../../src/storage/sqlite/migrations.js';
import { PEER_ROW } from '../../src/storage/sqlite/peers.js';

const dir = mkdtempSync(join(tmpdir(), 'pm-sqlite-'));
let n = 0;
const file = (): string => join(dir, `${n++}.db`);
const frozen = new Set<string>();
afterAll(() => {
  for (const path of frozen) unfreeze(path);
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Makes a file or folder refuse writes, also for root (who ignores permission bits): `chattr +i` where root
 * runs the tests, chmod otherwise. False when this machine cannot (e.g. a file system without the flag).
 */
function freeze(path: string): boolean {
  try {
    if (process.getuid?.() === 0) execFileSync('chattr', ['+i', path], { stdio: 'ignore' });
    else chmodSync(path, statSync(path).isDirectory() ? 0o555 : 0o444);
  } catch {
    return false;
  }
  frozen.add(path);
  try {
    if (statSync(path).isDirectory()) writeFileSync(join(path, 'probe'), 'x');
    else appendFileSync(path, '');
  } catch {
    return true; // writes are refused: frozen
  }
  return false;
}

function unfreeze(path: string): void {
  try {
    if (process.getuid?.() === 0) execFileSync('chattr', ['-i', path], { stdio: 'ignore' });
    else chmodSync(path, statSync(path).isDirectory() ? 0o755 : 0o644);
  } catch {}
  frozen.delete(path);
}

const digest = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

async function openError(path: string): Promise<StorageError> {
  const error = await openSqliteStorage({ path }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(StorageError);
  expect((error as Error).message).toContain(path);
  return error as StorageError;
}

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

  it('works where the runtime refuses code built from strings, its errors still typed', () => {
    // node --disallow-code-generation-from-strings (hardened hosts): pm's compiled codecs fall back to loops.
    const fixture = join(import.meta.dirname, 'fixtures', 'without-compiled-code.ts');
    const out = execFileSync(
      process.execPath,
      ['--disallow-code-generation-from-strings', '--import', 'tsx', fixture, file()],
      { cwd: join(import.meta.dirname, '..', '..', '..', '..'), encoding: 'utf8' },
    );
    expect(JSON.parse(out)).toEqual({
      refused: true,
      accessHash: '-9223372036854775808',
      usernames: ['No_Eval', 'second_name'],
      firstName: 'Eve',
      frozen: true,
      byName: '777',
      bySecond: '777',
      failure: 'StorageError',
    });
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

  it('reads the file through a memory map of 1 GiB by default, and without one on request', async () => {
    const mapped = await openSqliteStorage({ path: file() });
    expect(mapped.driver.db.pragma('mmap_size', { simple: true })).toBe(BigInt(2 ** 30));
    await mapped.close();
    const unmapped = await openSqliteStorage({ path: file(), mmapSizeMiB: 0 });
    expect(unmapped.driver.db.pragma('mmap_size', { simple: true })).toBe(0n);
    await unmapped.close();
  });

  it('keeps a page cache of 4 MiB by default (reads go through the map), and the size asked for', async () => {
    const small = await openSqliteStorage({ path: file() });
    // Negative: KiB rather than pages.
    expect(small.driver.db.pragma('cache_size', { simple: true })).toBe(-4096n);
    await small.close();
    const large = await openSqliteStorage({ path: file(), cacheSizeKiB: 65_536 });
    expect(large.driver.db.pragma('cache_size', { simple: true })).toBe(-65_536n);
    await large.close();
  });

  it('answers a lookup by id after a username lookup of the same peer with the row written since', async () => {
    const storage = await openSqliteStorage({ path: file() });
    const record = (firstName: string, lastUpdated: number) =>
      sampleRecord(7n, {
        usernames: ['Ann'],
        firstName,
        firstSeen: 1000,
        lastSeen: lastUpdated,
        lastUpdated,
      });
    await storage.peers.upsertMany([record('Old', 1000)]);
    // All in one turn of the event loop: one read transaction, ended by the write.
    expect(await storage.usernames.resolveMany(['ann'])).toEqual(new Map([['ann', 7n]]));
    await storage.peers.upsertMany([record('New', 2000)]);
    expect((await storage.peers.get(7n))?.firstName).toBe('New');
    expect(await storage.usernames.resolveMany(['ann'])).toEqual(new Map([['ann', 7n]]));
    expect((await storage.peers.getMany([7n])).get(7n)).toEqual(record('New', 2000));
    expect((await storage.peers.get(7n))?.firstName).toBe('New');
    await storage.close();
  });

  it('names the record changed last as the owner when two rows hold the same first username', async () => {
    for (const newer of [1n, 2n]) {
      const storage = await openSqliteStorage({ path: file() });
      const record = (id: bigint) =>
        sampleRecord(id, {
          usernames: ['Ann'],
          firstName: null,
          firstSeen: 1000,
          lastSeen: 1000,
          lastUpdated: id === newer ? 2000 : 1000,
        });
      // Two rows naming one owner: as a record rejected as older than the stored one leaves them.
      await storage.peers.upsertMany([record(1n), record(2n)]);
      expect(await storage.usernames.resolveMany(['ann'])).toEqual(new Map([['ann', newer]]));
      expect((await storage.peers.get(newer))?.lastUpdated).toBe(2000);
      await storage.close();
    }
  });

  it('answers a lookup with its own record after a read that failed on a bad row halfway', async () => {
    const path = file();
    const storage = await openSqliteStorage({ path });
    const ids = Array.from({ length: 10 }, (_, i) => BigInt(i + 1));
    await storage.peers.upsertMany(ids.map((id) => sampleRecord(id, { usernames: [`row_${id}`] })));
    await storage.close();
    const raw = new Database(path);
    raw.prepare("UPDATE peers SET usernames = X'00' WHERE id = 5").run(); // not text: the record cannot be read
    raw.close();
    const reopened = await openSqliteStorage({ path });
    // One statement reads rows 1 to 10 and fails at row 5, after building the records of rows 1 to 4.
    await expect(reopened.peers.getMany(ids)).rejects.toBeInstanceOf(StorageError);
    expect((await reopened.peers.get(7n))?.usernames).toEqual(['row_7']);
    expect(await reopened.usernames.resolveMany(['row_8'])).toEqual(new Map([['row_8', 8n]]));
    expect(await reopened.peers.get(11n)).toBeUndefined();
    await reopened.close();
  });

  it('lets no view or trigger in the file call the function its reads build records with', async () => {
    const path = file();
    const storage = await openSqliteStorage({ path });
    await storage.peers.upsertMany([sampleRecord(1n)]);
    await storage.close();
    const raw = new Database(path);
    raw.exec(`CREATE VIEW rows_through_pm AS SELECT ${PEER_ROW} AS x FROM peers`);
    raw.close();
    const reopened = await openSqliteStorage({ path });
    expect((await reopened.peers.get(1n))?.id).toBe(1n); // registers the function
    expect(() => reopened.driver.db.prepare('SELECT x FROM rows_through_pm').all()).toThrow(/unsafe use/);
    await reopened.close();
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

  it('refuses a database written by a newer schema before writing anything, even the switch to WAL', async () => {
    const path = file();
    await (await openSqliteStorage({ path })).close();
    const raw = new Database(path);
    raw.pragma('journal_mode = DELETE');
    raw.prepare('UPDATE schema_version SET version = ?').run(LATEST_SCHEMA_VERSION + 1);
    raw.close();
    const before = digest(path);
    const error = await openError(path);
    expect(error.code).toBe('STORAGE_SCHEMA_TOO_NEW');
    expect(digest(path)).toBe(before);
    const check = new Database(path, { readonly: true });
    expect(check.pragma('journal_mode', { simple: true })).toBe('delete');
    check.close();
  });

  it('migrates a version 2 file, keeping its dialogs, with no start message known', async () => {
    const path = file();
    const raw = new Database(path);
    raw.exec('CREATE TABLE schema_version (version INTEGER NOT NULL)');
    for (const m of MIGRATIONS.filter((m) => m.version <= 2)) raw.exec(m.sql);
    raw.exec('INSERT INTO schema_version (version) VALUES (2)');
    raw.exec(
      "INSERT INTO dialogs (user_id, started_at, via, payload, blocked) VALUES (5, 1000, 'start', 'p', 0)",
    );
    raw.close();
    const storage = await openSqliteStorage({ path });
    expect(storage.driver.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(await storage.dialogs.get(5n)).toMatchObject({
      startedAt: 1000,
      payload: 'p',
      startMessageId: null,
    });
    await storage.close();
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

describe('SQLite provider: a store another connection holds', () => {
  it('fails a transaction it cannot begin within the busy timeout with a typed, transient error naming the file', async () => {
    const path = file();
    const storage = await openSqliteStorage({ path, busyTimeoutMs: 50 });
    const other = new Database(path);
    other.exec('BEGIN EXCLUSIVE');
    try {
      const error = await storage.transaction(async () => {}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageError);
      expect(error).toMatchObject({ code: 'STORAGE_FAILED', kind: 'transient' });
      expect((error as Error).message).toBe(`SQLite transaction on ${path} failed: database is locked`);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    // Free again: the store works as before.
    await storage.transaction(async (tx) => tx.state.set('k', 'v'));
    expect(await storage.state.get('k')).toBe('v');
    await storage.close();
  });
});

describe('SQLite provider: files it cannot or must not open', () => {
  it('names the path when it is a directory', async () => {
    const path = join(dir, 'a-folder.db');
    mkdirSync(path);
    const error = await openError(path);
    expect(error).toMatchObject({ code: 'STORAGE_CANNOT_OPEN' });
    expect(error.message).toContain('is a directory');
  });

  it('names the path when it is a device or a pipe (FIFO), not a file', async () => {
    const fifo = join(dir, 'a-pipe.db');
    execFileSync('mkfifo', [fifo]);
    for (const [path, what] of [
      ['/dev/null', 'a device'],
      [fifo, 'a pipe (FIFO)'],
    ] as const) {
      const error = await openError(path);
      expect(error).toMatchObject({
        code: 'STORAGE_CANNOT_OPEN',
        message: `Cannot open SQLite storage at ${path}: it is ${what}, not a file`,
      });
    }
  });

  it('refuses a file that does not exist when told not to create it, and creates nothing', async () => {
    for (const path of [join(dir, 'no-such.db'), join(dir, 'no-such-folder', 'deeper', 'peers.db')]) {
      const error = await openSqliteStorage({ path, create: false }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageError);
      expect(error).toMatchObject({
        code: 'STORAGE_NOT_FOUND',
        message: `SQLite storage ${path} does not exist (nothing was created): check the path; commands that write create it`,
      });
    }
    expect(existsSync(join(dir, 'no-such.db'))).toBe(false);
    expect(existsSync(join(dir, 'no-such-folder'))).toBe(false);
    // A file under a path whose folder is a file does not exist either.
    const plain = file();
    writeFileSync(plain, '');
    await expect(openSqliteStorage({ path: join(plain, 'peers.db'), create: false })).rejects.toMatchObject({
      code: 'STORAGE_NOT_FOUND',
    });
    // A folder or a pipe is still refused as what it is.
    const folder = join(dir, 'a-folder-not-created.db');
    mkdirSync(folder);
    await expect(openSqliteStorage({ path: folder, create: false })).rejects.toMatchObject({
      code: 'STORAGE_CANNOT_OPEN',
      message: `Cannot open SQLite storage at ${folder}: it is a directory`,
    });
  });

  it('refuses an empty file (no tables) when told not to create a store, and writes nothing to it', async () => {
    const path = file();
    writeFileSync(path, '');
    await expect(openSqliteStorage({ path, create: false })).rejects.toMatchObject({
      code: 'STORAGE_NOT_FOUND',
      message: `SQLite storage ${path} is empty, no pm store in it (nothing was written): check the path; commands that write create it`,
    });
    expect(statSync(path).size).toBe(0);
    expect(existsSync(`${path}-wal`)).toBe(false);
    // Told to create it, the same file becomes a store.
    await (await openSqliteStorage({ path })).close();
    await (await openSqliteStorage({ path, create: false })).close();
  });

  it('opens an existing store when told not to create one', async () => {
    const path = file();
    const made = await openSqliteStorage({ path });
    await made.transaction(async (tx) => tx.state.set('k', 'v'));
    await made.close();
    const again = await openSqliteStorage({ path, create: false });
    expect(await again.state.get('k')).toBe('v');
    await again.close();
  });

  it('names the path of a read-only file', async (ctx) => {
    const path = file();
    await (await openSqliteStorage({ path })).close();
    if (!freeze(path)) ctx.skip('cannot make a file read-only here');
    const error = await openError(path);
    expect(error).toMatchObject({ code: 'STORAGE_CANNOT_OPEN' });
    unfreeze(path);
  });

  it('names the path of a new file in a read-only folder', async (ctx) => {
    const folder = join(dir, 'ro-folder');
    mkdirSync(folder);
    if (!freeze(folder)) ctx.skip('cannot make a folder read-only here');
    const error = await openError(join(folder, 'peers.db'));
    expect(error).toMatchObject({ code: 'STORAGE_CANNOT_OPEN' });
    unfreeze(folder);
  });

  it('names the folder it cannot create under a read-only folder', async (ctx) => {
    const folder = join(dir, 'ro-parent');
    mkdirSync(folder);
    if (!freeze(folder)) ctx.skip('cannot make a folder read-only here');
    const error = await openError(join(folder, 'missing', 'deeper', 'peers.db'));
    expect(error).toMatchObject({ code: 'STORAGE_CANNOT_OPEN' });
    expect(error.message).toContain(`cannot create its folder ${join(folder, 'missing', 'deeper')}`);
    unfreeze(folder);
  });

  it("refuses another application's SQLite file and leaves it untouched", async () => {
    const path = file();
    const raw = new Database(path);
    raw.exec(
      "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('keep me')",
    );
    raw.close();
    const before = digest(path);
    const error = await openError(path);
    expect(error).toMatchObject({ code: 'STORAGE_NOT_PM' });
    expect(error.message).toContain('notes');
    expect(digest(path)).toBe(before);
    const check = new Database(path, { readonly: true });
    expect(check.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()).toEqual([
      { name: 'notes' },
    ]);
    check.close();
  });

  it('refuses a file that is not a SQLite database, untouched', async () => {
    const path = file();
    writeFileSync(path, 'name,phone\nann,555\n'.repeat(500));
    const before = digest(path);
    const error = await openError(path);
    expect(error).toMatchObject({ code: 'STORAGE_NOT_PM' });
    expect(digest(path)).toBe(before);
  });

  it('answers reads of a file damaged in the middle with typed errors, and check() says what is broken', async () => {
    const path = file();
    const storage = await openSqliteStorage({ path });
    const cache = new PeerCache({ storage });
    await cache.upsert(
      Array.from({ length: 3000 }, (_, i) => ({
        id: BigInt(i + 1),
        type: 'user' as const,
        accessHash: BigInt(i) * 7919n,
        firstName: `Someone with a longish name ${i}`,
        usernames: [`damaged_${i}`],
      })),
    );
    await cache.close();
    const raw = new Database(path);
    const pageSize = Number(raw.pragma('page_size', { simple: true }));
    const pages = Number(raw.pragma('page_count', { simple: true }));
    raw.close();
    expect(pages).toBeGreaterThan(20);
    // Garbage over a run of pages in the middle, leaving the header and the schema page intact.
    const fd = openSync(path, 'r+');
    const garbage = Buffer.alloc(pageSize * 6, 0xa5);
    writeSync(fd, garbage, 0, garbage.length, pageSize * Math.floor(pages / 2));
    closeSync(fd);
    const damaged = await openSqliteStorage({ path });
    const reads: (() => Promise<unknown>)[] = [
      () => damaged.peers.count(),
      () => damaged.peers.page(null, 5000),
      () => damaged.usernames.resolveMany(Array.from({ length: 3000 }, (_, i) => `damaged_${i}`)),
      () => damaged.peers.getMany(Array.from({ length: 3000 }, (_, i) => BigInt(i + 1))),
    ];
    let failures = 0;
    for (const read of reads) {
      const error = await read().then(
        () => undefined,
        (e: unknown) => e,
      );
      if (error === undefined) continue;
      failures++;
      expect(error).toBeInstanceOf(StorageError);
      expect(error).toMatchObject({ code: 'STORAGE_DAMAGED' });
      expect((error as Error).message).toContain(path);
    }
    expect(failures).toBeGreaterThan(0);
    // The synchronous reads of a lookup that misses the peer cache's memory, one key at a time, fail the same way.
    const readAll = [
      () => Array.from({ length: 3000 }, (_, i) => damaged.peers.getNow?.(BigInt(i + 1))),
      () => Array.from({ length: 3000 }, (_, i) => damaged.usernames.resolveNow?.(`damaged_${i}`)),
    ];
    for (const read of readAll) {
      expect(read).toThrow(StorageError);
      expect(read).toThrow(`SQLite storage ${path} is damaged`);
    }
    const problems = await damaged.check();
    expect(problems.length).toBeGreaterThan(0);
    await damaged.close();
    const sound = await openSqliteStorage({ path: file() });
    expect(await sound.check()).toEqual([]);
    await sound.close();
  });
});
