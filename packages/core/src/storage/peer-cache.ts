/**
 * PeerCache: the persistent seen-users cache. Every user, basic chat and channel the bot sees is kept with its
 * access hash (so the bot can address it later), usernames (case-insensitive, several per peer, moving between
 * peers), names, phone, last known language and a history of changes.
 *
 * Layers: an LRU of records and of username owners in front; changes are merged by the rules in `merge.ts`,
 * applied in memory at once and written behind in batches (at most `flushDelayMs` later, or as soon as
 * `maxBatch` peers are pending; under sustained load the delay grows to `maxFlushDelayMs` so that a burst is
 * written in few large transactions: group commit) through a {@link StorageProvider}. `flush()` resolves once everything upserted
 * before the call is committed; with SQLite a `kill -9` after that loses nothing.
 *
 * Why one file of this size: the LRUs, the pending and in-flight sets and the epoch are one consistency unit (a read
 * asks memory, then the batch in flight, then storage, and reads again when a write ended meanwhile), so that rule
 * lives in one class. The merge rules are in `merge.ts`, input checks in `validate.ts`, the LRU in `lru.ts`, the
 * pending set in `write-set.ts`, and how a batch is written (one transaction, the split that sets a refused peer
 * aside) in `batch-writer.ts`.
 *
 * Hot paths: a lookup memory answers skips parsing its key (a key memory holds is valid), and a batch of sightings
 * that all equal what memory holds (`sameSighting`) and are recent enough to write nothing is answered at once,
 * without validation, merge or reads; everything else takes the full path, which applies every rule.
 *
 * @example
 * ```ts
 * import { openSqliteStorage, PeerCache } from '@pm/core';
 * import { peerInputsFromGram } from '@pm/core/gram';
 * import bigInt from 'big-integer';
 * import { Api } from 'telegram';
 *
 * const peers = new PeerCache({ storage: await openSqliteStorage({ path: 'peers.db' }) });
 *
 * // Ingest what GramJS hands over (update.users, result.chats, ...) or the project's own records.
 * const ann = new Api.User({ id: bigInt(42), accessHash: bigInt('-7123456789012345678'), firstName: 'Ann',
 *   username: 'Ann_Example', langCode: 'en' });
 * await peers.upsert(peerInputsFromGram([ann]));
 * const [result] = await peers.upsert([{ id: 42n, type: 'user', firstName: 'Anna' }]);
 * for (const c of result?.changes ?? []) console.log(c.field, c.before, '→', c.after); // firstName Ann → Anna
 *
 * const found = await peers.getByUsername('@ann_example'); // case-insensitive
 * console.log(found?.langCode, found?.langCodeSeenAt); // 'en', when it was last seen (ms)
 * console.log(await peers.inputPeerFor(42n)); // { kind: 'user', id: 42n, accessHash: -7123456789012345678n, min: false }
 * for await (const peer of peers.iterate()) console.log(peer.id, peer.usernames); // 42n [ 'Ann_Example' ]
 * console.log(await peers.history(42n)); // [ { peerId: 42n, field: 'firstName', before: 'Ann', after: 'Anna', at } ]
 * await peers.close(); // flushes, then closes the storage
 * ```
 * `toGramInputPeer(descriptor)` in `gram/entities.ts` turns `inputPeerFor()`'s answer into `Api.InputPeerUser`...
 */
import { PeerSetAsideError, StorageError } from '../errors.js';
import { type AlsoWrite, writeIsolating } from './batch-writer.js';
import { PEER_CACHE_DEFAULTS } from './defaults.js';
import { Lru } from './lru.js';
import {
  createRecord,
  freezeRecord,
  historyRows,
  mergeRecord,
  sameSighting,
  withoutPhone,
  withoutUsername,
} from './merge.js';
import { parsePeerId, unmarkPeerId } from './peer-ids.js';
import type {
  Displacement,
  HistoryEntry,
  InputPeerDescriptor,
  PeerInput,
  PeerRecord,
  StorageProvider,
  StorageRepositories,
  UpsertResult,
} from './types.js';
import {
  normalizePhone,
  normalizeUsernameQuery,
  type ValidPeerInput,
  validatePeerInputs,
} from './validate.js';
import { WriteSet } from './write-set.js';

/** Options of {@link PeerCache}. */
export interface PeerCacheOptions {
  /** Where records are kept. */
  storage: StorageProvider;
  /** Clock for firstSeen, lastSeen, lastUpdated and history, in ms. @default Date.now */
  now?: () => number;
  /** Records kept in the in-memory LRU, at most (always the most recently used half of it; see `lru.ts`). @default 50_000 */
  cacheSize?: number;
  /** Username → peer id entries kept in memory, at most (as `cacheSize`). @default 50_000 */
  usernameCacheSize?: number;
  /** Longest time a change waits in memory before it is written while traffic is light, ms. @default 50 */
  flushDelayMs?: number;
  /**
   * Group commit: under load (writes carrying at least 1000 peers) the delay doubles from `flushDelayMs` up to
   * this, so a burst is written in fewer, larger transactions, which cost far less per peer; it falls back to
   * `flushDelayMs` once traffic is light. `flush()` always writes at once. @default 1000
   */
  maxFlushDelayMs?: number;
  /** A write starts at once when this many peers are pending; an upsert waits while a write runs and this many more are pending. @default 50_000 */
  maxBatch?: number;
  /**
   * A sighting that changes no field updates `lastSeen` and `langCodeSeenAt` only when they are at least this
   * old; otherwise it is a no-op and writes nothing. 0 records every sighting. @default 60_000
   */
  lastSeenResolutionMs?: number;
  /** `close()` also closes the storage provider. @default true */
  closeStorage?: boolean;
  /**
   * Told when a background write fails. A failure that may pass (connection lost, lock busy, deadlock) or that is
   * the store's (read-only, full, closed) keeps the batch in memory and tries again after a growing delay
   * (`retryBaseDelayMs` doubled per failure in a row, at most `retryMaxDelayMs`), or at the next `flush()`, which
   * rejects with the same error. A failure that is the data's (the store refuses a value) never loops: the batch is
   * split until the refused peer is found; it is set aside and told as a {@link PeerSetAsideError} naming it, and
   * every other record is written. @default undefined (nothing is told)
   */
  onError?: (error: StorageError) => void;
  /** Told after each background or explicit write of the pending set (for logs): peers written, time taken. */
  onFlushed?: (info: { readonly peers: number; readonly ms: number; readonly error?: StorageError }) => void;
  /** First wait before a failed background write is tried again, ms. @default 100 */
  retryBaseDelayMs?: number;
  /** Longest wait between tries of a failed background write, ms. @default 30_000 */
  retryMaxDelayMs?: number;
}

const lower = (name: string): string => name.toLowerCase();

function inputPeerOf(record: PeerRecord): InputPeerDescriptor | undefined {
  const { kind, id } = unmarkPeerId(record.id);
  if (kind === 'chat') return { kind, id, accessHash: 0n, min: false };
  if (record.accessHash === null) return undefined;
  return { kind, id, accessHash: record.accessHash, min: record.min };
}
const noop = (): void => {};
/** Shared by every unchanged result: nothing changed, nothing displaced (both are readonly in UpsertResult). */
const NO_CHANGES: readonly never[] = Object.freeze([]);

/** The same usernames in the same order and case. */
function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Whether a record holds a username, given lower-case. */
function holdsName(record: PeerRecord, lowerName: string): boolean {
  const names = record.usernames;
  for (let i = 0; i < names.length; i++) {
    const u = names[i] as string;
    if (u === lowerName || lower(u) === lowerName) return true;
  }
  return false;
}
/** Batches up to this size are live traffic whose new peers are worth caching; larger ones are bulk imports. */
const WARM_BATCH = 32;
/** Peers written per statement batch inside one transaction, with a turn of the event loop between slices. */

export class PeerCache {
  readonly #storage: StorageProvider;
  readonly #now: () => number;
  readonly #flushDelayMs: number;
  readonly #maxFlushDelayMs: number;
  readonly #maxBatch: number;
  readonly #lastSeenResolutionMs: number;
  readonly #closeStorage: boolean;
  readonly #onError: ((error: StorageError) => void) | undefined;
  readonly #onFlushed: PeerCacheOptions['onFlushed'];
  readonly #retryBaseDelayMs: number;
  readonly #retryMaxDelayMs: number;
  /** Background writes failed in a row; the next try waits longer each time. */
  #failures = 0;
  readonly #records: Lru<bigint, PeerRecord>;
  readonly #owners: Lru<string, bigint>;
  #dirty = new WriteSet();
  #inflight: WriteSet | null = null;
  /** Bumped whenever a batch commits or fails: a storage read that spans a bump may be stale. */
  #epoch = 0;
  /** Upserts and deletes run one at a time, in call order. */
  #queue: Promise<unknown> = Promise.resolve();
  /** Operations queued or running: while any is, an upsert cannot be answered at once from memory. */
  #queued = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The current write-behind delay: `flushDelayMs`, growing towards `maxFlushDelayMs` under load. */
  #delayMs: number;
  #writing: Promise<StorageError | undefined> | null = null;
  #closed = false;

  constructor(options: PeerCacheOptions) {
    this.#storage = options.storage;
    this.#now = options.now ?? Date.now;
    this.#flushDelayMs = Math.max(0, options.flushDelayMs ?? PEER_CACHE_DEFAULTS.flushDelayMs);
    this.#maxFlushDelayMs = Math.max(
      this.#flushDelayMs,
      options.maxFlushDelayMs ?? PEER_CACHE_DEFAULTS.maxFlushDelayMs,
    );
    this.#delayMs = this.#flushDelayMs;
    this.#maxBatch = options.maxBatch ?? PEER_CACHE_DEFAULTS.maxBatch;
    this.#lastSeenResolutionMs = options.lastSeenResolutionMs ?? PEER_CACHE_DEFAULTS.lastSeenResolutionMs;
    this.#closeStorage = options.closeStorage ?? PEER_CACHE_DEFAULTS.closeStorage;
    this.#onError = options.onError;
    this.#onFlushed = options.onFlushed;
    this.#retryBaseDelayMs = Math.max(1, options.retryBaseDelayMs ?? PEER_CACHE_DEFAULTS.retryBaseDelayMs);
    this.#retryMaxDelayMs = Math.max(
      this.#retryBaseDelayMs,
      options.retryMaxDelayMs ?? PEER_CACHE_DEFAULTS.retryMaxDelayMs,
    );
    this.#records = new Lru(options.cacheSize ?? PEER_CACHE_DEFAULTS.cacheSize);
    this.#owners = new Lru(options.usernameCacheSize ?? PEER_CACHE_DEFAULTS.usernameCacheSize);
  }

  /** The record of a marked peer id (bigint or decimal string), or undefined if never seen. */
  async get(id: bigint | string): Promise<PeerRecord | undefined> {
    // Memory first: a record held there proves the id valid, so the hot path skips parsing it.
    let peeked = false;
    if (typeof id === 'bigint' && !this.#closed) {
      const known = this.#peek(id);
      if (known !== undefined) return known ?? undefined;
      peeked = true;
    }
    const key = parsePeerId(id);
    this.#assertOpen();
    if (this.#storage.peers.getNow === undefined) return this.#load(key);
    // Memory was asked for this very key just above (nothing ran in between): straight to the store.
    return peeked ? this.#fetchNow(key) : this.#loadNow(key);
  }

  /** The current owner of a username (with or without `@`, any case), or undefined. */
  async getByUsername(username: string): Promise<PeerRecord | undefined> {
    // Memory first, with the name as given: memory holds only valid lower-case names, so a hit proves it one.
    let asked: string | undefined;
    if (typeof username === 'string' && !this.#closed) {
      asked = username;
      const owner = this.#ownerInMemory(username);
      if (owner === null) return undefined;
      const record = owner === undefined ? undefined : this.#peek(owner);
      if (record === null) return undefined;
      if (record !== undefined) return holdsName(record, username) ? record : undefined;
    }
    const name = normalizeUsernameQuery(username);
    this.#assertOpen();
    const storage = this.#storage;
    if (storage.usernames.resolveNow !== undefined && storage.peers.getNow !== undefined) {
      // Synchronous reads (SQLite, memory): the same steps as below, with nothing able to commit in between.
      // A name given as stored (lower case, no `@`) was asked of memory above already.
      let owner = name === asked ? undefined : this.#ownerInMemory(name);
      if (owner === undefined) {
        owner = storage.usernames.resolveNow(name) ?? null;
        this.#rememberOwnerFn(name, owner);
      }
      if (owner === null) return undefined;
      const record = this.#loadNow(owner);
      return record !== undefined && holdsName(record, name) ? record : undefined;
    }
    const owner = await this.#readOne(name, this.#ownerInMemoryFn, this.#fetchOwner, this.#rememberOwnerFn);
    if (owner === null) return undefined;
    const record = await this.#load(owner);
    return record !== undefined && holdsName(record, name) ? record : undefined;
  }

  /** The peer currently holding a phone number (digits, `+`, spaces and dashes allowed), or undefined. */
  async getByPhone(phone: string): Promise<PeerRecord | undefined> {
    const digits = normalizePhone(phone);
    this.#assertOpen();
    const holder = (await this.#resolvePhones([digits])).get(digits);
    if (holder === undefined || holder === null) return undefined;
    const record = await this.#load(holder);
    return record?.phone === digits ? record : undefined;
  }

  /**
   * Merges sightings into the cache and reports, per input in order, the stored record and what changed. The
   * whole batch is validated first: on bad input a `PmError` subclass names the value and nothing is written.
   */
  async upsert(records: readonly PeerInput[]): Promise<UpsertResult[]> {
    // The common case of a live bot: peers memory holds, seen again with nothing changed. Answered at once when no
    // earlier operation is still queued (it could change them); otherwise the sightings take the full path.
    if (this.#queued === 0 && !this.#closed) {
      const unchanged = this.#unchanged(records);
      if (unchanged !== undefined) return unchanged;
    }
    const valid = validatePeerInputs(records);
    this.#assertOpen();
    if (valid.length === 0) return [];
    return this.#serial(async () => {
      // Backpressure: while a write runs and a full batch is already pending, wait for that write, so memory holds
      // at most about two batches. Not after a failure: the store may be down for long, and reads and merges must
      // keep working meanwhile (the pending set then grows until the store is back).
      while (this.#writing !== null && this.#failures === 0 && this.#dirty.size >= this.#maxBatch)
        await this.#writing;
      return this.#apply(valid);
    });
  }

  /** What GramJS needs to address a peer (see `toGramInputPeer`), or undefined if unknown or without a hash. */
  async inputPeerFor(id: bigint | string): Promise<InputPeerDescriptor | undefined> {
    const record = await this.get(id);
    return record === undefined ? undefined : inputPeerOf(record);
  }

  /**
   * Memory only and synchronous: the record of a marked id if the LRU or the pending writes hold it. Never reads
   * storage, never throws; for hot paths that cannot wait.
   */
  peek(id: bigint): PeerRecord | undefined {
    if (this.#closed || typeof id !== 'bigint') return undefined;
    return this.#peek(id) ?? undefined;
  }

  /**
   * Memory only and synchronous: the input peer of a marked id or a username (any case, `@` optional) if memory
   * holds it, else undefined. Never throws; for GramJS's synchronous `getInputEntity`.
   */
  peekInputPeer(key: bigint | string): InputPeerDescriptor | undefined {
    if (this.#closed) return undefined;
    let id: bigint | null | undefined;
    let name: string | undefined;
    if (typeof key === 'bigint') id = key;
    else if (typeof key === 'string') {
      name = lower(key.startsWith('@') ? key.slice(1) : key);
      id = this.#ownerInMemory(name);
    }
    if (id === undefined || id === null) return undefined;
    const record = this.#peek(id);
    if (!record || (name !== undefined && !record.usernames.some((u) => lower(u) === name))) return undefined;
    return inputPeerOf(record);
  }

  /**
   * Forgets what memory holds about these peers (changes still waiting to be written stay), so their next read
   * comes from storage. For a store shared by several processes: call it when another process changed them
   * (`@pm/storage-postgres` does, from LISTEN/NOTIFY, once `attachPeerCache(cache)` was called).
   */
  invalidate(ids: Iterable<bigint>): void {
    for (const id of ids) this.#records.delete(id);
    this.#epoch++; // a storage read that started before the change may be stale
  }

  /** Forgets the owners memory holds for these lower-cased usernames, so their next lookup asks storage. */
  invalidateUsernames(lowerNames: Iterable<string>): void {
    for (const name of lowerNames) this.#owners.delete(name);
    this.#epoch++;
  }

  /** Forgets every cached record and username owner (pending writes stay), e.g. after missed notifications. */
  invalidateAll(): void {
    this.#records.clear();
    this.#owners.clear();
    this.#epoch++;
  }

  /** Changes of names, title, usernames, phone and lang code, oldest first. Flushes pending writes first. */
  async history(id: bigint | string): Promise<HistoryEntry[]> {
    const key = parsePeerId(id);
    await this.flush();
    return this.#storage.history.list(key);
  }

  /** Number of peers stored. Flushes pending writes first. */
  async count(): Promise<number> {
    await this.flush();
    return this.#storage.peers.count();
  }

  /**
   * Every record, ascending by id, fetched page by page. Flushes first; a record changed during the iteration is
   * yielded in its newest version, one deleted meanwhile is skipped.
   */
  async *iterate(options: { pageSize?: number } = {}): AsyncGenerator<PeerRecord, void, undefined> {
    const pageSize = Math.max(1, options.pageSize ?? PEER_CACHE_DEFAULTS.pageSize);
    await this.flush();
    let after: bigint | null = null;
    for (;;) {
      this.#assertOpen();
      const page = await this.#storage.peers.page(after, pageSize);
      for (const stored of page) {
        const current = this.#peek(stored.id);
        if (current !== null) yield current ?? freezeRecord(stored);
      }
      const last = page.at(-1);
      if (last === undefined || page.length < pageSize) return;
      after = last.id;
    }
  }

  /** Forgets a peer: its record, usernames and history. Resolves to false if it was not known. */
  async delete(id: bigint | string): Promise<boolean> {
    const key = parsePeerId(id);
    this.#assertOpen();
    return this.#serial(async () => {
      const existing = await this.#load(key);
      if (existing === undefined) return false;
      for (const name of existing.usernames) this.#setOwner(lower(name), null, false);
      if (existing.phone !== null) this.#dirty.phones.set(existing.phone, null);
      this.#dirty.delete(key);
      this.#records.delete(key);
      this.#schedule();
      return true;
    });
  }

  /**
   * Resolves once everything upserted or deleted before the call is committed to storage. `alsoWrite` writes more in
   * the same transaction as the pending peers (in its own when none are pending, or after the store refused part of
   * them): what must not be stored ahead of them, such as the update state that says their update was handled.
   */
  async flush(alsoWrite?: (tx: StorageRepositories) => Promise<void>): Promise<void> {
    this.#assertOpen();
    await this.#queue;
    // Let a background write finish first (a failed one was reported and its batch kept for the write below).
    while (this.#writing !== null) await this.#writing;
    const also: AlsoWrite | undefined = alsoWrite ? { write: alsoWrite, done: false } : undefined;
    if (!this.#dirty.isEmpty) {
      const error = await this.#write(also);
      if (error !== undefined) throw error;
    }
    if (also && !also.done) await this.#storage.transaction(also.write);
  }

  /** Flushes, then stops; closes the storage too unless `closeStorage: false`. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#records.clear();
    this.#owners.clear();
    if (this.#closeStorage) await this.#storage.close();
  }

  // -------------------------------------------------------------------------------------------------------------

  #assertOpen(): void {
    if (this.#closed) throw new StorageError('STORAGE_CLOSED', 'This PeerCache was closed; create a new one');
  }

  #serial<T>(op: () => Promise<T>): Promise<T> {
    this.#queued++;
    const run = this.#queue.then(op);
    // The queue only orders operations; each caller gets its own outcome through `run`.
    const done = (): void => {
      this.#queued--;
    };
    this.#queue = run.then(done, done);
    return run;
  }

  /**
   * The results of a batch whose every sighting is of a peer memory holds and changes nothing that is worth a
   * write (see `#isRecent`), or undefined if any sighting needs the full path. Reads memory only and changes nothing.
   * Runs on raw input too: a sighting equal to its stored record is valid (see `sameSighting`).
   */
  #unchanged(inputs: readonly PeerInput[]): UpsertResult[] | undefined {
    if (!Array.isArray(inputs) || inputs.length === 0) return undefined;
    const now = this.#now();
    const results: UpsertResult[] = new Array(inputs.length);
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i] as PeerInput;
      if (typeof input !== 'object' || input === null || typeof input.id !== 'bigint') return undefined;
      const before = this.#peek(input.id);
      if (before === undefined || before === null) return undefined;
      const same = sameSighting(before, input);
      // The merge would set lastSeen to max(lastSeen, now), and langCodeSeenAt to now when the lang code was seen.
      if (
        same === undefined ||
        !this.#isRecent(
          before,
          Math.max(before.lastSeen, now),
          same === 'lang seen' ? now : before.langCodeSeenAt,
        )
      )
        return undefined;
      results[i] = { record: before, before, created: false, changes: NO_CHANGES, displaced: NO_CHANGES };
    }
    return results;
  }

  /** In-memory knowledge: a record, null when deleted, undefined when memory does not know. */
  #peek(id: bigint): PeerRecord | null | undefined {
    const pending = this.#dirty.lookup(id);
    if (pending !== undefined) return pending;
    const inflight = this.#inflight?.lookup(id);
    if (inflight !== undefined) return inflight;
    return this.#records.get(id);
  }

  async #load(id: bigint): Promise<PeerRecord | undefined> {
    return (await this.#readOne(id, this.#peekFn, this.#fetchRecord, this.#rememberRecord)) ?? undefined;
  }

  /**
   * {@link #load} through a store that reads synchronously (`peers.getNow`): memory first, then the store, whose
   * answer is remembered. Nothing can commit between the two, so the answer needs no epoch check.
   */
  #loadNow(id: bigint): PeerRecord | undefined {
    const known = this.#peek(id);
    if (known !== undefined) return known ?? undefined;
    return this.#fetchNow(id);
  }

  /** The store's record of an id memory does not know (asked just before), remembered. */
  #fetchNow(id: bigint): PeerRecord | undefined {
    const stored = this.#storage.peers.getNow?.(id);
    if (stored === undefined) return undefined;
    const record = freezeRecord(stored);
    this.#records.set(id, record);
    return record;
  }

  readonly #peekFn = (id: bigint): PeerRecord | null | undefined => this.#peek(id);
  readonly #fetchRecord = (id: bigint): Promise<PeerRecord | undefined> => this.#storage.peers.get(id);
  readonly #rememberRecord = (id: bigint, record: PeerRecord | null): void => {
    if (record !== null) this.#records.set(id, freezeRecord(record));
  };
  readonly #ownerInMemoryFn = (name: string): bigint | null | undefined => this.#ownerInMemory(name);
  readonly #fetchOwner = async (name: string): Promise<bigint | undefined> =>
    (await this.#storage.usernames.resolveMany([name])).get(name);
  readonly #rememberOwnerFn = (name: string, owner: bigint | null): void => {
    if (owner !== null) this.#owners.set(name, owner);
  };

  /**
   * {@link #readThrough} of one key, by the same rule, without its maps and arrays: the path of every lookup that
   * misses memory (a cold `get` or `getByUsername`), where they were a visible share of the lookup's cost.
   */
  async #readOne<K, V>(
    key: K,
    inMemory: (key: K) => V | null | undefined,
    fetch: (key: K) => Promise<V | undefined>,
    remember: (key: K, value: V | null) => void,
  ): Promise<V | null> {
    for (;;) {
      const known = inMemory(key);
      if (known !== undefined) return known;
      const epoch = this.#epoch;
      const stored = await fetch(key);
      const now = inMemory(key); // changed in memory while storage answered
      if (now !== undefined) return now;
      if (epoch === this.#epoch) {
        const value = stored ?? null;
        remember(key, value);
        return value;
      }
      // A batch committed meanwhile: the answer may predate it, ask again.
    }
  }

  /**
   * What memory knows about `keys`, the rest read from storage: the one read-through every lookup uses (records,
   * username owners, phone holders). `inMemory` answers a value, null for "known to be absent", or undefined for
   * "ask storage". A storage answer is taken only if no batch committed while it was read (the epoch did not move)
   * and memory still does not know the key; otherwise the key is asked again, as the answer may predate the batch.
   * `remember` keeps what storage answered (null: storage does not have it).
   */
  async #readThrough<K, V>(
    keys: Iterable<K>,
    inMemory: (key: K) => V | null | undefined,
    fetch: (keys: K[]) => Promise<Map<K, V>>,
    remember: (key: K, value: V | null) => void = noop,
  ): Promise<Map<K, V | null>> {
    const answers = new Map<K, V | null>();
    let missing: K[] = [];
    for (const key of keys) {
      const known = inMemory(key);
      if (known === undefined) missing.push(key);
      else answers.set(key, known);
    }
    while (missing.length > 0) {
      const epoch = this.#epoch;
      const stored = await fetch(missing);
      const retry: K[] = [];
      for (const key of missing) {
        const known = inMemory(key); // changed in memory while storage answered
        if (known !== undefined) answers.set(key, known);
        else if (epoch !== this.#epoch)
          retry.push(key); // a batch committed meanwhile
        else {
          const value = stored.get(key) ?? null;
          remember(key, value);
          answers.set(key, value);
        }
      }
      missing = retry;
    }
    return answers;
  }

  async #loadMany(ids: Iterable<bigint>): Promise<Map<bigint, PeerRecord>> {
    const answers = await this.#readThrough(
      ids,
      (id) => this.#peek(id),
      (missing) => this.#storage.peers.getMany(missing),
      this.#rememberRecord,
    );
    const found = new Map<bigint, PeerRecord>();
    for (const [id, record] of answers) if (record !== null) found.set(id, record);
    return found;
  }

  #ownerInMemory(name: string): bigint | null | undefined {
    const pending = this.#dirty.owners.size === 0 ? undefined : this.#dirty.owners.get(name);
    if (pending !== undefined) return pending;
    const inflight = this.#inflight?.owners.get(name);
    if (inflight !== undefined) return inflight;
    return this.#owners.get(name);
  }

  #resolveOwners(names: Iterable<string>): Promise<Map<string, bigint | null>> {
    return this.#readThrough(
      names,
      (name) => this.#ownerInMemory(name),
      (missing) => this.#storage.usernames.resolveMany(missing),
      this.#rememberOwnerFn,
    );
  }

  #phoneInMemory(phone: string): bigint | null | undefined {
    const pending = this.#dirty.phones.get(phone);
    return pending !== undefined ? pending : this.#inflight?.phones.get(phone);
  }

  #resolvePhones(phones: Iterable<string>): Promise<Map<string, bigint | null>> {
    return this.#readThrough(
      phones,
      (phone) => this.#phoneInMemory(phone),
      (missing) => this.#storage.peers.findByPhones(missing),
    );
  }

  /** Caches the owner of a name that memory knows nothing about (no pending change either). */
  #rememberOwner(name: string, owner: bigint): void {
    if (this.#ownerInMemory(name) === undefined) this.#owners.set(name, owner);
  }

  /** `warm`: also cache a name the LRU does not hold yet (live traffic, not a bulk import). */
  #setOwner(name: string, owner: bigint | null, warm: boolean): void {
    this.#dirty.owners.set(name, owner);
    if (owner === null) this.#owners.delete(name);
    else if (warm || this.#owners.has(name)) this.#owners.set(name, owner);
  }

  async #apply(inputs: readonly ValidPeerInput[]): Promise<UpsertResult[]> {
    this.#assertOpen();
    // Nothing to merge and nothing to read when memory holds every peer and nothing changes.
    const unchanged = this.#unchanged(inputs);
    if (unchanged !== undefined) return unchanged;
    // Fetch everything the merge needs, then merge synchronously so the batch applies as one step: the records of
    // the peers seen, the owners of the usernames and phones they may take, and the records of those owners.
    const working = await this.#loadMany(new Set(inputs.map((input) => input.id)));
    const warm = inputs.length <= WARM_BATCH;
    const names = new Set<string>();
    const phones = new Set<string>();
    for (const input of inputs) {
      const known = working.get(input.id);
      // Names and a phone the peer holds already need no owner: it is the peer itself, or, when an earlier sighting
      // of this batch moved them, the pending change (which the merge below asks first). Live traffic still puts
      // the names of the peers it sees in memory, as asking storage for them would have.
      if (input.usernames !== undefined && known && sameNames(known.usernames, input.usernames)) {
        if (warm) for (const name of known.usernames) this.#rememberOwner(lower(name), known.id);
      } else for (const name of input.usernames ?? []) names.add(lower(name));
      if (typeof input.phone === 'string' && input.phone !== known?.phone) phones.add(input.phone);
    }
    const owners = await this.#resolveOwners(names);
    const holders = await this.#resolvePhones(phones);
    const others = new Set<bigint>();
    for (const owner of owners.values()) if (owner !== null && !working.has(owner)) others.add(owner);
    for (const holder of holders.values()) if (holder !== null && !working.has(holder)) others.add(holder);
    if (others.size > 0) for (const [id, record] of await this.#loadMany(others)) working.set(id, record);

    const now = this.#now();
    const results: UpsertResult[] = [];
    for (const input of inputs) {
      const before = working.get(input.id);
      const { record, changes } = before
        ? mergeRecord(before, input, now)
        : { record: createRecord(input, now), changes: [] };
      if (
        before !== undefined &&
        changes.length === 0 &&
        this.#isRecent(before, record.lastSeen, record.langCodeSeenAt)
      ) {
        results.push({ record: before, before, created: false, changes, displaced: [] });
        continue;
      }
      const displaced: Displacement[] = [];
      const usernamesChanged = before === undefined || changes.some((c) => c.field === 'usernames');
      if (usernamesChanged) {
        const kept = new Set(record.usernames.map(lower));
        for (const name of before?.usernames ?? [])
          if (!kept.has(lower(name))) this.#setOwner(lower(name), null, warm);
        for (const name of kept) {
          const pending = this.#dirty.owners.get(name); // set earlier in this batch, or null once freed
          const owner = pending !== undefined ? pending : (owners.get(name) ?? null);
          const victim = owner !== null && owner !== record.id ? working.get(owner) : undefined;
          if (victim?.usernames.some((u) => lower(u) === name)) {
            const after = withoutUsername(victim, name, now);
            this.#commit(working, after.record, after.changes, true, false, warm, now);
            this.#dirty.tie(victim.id, record.id);
            displaced.push({ from: victim.id, field: 'usernames', value: name, before: victim, ...after });
          }
          this.#setOwner(name, record.id, warm);
        }
      }
      if (before?.phone != null && before.phone !== record.phone) this.#dirty.phones.set(before.phone, null);
      if (record.phone !== null && record.phone !== before?.phone) {
        const pending = this.#dirty.phones.get(record.phone);
        const holder = pending !== undefined ? pending : (holders.get(record.phone) ?? null);
        const victim = holder !== null && holder !== record.id ? working.get(holder) : undefined;
        if (victim?.phone === record.phone) {
          const after = withoutPhone(victim, now);
          this.#commit(working, after.record, after.changes, false, false, warm, now);
          this.#dirty.tie(victim.id, record.id);
          displaced.push({ from: victim.id, field: 'phone', value: record.phone, before: victim, ...after });
        }
        this.#dirty.phones.set(record.phone, record.id);
      }
      this.#commit(working, record, changes, usernamesChanged, before === undefined, warm, now);
      results.push({ record, before, created: before === undefined, changes, displaced });
    }
    this.#schedule();
    return results;
  }

  /** An unchanged sighting (at `lastSeen`, lang code seen at `langCodeSeenAt`) soon after the last one recorded: not worth a write. */
  #isRecent(before: PeerRecord, lastSeen: number, langCodeSeenAt: number | null): boolean {
    const resolution = this.#lastSeenResolutionMs;
    return (
      lastSeen - before.lastSeen < resolution &&
      (langCodeSeenAt === before.langCodeSeenAt ||
        (langCodeSeenAt ?? 0) - (before.langCodeSeenAt ?? 0) < resolution)
    );
  }

  #commit(
    working: Map<bigint, PeerRecord>,
    record: PeerRecord,
    changes: UpsertResult['changes'],
    usernamesChanged: boolean,
    created: boolean,
    warm: boolean,
    now: number,
  ): void {
    working.set(record.id, record);
    // A known peer is in the LRU already (loaded to merge) and is refreshed. A new one is cached only from live
    // traffic: a bulk import of unknown peers would just push the hot set out of the LRU.
    if (!created || warm) this.#records.set(record.id, record);
    this.#dirty.put(record, usernamesChanged, created);
    if (changes.length > 0) this.#dirty.history.push(...historyRows(record.id, changes, now));
  }

  #schedule(): void {
    if (this.#dirty.isEmpty || this.#writing !== null) return; // a running write reschedules when it ends
    if (this.#failures === 0 && this.#dirty.size >= this.#maxBatch) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      void this.#write();
    } else if (this.#timer === undefined) {
      const delay =
        this.#failures === 0
          ? this.#delayMs
          : Math.min(this.#retryMaxDelayMs, this.#retryBaseDelayMs * 2 ** Math.min(30, this.#failures - 1));
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        // Group commit: a timed write this large means sustained traffic, so the next one waits longer and carries
        // more; a small one means traffic is light again. (A retry after a failure keeps its own backoff.)
        if (this.#failures === 0) {
          this.#delayMs =
            this.#dirty.size >= PEER_CACHE_DEFAULTS.groupCommitMinPeers
              ? Math.min(this.#maxFlushDelayMs, Math.max(1, this.#delayMs * 2))
              : this.#flushDelayMs;
        }
        if (this.#writing === null) void this.#write();
      }, delay);
    }
  }

  /**
   * Writes the pending set; resolves to the failure that kept some of it unwritten (back in the pending set), never
   * rejects. A set-aside peer is told through `onError` and is not a failure of the write.
   */
  #write(also?: AlsoWrite): Promise<StorageError | undefined> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#dirty;
    this.#dirty = new WriteSet();
    this.#inflight = batch;
    const started = Date.now();
    const writing = writeIsolating(
      this.#storage,
      batch,
      {
        requeue: (rest) => this.#dirty.absorb(rest),
        setAside: (part, error) => this.#setAside(part, error),
      },
      also,
    ).then((error) => {
      this.#onFlushed?.({ peers: batch.size, ms: Date.now() - started, ...(error ? { error } : {}) });
      this.#inflight = null;
      this.#epoch++;
      this.#writing = null;
      if (error === undefined) this.#failures = 0;
      else {
        this.#failures++;
        this.#onError?.(error);
      }
      // A closed store will not come back: the batch waits for flush(), which reports it.
      if (error?.code !== 'STORAGE_CLOSED') this.#schedule();
      return error;
    });
    this.#writing = writing;
    return writing;
  }

  /** Memory forgets a part the store refused, so reads answer what the store holds; the refusal is told. */
  #setAside(part: WriteSet, error: StorageError): void {
    const ids = part.ids();
    const refused = new Set(ids);
    for (const id of ids) {
      const record = this.#records.get(id);
      for (const name of record?.usernames ?? []) this.#owners.delete(lower(name));
      this.#records.delete(id);
    }
    for (const record of part.peers.values())
      for (const name of record.usernames) this.#owners.delete(lower(name));
    for (const [name, owner] of this.#inflight?.owners ?? [])
      if (owner === null || refused.has(owner)) this.#owners.delete(name);
    this.#onError?.(new PeerSetAsideError(ids, error.message, { cause: error }));
  }
}
