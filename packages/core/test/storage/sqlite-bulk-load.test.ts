import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { ImportError } from '../../src/import/errors.js';
import { EXPORT_FIELDS } from '../../src/import/export-schema.js';
import {
  PACKED_FIELDS,
  PACKED_WIDTH,
  type PackedPeers,
  type PeerGroup,
  packRecord,
} from '../../src/storage/packed-peers.js';
import { PeerCache } from '../../src/storage/peer-cache.js';
import { openSqliteStorage, type SqliteStorageProvider } from '../../src/storage/sqlite/index.js';
import type { PeerRecord } from '../../src/storage/types.js';
import { exportedRecord } from '../import/fixtures.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'pm-bulk-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const record = exportedRecord;

async function* groups(...batches: PeerRecord[][]): AsyncGenerator<PeerRecord[]> {
  for (const batch of batches) yield batch;
}

/** Records packed as pm's export reader packs them: 64-bit values as decimal text. */
function packed(records: readonly PeerRecord[]): PackedPeers {
  const values: unknown[] = [];
  for (const r of records) packRecord(r, values);
  for (let at = 0; at < values.length; at += PACKED_WIDTH) {
    for (const i of [0, 2, 14]) if (values[at + i] !== null) values[at + i] = String(values[at + i]);
  }
  return {
    values,
    count: records.length,
    firstId: (records[0] as PeerRecord).id,
    lastId: (records.at(-1) as PeerRecord).id,
  };
}

/** The groups as records, or packed (every other one, the rest as records). */
const FORMS = {
  records: groups,
  'packed rows': async function* (...batches: PeerRecord[][]): AsyncGenerator<PeerGroup> {
    for (const [i, batch] of batches.entries()) yield i % 2 === 0 ? packed(batch) : batch;
  },
} as const;

/** The store's schema: every table and index with its SQL. */
function schema(storage: SqliteStorageProvider): unknown[] {
  return storage.driver.db
    .prepare(
      "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .all();
}

const journalMode = (storage: SqliteStorageProvider): unknown =>
  storage.driver.db.pragma('journal_mode', { simple: true });

let n = 0;
const newStore = () => openSqliteStorage({ path: join(dir, `store-${++n}.db`) });

describe('packed rows', () => {
  it('hold every field of a record in the export order, then the lookup username', () => {
    expect(PACKED_FIELDS).toEqual([...EXPORT_FIELDS, 'username']);
    expect(PACKED_WIDTH).toBe(EXPORT_FIELDS.length + 1);
  });
});

describe.each(Object.keys(FORMS) as (keyof typeof FORMS)[])('SQLite bulk load of %s', (form) => {
  const groups = FORMS[form];

  it('loads an empty store in one go and leaves it as a store written peer by peer: same schema, indexes, lookups', async () => {
    const storage = await newStore();
    const before = schema(storage);
    const records = Array.from({ length: 3000 }, (_, i) =>
      record(
        BigInt(i + 1),
        i % 10 === 0 ? { usernames: [`Name_${i}`, `extra_${i}`], phone: `1555${i}` } : {},
      ),
    );
    const result = await storage.bulkLoadPeers(
      groups(records.slice(0, 1000), records.slice(1000, 1300), records.slice(1300)),
    );
    expect(result).toEqual({ loaded: 3000, deferred: [] });
    expect(schema(storage)).toEqual(before);
    expect(await storage.check()).toEqual([]);
    expect(await storage.peers.count()).toBe(3000);
    expect(await storage.peers.page(null, 5000)).toStrictEqual(records);
    const cache = new PeerCache({ storage, closeStorage: false });
    expect((await cache.getByUsername('name_10'))?.id).toBe(11n);
    expect((await cache.getByUsername('EXTRA_10'))?.id).toBe(11n);
    expect((await cache.getByUsername('user_2999'))?.id).toBe(2999n);
    expect((await storage.peers.findByPhones(['155520'])).get('155520')).toBe(21n);
    // The store goes on as any other: a later sighting merges.
    await cache.upsert([{ id: 5n, usernames: ['renamed_5'] }]);
    await cache.flush();
    expect((await cache.getByUsername('renamed_5'))?.id).toBe(5n);
    expect(await cache.getByUsername('user_5')).toBeUndefined();
    await cache.close();
    await storage.close();
  });

  it('hands back, in order, each record that claims a username or phone an earlier record of the load claimed', async () => {
    const storage = await newStore();
    const records = [
      record(1n, { usernames: ['alice', 'alice_nft'] }),
      record(2n, { usernames: ['Alice'] }), // first name taken by 1
      record(3n, { usernames: ['bob', 'ALICE_NFT'] }), // further name taken by 1
      record(4n, { usernames: ['carol'], phone: '155501' }),
      record(5n, { usernames: ['dave'], phone: '155501' }), // phone taken by 4
      record(6n, { usernames: ['erin', 'frank'] }),
      record(7n, { usernames: ['frank'] }), // taken by 6's further name
      record(8n, { usernames: ['gina', 'gina_2'] }),
      record(9n, { usernames: ['hank', 'gina_2'] }), // further name taken by 8's further name
    ];
    const result = await storage.bulkLoadPeers(
      groups(records.slice(0, 4), records.slice(4, 7), records.slice(7)),
    );
    expect(result?.deferred).toStrictEqual([records[1], records[2], records[4], records[6], records[8]]);
    expect(result?.loaded).toBe(4);
    expect((await storage.peers.page(null, 100)).map((p) => p.id)).toEqual([1n, 4n, 6n, 8n]);
    const owners = await storage.usernames.resolveMany([
      'alice',
      'alice_nft',
      'bob',
      'frank',
      'gina_2',
      'hank',
    ]);
    expect(owners).toEqual(
      new Map([
        ['alice', 1n],
        ['alice_nft', 1n],
        ['frank', 6n],
        ['gina_2', 8n],
      ]),
    );
    expect(await storage.check()).toEqual([]);
    await storage.close();
  });

  it('keeps the first claim of each phone when the load has many phones', async () => {
    const storage = await newStore();
    const records = Array.from({ length: 12_000 }, (_, i) =>
      record(BigInt(i + 1), { phone: `1555${i % 11_000}` }),
    );
    const result = await storage.bulkLoadPeers(groups(records.slice(0, 5000), records.slice(5000)));
    expect(result?.deferred).toStrictEqual(records.slice(11_000));
    expect(result?.loaded).toBe(11_000);
    expect((await storage.peers.findByPhones(['15557', '155510999'])).get('15557')).toBe(8n);
    expect(await storage.check()).toEqual([]);
    await storage.close();
  });

  it('reads nothing and writes nothing into a store that holds peers already', async () => {
    const storage = await newStore();
    const cache = new PeerCache({ storage, closeStorage: false });
    await cache.upsert([{ id: 9n, type: 'user', accessHash: 1n }]);
    await cache.close();
    let pulled = false;
    async function* source(): AsyncGenerator<PeerRecord[]> {
      pulled = true;
      yield [record(1n)];
    }
    expect(await storage.bulkLoadPeers(source())).toBeUndefined();
    expect(pulled).toBe(false);
    expect(await storage.peers.count()).toBe(1);
    await storage.close();
  });

  it('loads nothing when the source fails midway, and says what the source said', async () => {
    const storage = await newStore();
    const before = schema(storage);
    const failure = new ImportError('IMPORT_UNREADABLE', 'peers.jsonl', 'read failed');
    async function* failing(): AsyncGenerator<PeerRecord[]> {
      yield Array.from({ length: 2000 }, (_, i) => record(BigInt(i + 1)));
      throw failure;
    }
    await expect(storage.bulkLoadPeers(failing())).rejects.toBe(failure);
    expect(journalMode(storage)).toBe('wal');
    expect(await storage.peers.count()).toBe(0);
    expect(schema(storage)).toEqual(before);
    expect(await storage.check()).toEqual([]);
    // And the store takes a load afterwards.
    expect((await storage.bulkLoadPeers(groups([record(1n)])))?.loaded).toBe(1);
    await storage.close();
  });

  it('refuses ids out of order, naming the id, and loads none of them', async () => {
    const storage = await newStore();
    const error: unknown = await storage
      .bulkLoadPeers(groups([record(1n), record(5n)], [record(5n)], [record(6n)]))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toContain('peer id 5 after 5');
    const second: unknown = await storage
      .bulkLoadPeers(groups([record(7n)], [record(1n), record(8n)], [record(9n)]))
      .catch((e: unknown) => e);
    expect((second as Error).message).toContain('peer id 1 after 7');
    expect(await storage.peers.count()).toBe(0);
    await storage.close();
  });

  it.runIf(form === 'records')(
    'writes the load into the file rather than the WAL, and is back in WAL mode for what follows',
    async () => {
      const path = join(dir, `no-wal-${++n}.db`);
      const storage = await openSqliteStorage({ path, cacheSizeKiB: 256, backgroundCheckpointPages: 0 });
      const records = Array.from({ length: 20_000 }, (_, i) => record(BigInt(i + 1)));
      expect(
        (await storage.bulkLoadPeers(groups(records.slice(0, 10_000), records.slice(10_000))))?.loaded,
      ).toBe(20_000);
      // Through the WAL, every page of the load would have been written twice and the WAL left as large as the load.
      expect(statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0).toBeLessThan(64 * 1024);
      expect(statSync(path).size).toBeGreaterThan(2 ** 20);
      expect(journalMode(storage)).toBe('wal');
      // Nothing in the WAL to checkpoint: the checkpoint thread waits for the next commit.
      expect(storage.driver.backgroundCheckpoints).toBe(false);
      const cache = new PeerCache({ storage, closeStorage: false });
      await cache.upsert([{ id: 5n, usernames: ['renamed_5'] }]);
      await cache.flush();
      await cache.close();
      expect(storage.driver.backgroundCheckpoints).toBe(true);
      expect(statSync(`${path}-wal`).size).toBeGreaterThan(0);
      expect(await storage.check()).toEqual([]);
      await storage.close();
      const again = await openSqliteStorage({ path });
      expect(await again.peers.count()).toBe(20_000);
      expect((await again.usernames.resolveMany(['renamed_5'])).get('renamed_5')).toBe(5n);
      await again.close();
    },
  );

  it.runIf(form === 'records')(
    'loads through the WAL while another connection has the store open, which reads it all afterwards',
    async () => {
      const path = join(dir, `shared-${++n}.db`);
      const storage = await openSqliteStorage({ path });
      const other = await openSqliteStorage({ path });
      expect(await other.peers.count()).toBe(0);
      const records = Array.from({ length: 5000 }, (_, i) => record(BigInt(i + 1)));
      expect((await storage.bulkLoadPeers(groups(records)))?.loaded).toBe(5000);
      expect(journalMode(storage)).toBe('wal');
      await new Promise((resolve) => setImmediate(resolve)); // the other's read transaction ends at the next turn
      expect(await other.peers.count()).toBe(5000);
      expect((await other.usernames.resolveMany(['user_4999'])).get('user_4999')).toBe(4999n);
      await other.close();
      await storage.close();
    },
  );

  // Once: the child loads records (how the groups come makes no difference to the transaction).
  it.runIf(form === 'records')(
    'leaves an empty, sound store with its indexes when the process is killed mid-load',
    async () => {
      const path = join(dir, 'killed.db');
      const loaded = await new Promise<bigint>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', join(here, 'fixtures', 'bulk-load-until-killed.ts'), path],
          { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let last = 0n;
        let err = '';
        const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          for (const line of chunk.split('\n')) {
            if (!line.startsWith('loading ')) continue;
            last = BigInt(line.slice('loading '.length));
            if (last >= 150_000n) child.kill('SIGKILL');
          }
        });
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
          err += chunk;
        });
        child.on('error', reject);
        child.on('exit', (code, signal) => {
          clearTimeout(guard);
          if (signal === 'SIGKILL') resolve(last);
          else reject(new Error(`child exited with ${code}: ${err}`));
        });
      });
      expect(loaded).toBeGreaterThanOrEqual(150_000n);
      // Killed with pages of the load already written into the file (more than the page cache holds).
      expect(statSync(path).size).toBeGreaterThan(8 * 2 ** 20);
      const storage = await openSqliteStorage({ path });
      expect(journalMode(storage)).toBe('wal');
      expect(await storage.check()).toEqual([]);
      expect(await storage.peers.count()).toBe(0);
      const fresh = await newStore();
      expect(schema(storage)).toEqual(schema(fresh));
      await fresh.close();
      await storage.close();
    },
    90_000,
  );
});
