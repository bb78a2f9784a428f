/**
 * The in-memory repositories. Each write goes through `MemoryContext.write`, which (outside a transaction) waits
 * for an open transaction to end and (inside one) records how to undo itself.
 */
import { StorageError } from '../../errors.js';
import type { TxGate } from '../tx-gate.js';
import type {
  DialogRepository,
  DialogState,
  HistoryEntry,
  HistoryRepository,
  KeyValueRepository,
  PeerRecord,
  PeerRepository,
  UsernameEntry,
  UsernameRepository,
} from '../types.js';

/** All tables of one in-memory store. */
export interface MemoryTables {
  readonly peers: Map<bigint, PeerRecord>;
  /** Ids of `peers` in ascending order, rebuilt lazily after a write. */
  sortedPeerIds: bigint[] | null;
  readonly phones: Map<string, Set<bigint>>;
  readonly usernames: Map<string, { peerId: bigint; username: string }>;
  readonly usernamesByPeer: Map<bigint, Set<string>>;
  readonly history: Map<bigint, HistoryEntry[]>;
  readonly kv: Map<string, string>;
  readonly dialogs: Map<bigint, DialogState>;
  sortedDialogIds: bigint[] | null;
}

export function emptyTables(): MemoryTables {
  return {
    peers: new Map(),
    sortedPeerIds: null,
    phones: new Map(),
    usernames: new Map(),
    usernamesByPeer: new Map(),
    history: new Map(),
    kv: new Map(),
    dialogs: new Map(),
    sortedDialogIds: null,
  };
}

/** Shared by the repositories of one store: the tables, the gate, the undo journal of the open transaction. */
export class MemoryContext {
  /** Undo steps of the open transaction, newest last; null outside a transaction. */
  journal: (() => void)[] | null = null;
  closed = false;

  constructor(
    readonly tables: MemoryTables,
    readonly gate: TxGate,
  ) {}

  assertOpen(): MemoryTables {
    if (this.closed) throw new StorageError('STORAGE_CLOSED', 'The memory storage was closed');
    return this.tables;
  }

  /** Runs a write: at once inside a transaction, else once no transaction is open. */
  async write(inTx: boolean, op: (t: MemoryTables) => void): Promise<void> {
    if (inTx) op(this.assertOpen());
    else await this.gate.run(() => op(this.assertOpen()));
  }

  /** Remembers how to put a map entry back as it was (inside a transaction). */
  remember<K, V>(map: Map<K, V>, key: K): void {
    if (this.journal === null) return;
    const had = map.has(key);
    const old = map.get(key);
    this.journal.push(() => {
      if (had) map.set(key, old as V);
      else map.delete(key);
    });
  }
}

function sortedKeys(map: Map<bigint, unknown>): bigint[] {
  return [...map.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Index of the first element greater than `after` in an ascending array. */
function firstAfter(sorted: readonly bigint[], after: bigint | null): number {
  if (after === null) return 0;
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as bigint) <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class MemoryPeerRepository implements PeerRepository {
  constructor(
    private readonly ctx: MemoryContext,
    private readonly inTx: boolean,
  ) {}

  async get(id: bigint): Promise<PeerRecord | undefined> {
    return this.ctx.assertOpen().peers.get(id);
  }

  async getMany(ids: readonly bigint[]): Promise<Map<bigint, PeerRecord>> {
    const peers = this.ctx.assertOpen().peers;
    const found = new Map<bigint, PeerRecord>();
    for (const id of ids) {
      const record = peers.get(id);
      if (record !== undefined) found.set(id, record);
    }
    return found;
  }

  async findByPhones(phones: readonly string[]): Promise<Map<string, bigint>> {
    const t = this.ctx.assertOpen();
    const found = new Map<string, bigint>();
    for (const phone of phones) {
      let best: PeerRecord | undefined;
      for (const id of t.phones.get(phone) ?? []) {
        const record = t.peers.get(id);
        if (record !== undefined && (best === undefined || record.lastUpdated > best.lastUpdated))
          best = record;
      }
      if (best !== undefined) found.set(phone, best.id);
    }
    return found;
  }

  upsertMany(records: readonly PeerRecord[]): Promise<void> {
    return this.ctx.write(this.inTx, (t) => {
      for (const record of records) {
        // A record seen before the stored one's last sighting changes nothing (see PeerRepository.upsertMany).
        const stored = t.peers.get(record.id);
        if (
          stored !== undefined &&
          stored.min === record.min &&
          (record.lastSeen < stored.lastSeen || record.lastUpdated < stored.lastUpdated)
        )
          continue;
        this.unindexPhone(t, record.id);
        this.ctx.remember(t.peers, record.id);
        if (!t.peers.has(record.id)) t.sortedPeerIds = null;
        // Stored as an immutable copy: callers may reuse their objects.
        t.peers.set(
          record.id,
          Object.isFrozen(record) ? record : Object.freeze({ ...record, usernames: [...record.usernames] }),
        );
        if (record.phone !== null) this.indexPhone(t, record.phone, record.id);
      }
    });
  }

  deleteMany(ids: readonly bigint[]): Promise<void> {
    return this.ctx.write(this.inTx, (t) => {
      for (const id of ids) {
        if (!t.peers.has(id)) continue;
        this.unindexPhone(t, id);
        this.ctx.remember(t.peers, id);
        t.peers.delete(id);
        t.sortedPeerIds = null;
      }
    });
  }

  async count(): Promise<number> {
    return this.ctx.assertOpen().peers.size;
  }

  async page(after: bigint | null, limit: number): Promise<PeerRecord[]> {
    const t = this.ctx.assertOpen();
    t.sortedPeerIds ??= sortedKeys(t.peers);
    const start = firstAfter(t.sortedPeerIds, after);
    return t.sortedPeerIds.slice(start, start + limit).map((id) => t.peers.get(id) as PeerRecord);
  }

  private indexPhone(t: MemoryTables, phone: string, id: bigint): void {
    const holders = t.phones.get(phone) ?? new Set<bigint>();
    holders.add(id);
    t.phones.set(phone, holders);
    if (this.ctx.journal !== null) this.ctx.journal.push(() => holders.delete(id));
  }

  private unindexPhone(t: MemoryTables, id: bigint): void {
    const phone = t.peers.get(id)?.phone;
    if (phone === null || phone === undefined) return;
    const holders = t.phones.get(phone);
    if (holders?.delete(id) && this.ctx.journal !== null) this.ctx.journal.push(() => holders.add(id));
  }
}

export class MemoryUsernameRepository implements UsernameRepository {
  constructor(
    private readonly ctx: MemoryContext,
    private readonly inTx: boolean,
  ) {}

  async resolveMany(lowerNames: readonly string[]): Promise<Map<string, bigint>> {
    const usernames = this.ctx.assertOpen().usernames;
    const found = new Map<string, bigint>();
    for (const name of lowerNames) {
      const row = usernames.get(name);
      if (row !== undefined) found.set(name, row.peerId);
    }
    return found;
  }

  replaceForPeers(entries: readonly UsernameEntry[]): Promise<void> {
    return this.ctx.write(this.inTx, (t) => {
      for (const { peerId } of entries) this.dropPeer(t, peerId);
      for (const { peerId, usernames } of entries) {
        for (const username of usernames) {
          const name = username.toLowerCase();
          const previous = t.usernames.get(name);
          if (previous !== undefined && previous.peerId !== peerId) this.unlink(t, previous.peerId, name);
          this.ctx.remember(t.usernames, name);
          t.usernames.set(name, { peerId, username });
          this.link(t, peerId, name);
        }
      }
    });
  }

  deleteForPeers(peerIds: readonly bigint[]): Promise<void> {
    return this.ctx.write(this.inTx, (t) => {
      for (const peerId of peerIds) this.dropPeer(t, peerId);
    });
  }

  private dropPeer(t: MemoryTables, peerId: bigint): void {
    for (const name of [...(t.usernamesByPeer.get(peerId) ?? [])]) {
      this.ctx.remember(t.usernames, name);
      t.usernames.delete(name);
      this.unlink(t, peerId, name);
    }
  }

  private link(t: MemoryTables, peerId: bigint, name: string): void {
    this.ctx.remember(t.usernamesByPeer, peerId);
    t.usernamesByPeer.set(peerId, new Set(t.usernamesByPeer.get(peerId)).add(name));
  }

  private unlink(t: MemoryTables, peerId: bigint, name: string): void {
    const names = t.usernamesByPeer.get(peerId);
    if (names === undefined) return;
    this.ctx.remember(t.usernamesByPeer, peerId);
    const rest = new Set(names);
    rest.delete(name);
    if (rest.size === 0) t.usernamesByPeer.delete(peerId);
    else t.usernamesByPeer.set(peerId, rest);
  }
}

export class MemoryHistoryRepository implements HistoryRepository {
  constructor(
    private readonly ctx: MemoryContext,
    private readonly inTx: boolean,
  ) {}

  append(entries: readonly HistoryEntry[]): Promise<void> {
    return this.ctx.write(this.inTx, (t) => {
      for (const entry of entries) {
        this.ctx.remember(t.history, entry.peerId);
        t.history.set(entry.peerId, [...(t.history.get(entry.peerId) ?? []), Object.freeze({ ...entry })]);
      }
    });
  }

  async list(peerId: bigint): Promise<HistoryEntry[]> {
    return [...(this.ctx.assertOpen().history.get(peerId) ?? [])];
  }

  deleteForPeers(peerIds: readonly bigint[]): Promise<void> {
    return this.ctx.write(this.inTx, (t) => {
      for (const peerId of peerIds) {
        this.ctx.remember(t.history, peerId);
        t.history.delete(peerId);
      }
    });
  }
}

export class MemoryKeyValueRepository implements KeyValueRepository {
  constructor(
    private readonly ctx: MemoryContext,
    private readonly inTx: boolean,
  ) {}

  async get(key: string): Promise<string | undefined> {
    return this.ctx.assertOpen().kv.get(key);
  }

  set(key: string, value: string): Promise<void> {
    return this.ctx.write(this.inTx, (t) => {
      this.ctx.remember(t.kv, key);
      t.kv.set(key, value);
    });
  }

  delete(key: string): Promise<void> {
    return this.ctx.write(this.inTx, (t) => {
      this.ctx.remember(t.kv, key);
      t.kv.delete(key);
    });
  }

  async list(prefix: string): Promise<[string, string][]> {
    return [...this.ctx.assertOpen().kv]
      .filter(([key]) => key.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
}

export class MemoryDialogRepository implements DialogRepository {
  constructor(
    private readonly ctx: MemoryContext,
    private readonly inTx: boolean,
  ) {}

  async get(userId: bigint): Promise<DialogState | undefined> {
    return this.ctx.assertOpen().dialogs.get(userId);
  }

  upsertMany(states: readonly DialogState[]): Promise<void> {
    return this.ctx.write(this.inTx, (t) => {
      for (const state of states) {
        this.ctx.remember(t.dialogs, state.userId);
        if (!t.dialogs.has(state.userId)) t.sortedDialogIds = null;
        t.dialogs.set(
          state.userId,
          Object.freeze({ ...state, startMessageId: state.startMessageId ?? null }),
        );
      }
    });
  }

  deleteMany(userIds: readonly bigint[]): Promise<void> {
    return this.ctx.write(this.inTx, (t) => {
      for (const userId of userIds) {
        this.ctx.remember(t.dialogs, userId);
        if (t.dialogs.delete(userId)) t.sortedDialogIds = null;
      }
    });
  }

  async page(after: bigint | null, limit: number): Promise<DialogState[]> {
    const t = this.ctx.assertOpen();
    t.sortedDialogIds ??= sortedKeys(t.dialogs);
    const start = firstAfter(t.sortedDialogIds, after);
    return t.sortedDialogIds.slice(start, start + limit).map((id) => t.dialogs.get(id) as DialogState);
  }

  async count(filter: { blocked?: boolean } = {}): Promise<number> {
    const dialogs = this.ctx.assertOpen().dialogs;
    if (filter.blocked === undefined) return dialogs.size;
    let n = 0;
    for (const state of dialogs.values()) if (state.blocked === filter.blocked) n++;
    return n;
  }
}
