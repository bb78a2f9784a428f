/**
 * The hot paths of PeerCache: an unchanged re-sighting of a peer memory holds is answered from memory without
 * validation or merge, and lookups that memory answers skip parsing. Every rule must hold on them as on the full path.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  InvalidPeerIdError,
  InvalidPeerRecordError,
  InvalidUsernameError,
  type PmError,
} from '../../src/errors.js';
import { createMemoryStorage } from '../../src/storage/memory/index.js';
import { mergeRecord } from '../../src/storage/merge.js';
import { PeerCache } from '../../src/storage/peer-cache.js';
import type { PeerInput, PeerRecord, UpsertResult } from '../../src/storage/types.js';
import { validatePeerInput } from '../../src/storage/validate.js';

const ANN: PeerInput = {
  id: 42n,
  type: 'user',
  accessHash: -7n,
  firstName: 'Ann',
  lastName: 'Example',
  usernames: ['ann_example'],
  phone: '4915112345678',
  langCode: 'en',
  premium: false,
  verified: null,
  deleted: false,
  photoId: 9n,
};

async function cacheWithAnn(options: { now?: () => number; min?: boolean } = {}) {
  const storage = createMemoryStorage();
  const transaction = vi.spyOn(storage, 'transaction');
  const cache = new PeerCache({ storage, now: options.now ?? (() => 1000) });
  await cache.upsert([{ ...ANN, min: options.min ?? false }]);
  await cache.flush();
  transaction.mockClear();
  return { storage, cache, transaction };
}

describe('PeerCache: an unchanged re-sighting', () => {
  it('is answered with the record as it was, and writes nothing', async () => {
    const { cache, transaction } = await cacheWithAnn();
    const before = await cache.get(42n);
    const results = await cache.upsert([{ ...ANN }, { id: 42n, usernames: ['ann_example'] }]);
    expect(results).toEqual([
      { record: before, before, created: false, changes: [], displaced: [] },
      { record: before, before, created: false, changes: [], displaced: [] },
    ]);
    expect(results[0]?.record).toBe(before);
    await cache.flush();
    expect(transaction).not.toHaveBeenCalled();
    await cache.close();
  });

  it('still records a changed field, and only that one', async () => {
    const { cache } = await cacheWithAnn();
    const [result] = await cache.upsert([{ ...ANN, lastName: 'Changed' }]);
    expect(result?.changes).toEqual([{ field: 'lastName', before: 'Example', after: 'Changed' }]);
    expect((await cache.history(42n)).map((h) => [h.field, h.after])).toEqual([['lastName', 'Changed']]);
    await cache.close();
  });

  it('still records a new username and moves it from its old owner', async () => {
    const { cache } = await cacheWithAnn();
    await cache.upsert([{ id: 7n, type: 'user', accessHash: 1n, usernames: ['bob_example'] }]);
    const [result] = await cache.upsert([{ ...ANN, usernames: ['ann_example', 'bob_example'] }]);
    expect(result?.changes).toEqual([
      { field: 'usernames', before: ['ann_example'], after: ['ann_example', 'bob_example'] },
    ]);
    expect(result?.displaced.map((d) => [d.from, d.value])).toEqual([[7n, 'bob_example']]);
    expect((await cache.getByUsername('bob_example'))?.id).toBe(42n);
    expect((await cache.get(7n))?.usernames).toEqual([]);
    await cache.close();
  });

  it('still upgrades a min record when the same hash arrives from a full constructor', async () => {
    const { cache } = await cacheWithAnn({ min: true });
    const [result] = await cache.upsert([{ ...ANN, min: false }]);
    expect(result?.changes).toEqual([{ field: 'min', before: true, after: false }]);
    expect(await cache.inputPeerFor(42n)).toEqual({ kind: 'user', id: 42n, accessHash: -7n, min: false });
    await cache.close();
  });

  it('never downgrades a full record when a min sighting of it carries the same or another hash', async () => {
    const { cache } = await cacheWithAnn();
    const [same] = await cache.upsert([{ ...ANN, min: true }]);
    expect(same?.changes).toEqual([]);
    const [other] = await cache.upsert([{ ...ANN, min: true, accessHash: 5n, firstName: 'Min' }]);
    expect(other?.changes).toEqual([]);
    expect(await cache.get(42n)).toMatchObject({ accessHash: -7n, min: false, firstName: 'Ann' });
    await cache.close();
  });

  it('still counts the lang code as seen once lastSeenResolutionMs passed', async () => {
    let now = 1000;
    const { cache, transaction } = await cacheWithAnn({ now: () => now });
    now += 60_000;
    const [result] = await cache.upsert([{ ...ANN }]);
    expect(result?.record).toMatchObject({ lastSeen: now, langCodeSeenAt: now });
    expect(result?.changes).toEqual([]);
    await cache.flush();
    expect(transaction).toHaveBeenCalledTimes(1);
    await cache.close();
  });

  it('still counts the lang code as seen when only lastSeen is recent', async () => {
    let now = 1000;
    const { cache } = await cacheWithAnn({ now: () => now });
    now += 60_000;
    await cache.upsert([{ id: 42n, firstName: 'Anna' }]); // moves lastSeen, not langCodeSeenAt
    now += 1;
    const [result] = await cache.upsert([{ ...ANN, firstName: 'Anna' }]);
    expect(result?.changes).toEqual([]);
    expect(result?.record).toMatchObject({ lastSeen: now, langCodeSeenAt: now });
    await cache.close();
  });

  it('refuses a bad value among unchanged ones with the typed error naming it, and changes nothing', async () => {
    const { cache } = await cacheWithAnn();
    const bad: [Partial<Record<keyof PeerInput, unknown>>, new (...a: never[]) => PmError, string][] = [
      [{ usernames: ['ann_example', 'not valid!'] }, InvalidUsernameError, 'records[1].usernames[1]'],
      [{ deleted: null }, InvalidPeerRecordError, 'records[1].deleted'],
      [{ firstName: 42 }, InvalidPeerRecordError, 'records[1].firstName'],
      [{ min: 'yes' }, InvalidPeerRecordError, 'records[1].min'],
      [{ id: 42 }, InvalidPeerIdError, 'records[1].id'],
    ];
    const before = await cache.get(42n);
    for (const [fields, type, field] of bad) {
      const batch = [{ ...ANN }, { ...ANN, ...fields }] as PeerInput[];
      const error = await cache.upsert(batch).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(type);
      expect(error).toMatchObject({ field });
    }
    expect(await cache.get(42n)).toBe(before);
    await cache.close();
  });

  it('is applied after an upsert called before it, not against the record that upsert replaces', async () => {
    const { cache } = await cacheWithAnn();
    const first = cache.upsert([{ ...ANN, firstName: 'Anna' }]);
    const second = cache.upsert([{ ...ANN }]);
    await first;
    const [result] = await second;
    expect(result?.changes).toEqual([{ field: 'firstName', before: 'Anna', after: 'Ann' }]);
    expect((await cache.get(42n))?.firstName).toBe('Ann');
    await cache.close();
  });
});

describe('PeerCache: a re-sighting of a peer memory does not hold', () => {
  async function coldCache() {
    const storage = createMemoryStorage();
    const writer = new PeerCache({ storage, closeStorage: false });
    await writer.upsert([{ ...ANN }, { id: 7n, type: 'user', accessHash: 1n, usernames: ['bob_example'] }]);
    await writer.close();
    const resolveMany = vi.spyOn(storage.usernames, 'resolveMany');
    return { storage, cache: new PeerCache({ storage }), resolveMany };
  }

  it('reads the record only, not the username index, when its usernames are unchanged', async () => {
    const { cache, resolveMany } = await coldCache();
    const [result] = await cache.upsert([{ ...ANN }]);
    expect(result?.changes).toEqual([]);
    expect(resolveMany).not.toHaveBeenCalled();
    // Live traffic leaves the name in memory for synchronous lookups, as asking the index did.
    expect(cache.peekInputPeer('ann_example')).toMatchObject({ id: 42n });
    await cache.close();
  });

  it('keeps the username index right when a batch moves a name away from it and back', async () => {
    const { storage, cache } = await coldCache();
    const results = await cache.upsert([
      { id: 7n, usernames: ['ann_example'] },
      { ...ANN },
      { id: 42n, usernames: ['other_name'] },
      { ...ANN },
    ]);
    expect(results.map((r) => r.displaced.map((d) => [d.from, d.value]))).toEqual([
      [[42n, 'ann_example']],
      [[7n, 'ann_example']],
      [],
      [],
    ]);
    await cache.flush();
    for (const reader of [cache, new PeerCache({ storage, closeStorage: false })]) {
      expect((await reader.getByUsername('ann_example'))?.id).toBe(42n);
      expect(await reader.getByUsername('other_name')).toBeUndefined();
      expect((await reader.get(7n))?.usernames).toEqual([]); // its list was ['ann_example'], then lost that
      expect(await reader.getByUsername('bob_example')).toBeUndefined();
    }
    await cache.close();
  });
});

describe('PeerCache: lookups answered from memory', () => {
  it('still refuse an invalid id or username with a typed error', async () => {
    const { cache } = await cacheWithAnn();
    await expect(cache.get(0n)).rejects.toBeInstanceOf(InvalidPeerIdError);
    await expect(cache.get(42 as unknown as bigint)).rejects.toBeInstanceOf(InvalidPeerIdError);
    await expect(cache.getByUsername('not valid!')).rejects.toBeInstanceOf(InvalidUsernameError);
    await cache.close();
  });

  it('find a username in any case, with or without @, and not once its owner lost it', async () => {
    const { cache } = await cacheWithAnn();
    for (const name of ['ann_example', '@Ann_Example', 'ANN_EXAMPLE'])
      expect((await cache.getByUsername(name))?.id).toBe(42n);
    await cache.upsert([{ ...ANN, usernames: [] }]);
    expect(await cache.getByUsername('ann_example')).toBeUndefined();
    await cache.delete(42n);
    expect(await cache.get(42n)).toBeUndefined();
    await cache.close();
  });
});

const RESOLUTION = 60_000;

/** Whether merging `input` over `before` at `now` changes no field and moves no timestamp worth a write. */
function noOp(before: PeerRecord, input: PeerInput, now: number): boolean {
  const { record, changes } = mergeRecord(before, validatePeerInput(input, 'input'), now);
  return (
    changes.length === 0 &&
    record.lastSeen - before.lastSeen < RESOLUTION &&
    (record.langCodeSeenAt === before.langCodeSeenAt ||
      (record.langCodeSeenAt ?? 0) - (before.langCodeSeenAt ?? 0) < RESOLUTION)
  );
}

/** What a caller sees of an upsert: its results, or the error it rejected with. */
async function outcome(cache: PeerCache, batch: PeerInput[]): Promise<unknown> {
  try {
    const results: UpsertResult[] = await cache.upsert(batch);
    return results;
  } catch (e) {
    return e instanceof Error ? { error: e.name, message: e.message } : e;
  }
}

describe('PeerCache: the unchanged fast path against the full path', () => {
  const names = ['alpha', 'Alpha', 'bravo_2', 'not valid!'];
  const sighting = fc.record(
    {
      id: fc.constantFrom(1n, 2n),
      type: fc.constantFrom(undefined, 'user', 'bot'),
      accessHash: fc.constantFrom(undefined, null, 10n, 11n),
      min: fc.constantFrom(undefined, false, true),
      usernames: fc.option(fc.subarray(names, { maxLength: 2 }), { nil: undefined }),
      firstName: fc.constantFrom(undefined, null, 'A', 'B'),
      phone: fc.constantFrom(undefined, null, '123456', '+1 23456'),
      langCode: fc.constantFrom(undefined, null, 'en', 'de'),
      premium: fc.constantFrom(undefined, null, true),
      deleted: fc.constantFrom(undefined, false, true, null as unknown as boolean),
    },
    { requiredKeys: ['id'] },
  );

  it('answers what the full merge answers, for any sequence of sightings', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(sighting, { minLength: 1, maxLength: 3 }), { maxLength: 12 }),
        async (batches) => {
          // With a fixed clock and lastSeenResolutionMs 0 no sighting is ever "unchanged and recent", so `full` merges
          // every one; `fast` answers the unchanged ones from memory. A fixed clock makes their answers comparable.
          const fast = new PeerCache({ storage: createMemoryStorage(), now: () => 5 });
          const full = new PeerCache({
            storage: createMemoryStorage(),
            now: () => 5,
            lastSeenResolutionMs: 0,
          });
          for (const batch of batches) {
            expect(await outcome(fast, batch as PeerInput[])).toEqual(
              await outcome(full, batch as PeerInput[]),
            );
          }
          for (const id of [1n, 2n]) expect(await fast.get(id)).toEqual(await full.get(id));
          for (const name of ['alpha', 'bravo_2'])
            expect(await fast.getByUsername(name)).toEqual(await full.getByUsername(name));
          await fast.close();
          await full.close();
        },
      ),
      { numRuns: 200 },
    );
  });

  it('skips the write of a sighting only when the merge would change nothing worth writing', async () => {
    const step = fc.constantFrom(0, 1, RESOLUTION - 1, RESOLUTION);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(step, fc.array(sighting, { minLength: 1, maxLength: 3 })), { maxLength: 12 }),
        async (steps) => {
          let now = 5;
          const cache = new PeerCache({
            storage: createMemoryStorage(),
            now: () => now,
            lastSeenResolutionMs: RESOLUTION,
          });
          for (const [advance, batch] of steps) {
            now += advance;
            const results = await cache.upsert(batch as PeerInput[]).catch(() => []);
            results.forEach((result, i) => {
              const { before, record } = result;
              // An unchanged record handed back as it was is a skipped write; anything else was merged and written.
              if (before !== undefined)
                expect(record === before).toBe(noOp(before, batch[i] as PeerInput, now));
            });
          }
          await cache.close();
        },
      ),
      { numRuns: 200 },
    );
  });
});
