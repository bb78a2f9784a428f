/**
 * `restorePeers` (what `pm peers import` runs): the bulk load into an empty SQLite store must leave exactly the store
 * the per-batch merge path leaves, whatever the file holds (duplicate ids, usernames and phones claimed twice, parts
 * out of order, records that are not whole).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  exportPeers,
  type ImportRowError,
  importPeers,
  openSqliteStorage,
  type PeerInput,
  type PeerRecord,
  type SqliteStorageProvider,
  type StorageProvider,
} from '@pm/core';
import { openPostgresStorage } from '@pm/storage-postgres';
import fc from 'fast-check';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { restorePeers } from '../../packages/cli/src/peers/restore.js';

const dir = mkdtempSync(join(tmpdir(), 'pm-restore-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  // The merge path stamps sightings with the clock: both runs see the same time.
  vi.useFakeTimers({ toFake: ['Date'], now: 1_800_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

const NAMES = ['alice', 'Alice', 'bob', 'carol_x', 'dave', 'erin', 'frank', 'gina'];
const PHONES = ['155501', '155502'];

const whole = fc.record({
  id: fc.bigInt({ min: 1n, max: 40n }),
  usernames: fc.uniqueArray(fc.constantFrom(...NAMES), {
    maxLength: 3,
    selector: (n) => n.toLowerCase(),
  }),
  phone: fc.option(fc.constantFrom(...PHONES), { nil: null }),
  firstName: fc.constantFrom('A', 'B', null),
  lastSeen: fc.integer({ min: 1, max: 9 }),
  lastUpdated: fc.integer({ min: 1, max: 9 }),
  min: fc.boolean(),
});

type Whole = typeof whole extends fc.Arbitrary<infer T> ? T : never;

const toRecord = (r: Whole): PeerRecord => ({
  id: r.id,
  type: 'user',
  accessHash: r.id * 1000n + BigInt(r.lastSeen),
  min: r.min,
  usernames: r.usernames,
  firstName: r.firstName,
  lastName: null,
  title: null,
  phone: r.phone,
  langCode: null,
  langCodeSeenAt: null,
  premium: null,
  verified: false,
  deleted: false,
  photoId: null,
  firstSeen: 1,
  lastSeen: r.lastSeen,
  lastUpdated: r.lastUpdated,
});

/** Mostly whole records sorted by id (as an export is), with a few sightings that are not whole. */
const input = fc
  .tuple(
    fc.array(whole.map(toRecord), { minLength: 1, maxLength: 25 }),
    fc.boolean(),
    fc.array(fc.tuple(fc.nat(30), fc.bigInt({ min: 1n, max: 40n })), { maxLength: 2 }),
  )
  .map(([records, sort, partial]) => {
    const list: PeerInput[] = sort
      ? [...records].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      : records;
    for (const [at, id] of partial)
      list.splice(at % (list.length + 1), 0, { id, type: 'user', accessHash: id });
    return list;
  });

async function* once<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}

/** Everything a user can see of the peers of a store. */
async function visible(storage: SqliteStorageProvider): Promise<unknown> {
  const lowers = [...new Set(NAMES.map((n) => n.toLowerCase()))];
  return {
    peers: await storage.peers.page(null, 1000),
    owners: [...(await storage.usernames.resolveMany(lowers))].sort(),
    phones: [...(await storage.peers.findByPhones(PHONES))].sort(),
    problems: await storage.check(),
  };
}

let n = 0;

describe('restorePeers', () => {
  it('leaves the same store through the bulk load as through the per-batch merge path', async () => {
    await fc.assert(
      fc.asyncProperty(input, fc.integer({ min: 1, max: 30 }), async (records, group) => {
        const bulk = await openSqliteStorage({ path: join(dir, `bulk-${++n}.db`) });
        const merged = await openSqliteStorage({ path: join(dir, `merged-${n}.db`) });
        try {
          const groups: PeerInput[][] = [];
          for (let i = 0; i < records.length; i += group) groups.push(records.slice(i, i + group));
          const a = await restorePeers(bulk, { records: once(records), batches: once(groups) });
          const b = await restorePeers(merged, once(records), { bulk: false });
          expect(a).toEqual(b);
          expect(await visible(bulk)).toStrictEqual(await visible(merged));
        } finally {
          await bulk.close();
          await merged.close();
        }
      }),
      { numRuns: 60 },
    );
  });

  it('leaves the same store from a pm export read packed, in a thread or not, as through the merge path', async () => {
    const sorted = (list: PeerRecord[]) => [...list].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    await fc.assert(
      fc.asyncProperty(
        fc.array(whole.map(toRecord), { minLength: 1, maxLength: 40 }),
        fc.constantFrom('sorted', 'sorted with a break', 'as it comes'),
        fc.boolean(),
        fc.boolean(),
        async (list, order, readInWorker, seeded) => {
          const records = order === 'as it comes' ? list : sorted(list);
          if (order === 'sorted with a break' && records.length > 2) records.push(records[0] as PeerRecord);
          const file = join(dir, `packed-${++n}.jsonl`);
          await exportPeers(records, 'jsonl', createWriteStream(file));
          const bulk = await openSqliteStorage({ path: join(dir, `packed-${n}.db`) });
          const merged = await openSqliteStorage({ path: join(dir, `packed-merged-${n}.db`) });
          try {
            // A store that holds a peer already takes the same groups through the merge path.
            const seed = toRecord({
              id: 99n,
              usernames: ['erin'],
              phone: null,
              firstName: 'A',
              lastSeen: 1,
              lastUpdated: 1,
              min: false,
            });
            if (seeded) for (const s of [bulk, merged]) await restorePeers(s, once([seed]), { bulk: false });
            const result = await importPeers(file, { readInWorker });
            const a = await restorePeers(bulk, result);
            const b = await restorePeers(merged, once(records), { bulk: false });
            expect(a).toEqual(b);
            expect(await visible(bulk)).toStrictEqual(await visible(merged));
          } finally {
            await bulk.close();
            await merged.close();
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('loads a sorted export in bulk and merges what conflicts, counting both', async () => {
    const storage = await openSqliteStorage({ path: join(dir, 'counts.db') });
    const base = toRecord({
      id: 1n,
      usernames: ['alice'],
      phone: null,
      firstName: 'A',
      lastSeen: 2,
      lastUpdated: 2,
      min: false,
    });
    const records: PeerRecord[] = [
      base,
      { ...base, id: 2n, usernames: ['bob'] },
      { ...base, id: 3n, usernames: ['Alice'], lastSeen: 5, lastUpdated: 5 },
    ];
    expect(await restorePeers(storage, once(records))).toEqual({ restored: 2, merged: 1 });
    // The later sighting took the name over, as the peer cache's rules say.
    expect((await storage.usernames.resolveMany(['alice'])).get('alice')).toBe(3n);
    expect(await storage.peers.count()).toBe(3);
    await storage.close();
  });

  it('merges an exported record whose usernames the import left out as invalid, instead of failing', async () => {
    const file = join(dir, 'bad-name.jsonl');
    const good = toRecord({
      id: 7n,
      usernames: ['gina'],
      phone: null,
      firstName: 'B',
      lastSeen: 2,
      lastUpdated: 2,
      min: false,
    });
    await exportPeers([good, { ...good, id: 8n, usernames: ['__bad'] }], 'jsonl', createWriteStream(file));
    const storage = await openSqliteStorage({ path: join(dir, 'bad-name.db') });
    const result = await importPeers(file);
    expect(await restorePeers(storage, result)).toEqual({ restored: 1, merged: 1 });
    expect(result.notes).toContain('1 invalid usernames value(s) left out of otherwise good records');
    expect((await storage.peers.get(8n))?.usernames).toEqual([]);
    await storage.close();
  });

  it('stores a username listed twice in another case once, as the peer cache would, on every reading path', async () => {
    const base = toRecord({
      id: 9n,
      usernames: ['Hana_B', 'hana_b', 'hana_nft', 'HANA_NFT'],
      phone: null,
      firstName: 'A',
      lastSeen: 2,
      lastUpdated: 2,
      min: false,
    });
    const file = join(dir, 'twice.jsonl');
    await exportPeers(
      [base, { ...base, id: 10n, usernames: ['ivan', 'Ivan'] }],
      'jsonl',
      createWriteStream(file),
    );
    for (const readInWorker of [false, true]) {
      const storage = await openSqliteStorage({ path: join(dir, `twice-${readInWorker}.db`) });
      const result = await importPeers(file, { readInWorker });
      await restorePeers(storage, result);
      expect((await storage.peers.get(9n))?.usernames).toEqual(['Hana_B', 'hana_nft']);
      expect((await storage.peers.get(10n))?.usernames).toEqual(['ivan']);
      expect(result.notes).toContain(
        '3 username(s) listed twice in one record (in another case) kept once, as first spelt',
      );
      const owners = await storage.usernames.resolveMany(['hana_b', 'hana_nft', 'ivan']);
      expect([...owners.values()]).toEqual([9n, 9n, 10n]);
      await storage.close();
    }
  });

  it('sets aside a line with NUL in a name and stores the others, the same in SQLite and PostgreSQL', async () => {
    const records = [1n, 2n, 3n].map((id) =>
      toRecord({
        id,
        usernames: [NAMES[Number(id)] as string],
        phone: null,
        firstName: 'A',
        lastSeen: 2,
        lastUpdated: 2,
        min: false,
      }),
    );
    const file = join(dir, 'nul.jsonl');
    await exportPeers(records, 'jsonl', createWriteStream(file));
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[1] = (lines[1] as string).replace('"firstName":"A"', '"firstName":"A\\u0000n"');
    writeFileSync(file, lines.join('\n'));
    const stores: [string, () => Promise<StorageProvider>, (s: StorageProvider) => Promise<void>][] = [
      ['sqlite', () => openSqliteStorage({ path: join(dir, `nul-${++n}.db`) }), (s) => s.close()],
    ];
    const url = process.env.PM_TEST_POSTGRES_URL;
    if (url !== undefined) {
      const schema = `pm_restore_nul_${randomBytes(4).toString('hex')}`;
      stores.push([
        'postgres',
        () => openPostgresStorage({ url, schema }),
        async (s) => {
          await (s as Awaited<ReturnType<typeof openPostgresStorage>>).driver.read(
            `DROP SCHEMA IF EXISTS "${schema}" CASCADE`,
          );
          await s.close();
        },
      ]);
    }
    for (const [name, openStore, closeStore] of stores) {
      for (const readInWorker of [false, true]) {
        const storage = await openStore();
        try {
          const skipped: ImportRowError[] = [];
          const result = await importPeers(file, { readInWorker, onSkip: (e) => skipped.push(e) });
          expect(await restorePeers(storage, result), name).toEqual({ restored: 2, merged: 0 });
          expect(
            skipped.map((e) => [e.location, e.field]),
            name,
          ).toEqual([['line 2', 'firstName']]);
          expect(skipped[0]?.message, name).toContain('expected text without U+0000 (NUL)');
          expect(await storage.peers.get(2n), name).toBeUndefined();
          expect((await storage.peers.getMany([1n, 3n])).size, name).toBe(2);
          expect(await storage.peers.count(), name).toBe(2);
        } finally {
          await closeStore(storage);
        }
      }
    }
  });
});
