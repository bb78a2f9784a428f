/**
 * The packed peer tables of the memory store (memory/peer-rows.ts) beyond what the conformance suite covers: rows
 * reused after a delete, rollbacks that moved usernames and phones, text compaction, values it refuses, and the two
 * hash indexes against a plain Map under random operations.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sampleRecord } from '../../src/conformance/fixtures.js';
import { StorageError } from '../../src/errors.js';
import { IdIndex } from '../../src/storage/memory/id-index.js';
import { createMemoryStorage } from '../../src/storage/memory/index.js';
import { NameIndex } from '../../src/storage/memory/name-index.js';
import { PeerRows } from '../../src/storage/memory/peer-rows.js';
import type { PeerRecord } from '../../src/storage/types.js';

const record = (id: bigint, fields: Partial<PeerRecord> = {}): PeerRecord =>
  sampleRecord(id, {
    accessHash: id ^ 0x5555n,
    usernames: [],
    firstName: `First ${id}`,
    langCode: 'en',
    langCodeSeenAt: 5,
    verified: false,
    lastUpdated: 2,
    ...fields,
  });

describe('memory storage rows', () => {
  it('gives a new peer nothing of a deleted one whose row it reuses', async () => {
    const store = createMemoryStorage();
    await store.peers.upsertMany([record(1n, { usernames: ['Ann_A'], phone: '1234567' })]);
    await store.usernames.replaceForPeers([{ peerId: 1n, usernames: ['Ann_A'] }]);
    await store.history.append([{ peerId: 1n, field: 'firstName', before: null, after: 'First 1', at: 3 }]);
    await store.peers.deleteMany([1n]);
    await store.usernames.deleteForPeers([1n]);
    await store.history.deleteForPeers([1n]);
    await store.peers.upsertMany([record(2n)]);
    expect(await store.peers.get(2n)).toEqual(record(2n));
    expect(await store.peers.get(1n)).toBeUndefined();
    expect(await store.history.list(2n)).toEqual([]);
    expect(await store.usernames.resolveMany(['ann_a'])).toEqual(new Map());
    expect(await store.peers.findByPhones(['1234567'])).toEqual(new Map());
    expect(await store.peers.count()).toBe(1);
  });

  it('rolls back a username and a phone that moved to another peer', async () => {
    const store = createMemoryStorage();
    const ann = record(1n, { usernames: ['Ann_A', 'ann_b'], phone: '1234567' });
    const bob = record(2n, { usernames: ['bob_b'] });
    await store.peers.upsertMany([ann, bob]);
    await store.usernames.replaceForPeers([
      { peerId: 1n, usernames: ann.usernames },
      { peerId: 2n, usernames: bob.usernames },
    ]);
    await expect(
      store.transaction(async (tx) => {
        await tx.peers.upsertMany([
          { ...ann, usernames: ['ann_b'], phone: null, lastSeen: 9, lastUpdated: 9 },
          { ...bob, usernames: ['bob_b', 'ANN_A'], phone: '1234567', lastSeen: 9, lastUpdated: 9 },
        ]);
        await tx.usernames.replaceForPeers([
          { peerId: 1n, usernames: ['ann_b'] },
          { peerId: 2n, usernames: ['bob_b', 'ANN_A'] },
        ]);
        await tx.peers.deleteMany([1n]);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await store.peers.get(1n)).toEqual(ann);
    expect(await store.peers.get(2n)).toEqual(bob);
    expect(await store.usernames.resolveMany(['ann_a', 'ann_b', 'bob_b'])).toEqual(
      new Map([
        ['ann_a', 1n],
        ['ann_b', 1n],
        ['bob_b', 2n],
      ]),
    );
    expect(await store.peers.findByPhones(['1234567'])).toEqual(new Map([['1234567', 1n]]));
  });

  it('compacts the text that changed records left behind and keeps every record and username', () => {
    const rows = new PeerRows({ compactAfterBytes: 10_000 });
    const all = new Map<bigint, PeerRecord>();
    for (let round = 0; round < 20; round++) {
      for (let id = 1n; id <= 200n; id++) {
        const r = record(id, {
          usernames: [`User_${id}`],
          firstName: `Name ${round} ${'é'.repeat(Number(id % 7n))}`,
          lastSeen: round,
          lastUpdated: round,
        });
        rows.upsert(r);
        if (round === 0) rows.setOwned(rows.rowFor(id), [`user_${id}`]);
        all.set(id, r);
      }
      rows.settle();
    }
    expect(rows.textBytes.garbage).toBeLessThan(rows.textBytes.live + 10_000);
    for (const [id, r] of all) {
      expect(rows.get(id)).toEqual(r);
      expect(rows.idOf(rows.findName(`user_${id}`))).toBe(id);
    }
  });

  it('refuses, naming the peer, a record whose text it cannot hold', () => {
    const rows = new PeerRows();
    const refused = (r: PeerRecord): unknown => {
      try {
        rows.upsert(r);
      } catch (error) {
        return error;
      }
      return undefined;
    };
    for (const bad of [
      record(7n, { title: 'x'.repeat(70_000) }),
      record(7n, { usernames: ['a\u0001b'] }),
      record(7n, { firstName: 'a\u0000b' }),
    ]) {
      const error = refused(bad);
      expect(error).toBeInstanceOf(StorageError);
      expect((error as StorageError).kind).toBe('record');
      expect((error as StorageError).message).toContain('peer 7');
    }
    expect(rows.get(7n)).toBeUndefined();
  });

  it('finds every id and username a plain Map would after any sequence of writes and deletes', () => {
    const op = fc.record({
      id: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).filter((id) => id !== 0n),
      slot: fc.integer({ min: 0, max: 40 }),
      del: fc.boolean(),
      name: fc.integer({ min: 0, max: 30 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const rows = new PeerRows();
        const peers = new Map<bigint, PeerRecord>();
        const owners = new Map<string, bigint>();
        // Few distinct ids (by slot) so that deletes hit, spread over the whole 64-bit range.
        const ids = new Map<number, bigint>();
        for (const { id: fresh, slot, del, name } of ops) {
          const id = ids.get(slot) ?? fresh;
          ids.set(slot, id);
          const username = `name_${name}`;
          if (del) {
            rows.drop(id);
            peers.delete(id);
            const row = rows.find(id);
            if (row >= 0) rows.setOwned(row, []);
            for (const [n, owner] of owners) if (owner === id) owners.delete(n);
          } else {
            const r = record(id, { usernames: [username] });
            rows.upsert(r);
            peers.set(id, r);
            const previous = rows.findName(username);
            if (previous >= 0 && rows.idOf(previous) !== id)
              rows.setOwned(
                previous,
                rows.owned(previous).filter((n) => n !== username),
              );
            const row = rows.rowFor(id);
            rows.setOwned(row, [...new Set([...rows.owned(row), username])]);
            owners.set(username, id);
          }
        }
        expect(rows.records).toBe(peers.size);
        for (const id of ids.values()) expect(rows.get(id)).toEqual(peers.get(id));
        for (let name = 0; name <= 30; name++) {
          const row = rows.findName(`name_${name}`);
          expect(row < 0 ? undefined : rows.idOf(row)).toBe(owners.get(`name_${name}`));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('keeps finding every id through thousands of inserts and deletes in crowded probe runs', () => {
    const ids = new BigInt64Array(20_000);
    const halves = new Int32Array(ids.buffer);
    const index = new IdIndex({
      lo: (row) => halves[2 * row] as number,
      hi: (row) => halves[2 * row + 1] as number,
    });
    const live = new Set<number>();
    let seed = 7;
    const next = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    for (let step = 0; step < 60_000; step++) {
      const row = next() % ids.length;
      if (live.has(row)) {
        index.remove(row);
        live.delete(row);
      } else {
        ids[row] = (BigInt(next()) << 32n) ^ BigInt(next()) ^ BigInt(row);
        if (index.find(ids[row] as bigint) >= 0) continue;
        index.insert(row);
        live.add(row);
      }
    }
    expect(index.size).toBe(live.size);
    for (let row = 0; row < ids.length; row++) {
      expect(index.find(ids[row] as bigint)).toBe(live.has(row) ? row : -1);
    }
  });

  it('resolves names whose hashes collide, through removals in the middle of a run', () => {
    const owned = new Map<number, string>();
    const index = new NameIndex(
      (row, name) => owned.get(row) === name,
      (name) => Number(name.slice(1)) % 3,
    );
    // Every name hashes to one of three values: long probe runs that removals must keep intact.
    for (let row = 0; row < 300; row++) {
      owned.set(row, `n${row}`);
      index.insert(row % 3, row);
    }
    const hashOf = (row: number): number => row % 3;
    for (let row = 0; row < 300; row += 2) {
      expect(index.remove(hashOf(row), row)).toBe(true);
      owned.delete(row);
    }
    for (let row = 0; row < 300; row++) expect(index.find(`n${row}`)).toBe(row % 2 === 1 ? row : -1);
  });
});
