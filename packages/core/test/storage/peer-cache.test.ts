import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PeerSetAsideError, StorageError } from '../../src/errors.js';
import { createMemoryStorage, type MemoryStorageProvider } from '../../src/storage/memory/index.js';
import { PeerCache } from '../../src/storage/peer-cache.js';
import type { PeerInput, PeerRecord, StorageProvider, StorageRepositories } from '../../src/storage/types.js';

const user = (id: bigint, fields: Partial<PeerInput> = {}): PeerInput => ({
  id,
  type: 'user',
  accessHash: id,
  ...fields,
});

/** A memory provider whose transactions can be made to fail or to wait. */
function controllable(inner: MemoryStorageProvider = createMemoryStorage()) {
  const control = {
    failures: 0,
    /** Failures that say a retry may help. */
    transient: 0,
    /** The store refuses (as a constraint would) any batch holding a record this matches. */
    refuse: undefined as ((record: PeerRecord) => boolean) | undefined,
    hold: undefined as Promise<void> | undefined,
    transactions: 0,
  };
  const storage: StorageProvider = {
    name: 'controllable',
    persistent: false,
    peers: inner.peers,
    usernames: inner.usernames,
    history: inner.history,
    state: inner.state,
    dialogs: inner.dialogs,
    async transaction<T>(fn: (tx: StorageRepositories) => Promise<T>): Promise<T> {
      control.transactions++;
      if (control.hold) await control.hold;
      if (control.failures > 0) {
        control.failures--;
        throw new Error('disk full');
      }
      if (control.transient > 0) {
        control.transient--;
        throw new StorageError('STORAGE_FAILED', 'deadlock detected', { kind: 'transient' });
      }
      const refuse = control.refuse;
      if (refuse === undefined) return inner.transaction(fn);
      return inner.transaction(async (tx) => {
        const peers = {
          ...tx.peers,
          upsertMany: async (records: readonly PeerRecord[]) => {
            const bad = records.find(refuse);
            if (bad !== undefined)
              throw new StorageError('STORAGE_FAILED', `invalid byte sequence in ${bad.firstName}`, {
                kind: 'record',
              });
            await tx.peers.upsertMany(records);
          },
        };
        return fn({ ...tx, peers });
      });
    },
    close: () => inner.close(),
  };
  return { storage, control, inner };
}

/**
 * A memory provider whose next lookup (by id or by username) reads storage at once but answers only when released,
 * as a slow disk or a round trip would: what the cache does with an answer older than a write committed meanwhile.
 */
function slowReads(inner: MemoryStorageProvider) {
  let held: Promise<void> | undefined;
  let release = (): void => {};
  const answer = async <T>(read: Promise<T>): Promise<T> => {
    const gate = held;
    held = undefined;
    const value = await read;
    if (gate) await gate;
    return value;
  };
  const storage: StorageProvider = {
    name: 'slow reads',
    persistent: false,
    peers: {
      get: (id) => answer(inner.peers.get(id)),
      getMany: (ids) => answer(inner.peers.getMany(ids)),
      findByPhones: (phones) => inner.peers.findByPhones(phones),
      upsertMany: (records) => inner.peers.upsertMany(records),
      deleteMany: (ids) => inner.peers.deleteMany(ids),
      count: () => inner.peers.count(),
      page: (after, limit) => inner.peers.page(after, limit),
    },
    usernames: {
      resolveMany: (names) => answer(inner.usernames.resolveMany(names)),
      replaceForPeers: (entries) => inner.usernames.replaceForPeers(entries),
      deleteForPeers: (ids) => inner.usernames.deleteForPeers(ids),
    },
    history: inner.history,
    state: inner.state,
    dialogs: inner.dialogs,
    transaction: (fn) => inner.transaction(fn),
    close: () => inner.close(),
  };
  return {
    storage,
    /** Starts `lookup` with its storage read held until {@link release}. */
    holdNext<T>(lookup: () => Promise<T>): Promise<T> {
      held = new Promise<void>((resolve) => {
        release = resolve;
      });
      return lookup();
    },
    release: () => release(),
  };
}

describe('PeerCache write-behind', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes a change no later than flushDelayMs after it was made', async () => {
    const storage = createMemoryStorage();
    const cache = new PeerCache({ storage, flushDelayMs: 50 });
    await cache.upsert([user(1n)]);
    await vi.advanceTimersByTimeAsync(49);
    expect(await storage.peers.count()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(await storage.peers.count()).toBe(1);
    await cache.close();
  });

  it('does not postpone a pending write when more changes arrive', async () => {
    const storage = createMemoryStorage();
    const cache = new PeerCache({ storage, flushDelayMs: 50 });
    await cache.upsert([user(1n)]);
    await vi.advanceTimersByTimeAsync(30);
    await cache.upsert([user(2n)]);
    await vi.advanceTimersByTimeAsync(20);
    expect(await storage.peers.count()).toBe(2);
    await cache.close();
  });

  it('starts a write at once when maxBatch peers are pending', async () => {
    const storage = createMemoryStorage();
    const cache = new PeerCache({ storage, flushDelayMs: 10_000, maxBatch: 10 });
    await cache.upsert(Array.from({ length: 10 }, (_, i) => user(BigInt(i + 1))));
    await vi.advanceTimersByTimeAsync(0);
    expect(await storage.peers.count()).toBe(10);
    await cache.close();
  });

  it('holds an upsert back while a write runs and a full batch is pending again (bounded memory)', async () => {
    const { storage, control } = controllable();
    let release!: () => void;
    control.hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    const cache = new PeerCache({ storage, flushDelayMs: 10_000, maxBatch: 10 });
    const batch = (from: number) => Array.from({ length: 10 }, (_, i) => user(BigInt(from + i)));
    await cache.upsert(batch(1)); // starts a write, which the store holds
    await vi.advanceTimersByTimeAsync(0);
    await cache.upsert(batch(11)); // pending: a full batch
    let third = false;
    const done = cache.upsert(batch(21)).then(() => {
      third = true;
    });
    await vi.advanceTimersByTimeAsync(100);
    expect(third).toBe(false);
    expect((await cache.get(15n))?.id).toBe(15n); // reads still answer meanwhile
    release();
    await vi.advanceTimersByTimeAsync(0);
    await done;
    expect(third).toBe(true);
    await cache.flush();
    expect(await storage.peers.count()).toBe(30);
    await cache.close();
  });

  it('under sustained load waits longer between writes, up to maxFlushDelayMs, and writes larger batches', async () => {
    const storage = createMemoryStorage();
    const writes: number[] = [];
    const transaction = storage.transaction.bind(storage);
    storage.transaction = (fn) =>
      transaction((tx) =>
        fn({
          ...tx,
          peers: Object.assign(Object.create(tx.peers), {
            upsertMany: (records: readonly PeerRecord[]) => {
              writes.push(records.length);
              return tx.peers.upsertMany(records);
            },
          }),
        }),
      );
    const cache = new PeerCache({ storage, flushDelayMs: 50, maxFlushDelayMs: 200, maxBatch: 1_000_000 });
    // 100 new peers every 5 ms (20,000/s): each write carries 1000 peers or more, so the delay doubles.
    let next = 1n;
    for (let t = 0; t < 1000; t += 5) {
      await cache.upsert(Array.from({ length: 100 }, () => user(next++)));
      await vi.advanceTimersByTimeAsync(5);
    }
    expect(writes.slice(0, 3)).toEqual([1000, 2000, 4000]);
    expect(Math.max(...writes)).toBe(4000); // 200 ms at 20,000/s: the delay stops growing at maxFlushDelayMs
    // Light traffic again: the next timed write carries few peers, and the one after waits flushDelayMs only.
    await vi.advanceTimersByTimeAsync(1000);
    await cache.upsert([user(next++)]);
    await vi.advanceTimersByTimeAsync(200);
    await cache.upsert([user(next++)]);
    await vi.advanceTimersByTimeAsync(50);
    expect(await storage.peers.count()).toBe(Number(next - 1n));
    await cache.close();
  });

  it('flush() commits at once whatever the group-commit delay has grown to', async () => {
    const storage = createMemoryStorage();
    const cache = new PeerCache({ storage, flushDelayMs: 50, maxFlushDelayMs: 10_000, maxBatch: 1_000_000 });
    let next = 1n;
    for (let t = 0; t < 500; t += 5) {
      await cache.upsert(Array.from({ length: 100 }, () => user(next++)));
      await vi.advanceTimersByTimeAsync(5);
    }
    await cache.upsert([user(next++)]);
    await cache.flush();
    expect(await storage.peers.count()).toBe(Number(next - 1n));
    await cache.close();
  });

  it('uses the injected clock for every timestamp', async () => {
    let now = 5;
    const cache = new PeerCache({ storage: createMemoryStorage(), now: () => now });
    await cache.upsert([user(1n, { firstName: 'A', langCode: 'en' })]);
    now = 9;
    const [result] = await cache.upsert([user(1n, { firstName: 'B' })]);
    expect(result?.record).toMatchObject({ firstSeen: 5, lastSeen: 9, lastUpdated: 9, langCodeSeenAt: 5 });
    expect((await cache.history(1n))[0]?.at).toBe(9);
    await cache.close();
  });
});

describe('PeerCache lastSeen resolution', () => {
  it('writes an unchanged sighting only once lastSeen is lastSeenResolutionMs old', async () => {
    let now = 0;
    const storage = createMemoryStorage();
    const cache = new PeerCache({ storage, now: () => now, lastSeenResolutionMs: 1000 });
    await cache.upsert([user(1n, { langCode: 'en' })]);
    await cache.flush();
    now = 999;
    const [soon] = await cache.upsert([user(1n, { langCode: 'en' })]);
    expect(soon?.record).toMatchObject({ lastSeen: 0, langCodeSeenAt: 0 });
    await cache.flush();
    expect((await storage.peers.get(1n))?.lastSeen).toBe(0);
    now = 1000;
    const [later] = await cache.upsert([user(1n, { langCode: 'en' })]);
    expect(later?.record).toMatchObject({ lastSeen: 1000, langCodeSeenAt: 1000 });
    await cache.flush();
    expect((await storage.peers.get(1n))?.lastSeen).toBe(1000);
    now = 1001;
    const [changed] = await cache.upsert([user(1n, { firstName: 'X' })]);
    expect(changed?.record).toMatchObject({ lastSeen: 1001, firstName: 'X' });
    await cache.close();
  });
});

describe('PeerCache failures', () => {
  it('keeps a failed batch, reports it, and writes it on the next flush', async () => {
    const { storage, control, inner } = controllable();
    const onError = vi.fn();
    const cache = new PeerCache({ storage, onError });
    await cache.upsert([user(1n, { usernames: ['kept_name'] })]);
    control.failures = 1;
    const error = await cache.flush().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ code: 'STORAGE_FAILED' });
    expect((error as StorageError).cause).toMatchObject({ message: 'disk full' });
    expect(onError).toHaveBeenCalledWith(error);
    expect((await cache.getByUsername('kept_name'))?.id).toBe(1n);
    expect(await inner.peers.count()).toBe(0);
    await cache.flush();
    expect(await inner.usernames.resolveMany(['kept_name'])).toEqual(new Map([['kept_name', 1n]]));
    await cache.close();
  });

  it('keeps changes made while a failing batch was being written', async () => {
    const { storage, control, inner } = controllable();
    const cache = new PeerCache({ storage, onError: () => {} });
    await cache.upsert([user(1n, { firstName: 'Old', usernames: ['name_a'] })]);
    let release!: () => void;
    control.hold = new Promise((resolve) => {
      release = resolve;
    });
    control.failures = 1;
    const failing = cache.flush().catch((e: unknown) => e);
    await cache.upsert([user(1n, { firstName: 'New' }), user(2n, { usernames: ['name_b'] })]);
    await cache.delete(2n);
    await cache.upsert([user(3n, { usernames: ['name_b'] })]);
    control.hold = undefined;
    release();
    expect(await failing).toBeInstanceOf(StorageError);
    await cache.flush();
    expect(await inner.peers.get(1n)).toMatchObject({ firstName: 'New', usernames: ['name_a'] });
    expect(await inner.peers.get(2n)).toBeUndefined();
    expect(await inner.usernames.resolveMany(['name_a', 'name_b'])).toEqual(
      new Map([
        ['name_a', 1n],
        ['name_b', 3n],
      ]),
    );
    expect(await inner.history.list(1n)).toEqual([
      { peerId: 1n, field: 'firstName', before: 'Old', after: 'New', at: expect.any(Number) },
    ]);
    await cache.close();
  });

  it('sets aside the one record the store refuses, reports it by id and writes all the others', async () => {
    const { storage, control, inner } = controllable();
    const errors: StorageError[] = [];
    const cache = new PeerCache({ storage, onError: (e) => errors.push(e) });
    control.refuse = (r) => r.firstName === 'Poison';
    const ids = Array.from({ length: 40 }, (_, i) => BigInt(i + 1));
    await cache.upsert(ids.map((id) => user(id, { firstName: id === 17n ? 'Poison' : `U${id}` })));
    await cache.flush();
    expect(await inner.peers.count()).toBe(39);
    expect(await inner.peers.get(17n)).toBeUndefined();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(PeerSetAsideError);
    expect(errors[0]).toMatchObject({ code: 'STORAGE_RECORD_REJECTED', peerIds: [17n] });
    expect(errors[0]?.message).toContain('17');
    expect(errors[0]?.message).toContain('invalid byte sequence');
    // Memory forgets the refused version; what comes later is written as usual, and close() succeeds.
    expect(await cache.get(17n)).toBeUndefined();
    await cache.upsert([user(100n, { firstName: 'Later' })]);
    await cache.flush();
    expect(await inner.peers.get(100n)).toMatchObject({ firstName: 'Later' });
    await cache.close();
    // Bisection: a handful of transactions, not one per record and never a loop.
    expect(control.transactions).toBeLessThan(20);
  });

  it('keeps a peer and the peer it took a username from together when setting aside', async () => {
    const { storage, control, inner } = controllable();
    const errors: StorageError[] = [];
    const cache = new PeerCache({ storage, onError: (e) => errors.push(e) });
    await cache.upsert([user(1n, { usernames: ['moving_name'] }), user(5n, { firstName: 'Bystander' })]);
    await cache.flush();
    control.refuse = (r) => r.firstName === 'Poison';
    await cache.upsert([
      user(2n, { firstName: 'Poison', usernames: ['moving_name'] }),
      user(6n, { firstName: 'Fine' }),
    ]);
    await cache.flush();
    expect(errors.map((e) => (e as PeerSetAsideError).peerIds)).toEqual([[1n, 2n]]);
    // The move was not half-written: the name still belongs to its old owner in storage and in reads.
    expect(await inner.usernames.resolveMany(['moving_name'])).toEqual(new Map([['moving_name', 1n]]));
    expect((await cache.getByUsername('moving_name'))?.id).toBe(1n);
    expect(await inner.peers.get(6n)).toMatchObject({ firstName: 'Fine' });
    await cache.close();
  });

  it('tries a transient failure again by itself, waiting longer each time', async () => {
    vi.useFakeTimers();
    try {
      const { storage, control, inner } = controllable();
      const errors: StorageError[] = [];
      const cache = new PeerCache({
        storage,
        flushDelayMs: 10,
        retryBaseDelayMs: 100,
        onError: (e) => errors.push(e),
      });
      control.transient = 3;
      await cache.upsert([user(1n)]);
      await vi.advanceTimersByTimeAsync(10); // first try fails
      expect(control.transactions).toBe(1);
      await vi.advanceTimersByTimeAsync(99);
      expect(control.transactions).toBe(1);
      await vi.advanceTimersByTimeAsync(1); // +100 ms: second try fails
      expect(control.transactions).toBe(2);
      await vi.advanceTimersByTimeAsync(199);
      expect(control.transactions).toBe(2);
      await vi.advanceTimersByTimeAsync(1); // +200 ms: third try fails
      await vi.advanceTimersByTimeAsync(400); // +400 ms: fourth succeeds
      expect(control.transactions).toBe(4);
      expect(await inner.peers.count()).toBe(1);
      expect(errors.map((e) => e.transient)).toEqual([true, true, true]);
      // Back to normal: the next change is written after flushDelayMs.
      await cache.upsert([user(2n)]);
      await vi.advanceTimersByTimeAsync(10);
      expect(await inner.peers.count()).toBe(2);
      await cache.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('rejects use after close with a StorageError', async () => {
    const cache = new PeerCache({ storage: createMemoryStorage() });
    await cache.close();
    await cache.close();
    await expect(cache.flush()).rejects.toMatchObject({ code: 'STORAGE_CLOSED' });
  });
});

describe('PeerCache flush with more to write (the update state)', () => {
  it('writes it in the same transaction as the pending peers, and in its own when none are pending', async () => {
    const { storage, control, inner } = controllable();
    const cache = new PeerCache({ storage });
    await cache.upsert([user(1n, { usernames: ['ann_fold'] }), user(2n)]);
    const before = control.transactions;
    await cache.flush((tx) => tx.state.set('updates.state', 'pts 1'));
    expect(control.transactions - before).toBe(1);
    expect(await inner.peers.count()).toBe(2);
    expect(await inner.usernames.resolveMany(['ann_fold'])).toEqual(new Map([['ann_fold', 1n]]));
    expect(await inner.state.get('updates.state')).toBe('pts 1');
    await cache.flush((tx) => tx.state.set('updates.state', 'pts 2'));
    expect(control.transactions - before).toBe(2);
    expect(await inner.state.get('updates.state')).toBe('pts 2');
    await cache.close();
  });

  it('stores neither when that transaction fails: the state is never ahead of the peers it covers', async () => {
    const { storage, control, inner } = controllable();
    const cache = new PeerCache({ storage, onError: () => {} });
    await cache.upsert([user(1n), user(2n)]);
    control.failures = 1;
    await expect(cache.flush((tx) => tx.state.set('updates.state', 'pts 1'))).rejects.toBeInstanceOf(
      StorageError,
    );
    expect(await inner.peers.count()).toBe(0);
    expect(await inner.state.get('updates.state')).toBeUndefined();
    // The state's own write failing takes the peers' batch with it too, and it is written again later.
    await expect(
      cache.flush(async () => {
        throw new Error('state refused');
      }),
    ).rejects.toThrow();
    expect(await inner.peers.count()).toBe(0);
    await cache.flush((tx) => tx.state.set('updates.state', 'pts 2'));
    expect(await inner.peers.count()).toBe(2);
    expect(await inner.state.get('updates.state')).toBe('pts 2');
    await cache.close();
  });

  it('writes it after the others when the store refuses one record of the batch', async () => {
    const { storage, control, inner } = controllable();
    const errors: StorageError[] = [];
    const cache = new PeerCache({ storage, onError: (e) => errors.push(e) });
    control.refuse = (r) => r.firstName === 'Poison';
    await cache.upsert([user(1n), user(2n, { firstName: 'Poison' }), user(3n)]);
    let writes = 0;
    await cache.flush(async (tx) => {
      writes++;
      await tx.state.set('updates.state', 'pts 3');
    });
    expect(await inner.peers.count()).toBe(2);
    expect(errors).toHaveLength(1);
    expect(await inner.state.get('updates.state')).toBe('pts 3');
    // The whole batch's transaction was refused before reaching it; it was written once, on its own, after the
    // others.
    expect(writes).toBe(1);
    await cache.close();
  });
});

describe('PeerCache reads and order', () => {
  it('reads through to storage when the LRU holds less than the working set', async () => {
    const storage = createMemoryStorage();
    const cache = new PeerCache({ storage, cacheSize: 1, usernameCacheSize: 1 });
    const names = ['user_one', 'user_two', 'user_three', 'user_four'];
    await cache.upsert(names.map((name, i) => user(BigInt(i + 1), { usernames: [name] })));
    await cache.flush();
    for (const [i, name] of names.entries()) {
      expect((await cache.get(BigInt(i + 1)))?.usernames).toEqual([name]);
      expect((await cache.getByUsername(name))?.id).toBe(BigInt(i + 1));
    }
    // Moving a name whose owner is no longer cached still takes it from that owner.
    await cache.upsert([user(9n, { usernames: ['user_one'] })]);
    expect((await cache.get(1n))?.usernames).toEqual([]);
    await cache.close();
  });

  it('reads a record again when a write committed while storage was answering a lookup', async () => {
    const inner = createMemoryStorage();
    const slow = slowReads(inner);
    const cache = new PeerCache({ storage: slow.storage, cacheSize: 1, usernameCacheSize: 1 });
    await cache.upsert([user(1n, { firstName: 'Old', usernames: ['first_name_a'] })]);
    await cache.upsert([user(2n)]); // the LRU of one entry no longer holds peer 1
    await cache.flush();

    const byId = slow.holdNext(() => cache.get(1n)); // storage reads "Old" and answers only when released
    await cache.upsert([user(1n, { firstName: 'New', usernames: ['first_name_b'] })]);
    await cache.upsert([user(3n)]);
    await cache.flush();
    slow.release();
    expect((await byId)?.firstName).toBe('New');

    await cache.upsert([user(4n, { usernames: ['moving_name'] })]);
    await cache.upsert([user(5n, { usernames: ['filler_name'] })]); // nor the owner of moving_name
    await cache.flush();
    const byName = slow.holdNext(() => cache.getByUsername('moving_name')); // storage answers peer 4
    await cache.upsert([user(6n, { usernames: ['moving_name'] })]);
    await cache.upsert([user(7n, { usernames: ['other_name'] })]);
    await cache.flush();
    slow.release();
    expect((await byName)?.id).toBe(6n);
    await cache.close();
  });

  it('applies concurrent upserts in call order', async () => {
    const cache = new PeerCache({ storage: createMemoryStorage() });
    const [first, second] = await Promise.all([
      cache.upsert([user(1n, { firstName: 'A' })]),
      cache.upsert([user(1n, { firstName: 'B' })]),
    ]);
    expect(first?.[0]?.created).toBe(true);
    expect(second?.[0]).toMatchObject({
      created: false,
      changes: [{ field: 'firstName', before: 'A', after: 'B' }],
    });
    expect((await cache.get(1n))?.firstName).toBe('B');
    await cache.close();
  });

  it('flush waits for upserts called before it', async () => {
    const storage = createMemoryStorage();
    const cache = new PeerCache({ storage, flushDelayMs: 10_000 });
    void cache.upsert([user(1n)]);
    await cache.flush();
    expect(await storage.peers.count()).toBe(1);
    await cache.close();
  });

  it('yields the newest version of a record changed during iteration', async () => {
    const cache = new PeerCache({ storage: createMemoryStorage() });
    await cache.upsert([user(1n, { firstName: 'A' }), user(2n, { firstName: 'A' }), user(3n)]);
    const seen: string[] = [];
    for await (const record of cache.iterate({ pageSize: 1 })) {
      if (record.id === 1n) {
        await cache.upsert([user(2n, { firstName: 'B' })]);
        await cache.delete(3n);
      }
      seen.push(`${record.id}:${record.firstName}`);
    }
    expect(seen).toEqual(['1:A', '2:B']);
    await cache.close();
  });

  it('answers synchronous peeks from memory only, never throwing', async () => {
    const storage = createMemoryStorage();
    const cache = new PeerCache({ storage });
    await cache.upsert([
      user(5n, { usernames: ['Peek_Me'], accessHash: -2n }),
      { id: -7n, type: 'chat', title: 'c' },
    ]);
    const ref = { kind: 'user', id: 5n, accessHash: -2n, min: false };
    expect(cache.peek(5n)?.usernames).toEqual(['Peek_Me']);
    expect(cache.peekInputPeer(5n)).toEqual(ref);
    expect(cache.peekInputPeer('@PEEK_me')).toEqual(ref);
    expect(cache.peekInputPeer(-7n)).toEqual({ kind: 'chat', id: 7n, accessHash: 0n, min: false });
    expect(cache.peekInputPeer('not valid!!')).toBeUndefined();
    expect(cache.peek(42 as unknown as bigint)).toBeUndefined();
    await cache.flush();
    const cold = new PeerCache({ storage, closeStorage: false });
    expect(cold.peek(5n)).toBeUndefined();
    expect(cold.peekInputPeer('peek_me')).toBeUndefined();
    await cold.getByUsername('peek_me');
    expect(cold.peekInputPeer('peek_me')).toEqual(ref);
    await cache.close();
  });

  it('returns no results for an empty batch', async () => {
    const cache = new PeerCache({ storage: createMemoryStorage() });
    expect(await cache.upsert([])).toEqual([]);
    await cache.close();
  });

  it('closes the storage on close unless told not to', async () => {
    const owned = createMemoryStorage();
    await new PeerCache({ storage: owned }).close();
    await expect(owned.peers.count()).rejects.toBeInstanceOf(StorageError);
    const shared = createMemoryStorage();
    await new PeerCache({ storage: shared, closeStorage: false }).close();
    expect(await shared.peers.count()).toBe(0);
  });
});

describe('PeerCache large writes', () => {
  it('writes a large batch in slices with a turn of the event loop between them, in one transaction', async () => {
    const storage = createMemoryStorage();
    const events: (number | string)[] = [];
    let transactions = 0;
    const transaction = storage.transaction.bind(storage);
    storage.transaction = (fn) => {
      transactions++;
      return transaction((tx) =>
        fn({
          ...tx,
          peers: Object.assign(Object.create(tx.peers), {
            upsertMany: (records: readonly PeerRecord[]) => {
              if (events.length === 0) setImmediate(() => events.push('other work'));
              events.push(records.length);
              return tx.peers.upsertMany(records);
            },
          }),
        }),
      );
    };
    const cache = new PeerCache({ storage, maxBatch: 1_000_000 });
    await cache.upsert(Array.from({ length: 12_000 }, (_, i) => user(BigInt(i + 1))));
    await cache.flush();
    expect(events).toEqual([5000, 'other work', 5000, 2000]);
    expect(transactions).toBe(1);
    expect(await storage.peers.count()).toBe(12_000);
    await cache.close();
  });
});
