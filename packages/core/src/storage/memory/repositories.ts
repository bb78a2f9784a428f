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
import { PeerRows } from './peer-rows.js';

/** All tables of one in-memory store. */
export interface MemoryTables {
  /** Peer records, the usernames each peer owns in the index, and history, one packed row per peer id. */
  readonly rows: PeerRows;
  readonly kv: Map<string, string>;
  readonly dialogs: Map<bigint, DialogState>;
  sortedDialogIds: bigint[] | null;
}

export function emptyTables(): MemoryTables {
  return {
    rows: new PeerRows(),
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
    else
      await this.gate.run(() => {
        const t = this.assertOpen();
        try {
          op(t);
        } finally {
          t.rows.settle();
        }
      });
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
function firstAfter(sorted: ArrayLike<bigint>, after: bigint | null): number {
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
    return this.ctx.assertOpen().rows.get(id);
  }

  getNow(id: bigint): PeerRecord | undefined {
    return this.ctx.assertOpen().rows.get(id);
  }

  async getMany(ids: readonly bigint[]): Promise<Map<bigint, PeerRecord>> {
    const rows = this.ctx.assertOpen().rows;
    const found = new Map<bigint, PeerRecord>();
    for (const id of ids) {
      const record = rows.get(id);
      if (record !== undefined) found.set(id, record);
    }
    return found;
  }

  async findByPhones(phones: readonly string[]): Promise<Map<string, bigint>> {
    const rows = this.ctx.assertOpen().rows;
    const found = new Map<string, bigint>();
    for (const phone of phones) {
      const holder = rows.findPhone(phone);
      if (holder !== undefined) found.set(phone, holder);
    }
    return found;
  }

  upsertMany(records: readonly PeerRecord[]): Promise<void> {
    return this.ctx.write(this.inTx, ({ rows }) => {
      for (const record of records) rows.upsert(record);
    });
  }

  deleteMany(ids: readonly bigint[]): Promise<void> {
    return this.ctx.write(this.inTx, ({ rows }) => {
      for (const id of ids) rows.drop(id);
    });
  }

  async count(): Promise<number> {
    return this.ctx.assertOpen().rows.records;
  }

  async page(after: bigint | null, limit: number): Promise<PeerRecord[]> {
    const rows = this.ctx.assertOpen().rows;
    const ids = rows.sortedIds();
    const start = firstAfter(ids, after);
    return Array.from(ids.subarray(start, start + limit), (id) => rows.get(id) as PeerRecord);
  }
}

export class MemoryUsernameRepository implements UsernameRepository {
  constructor(
    private readonly ctx: MemoryContext,
    private readonly inTx: boolean,
  ) {}

  async resolveMany(lowerNames: readonly string[]): Promise<Map<string, bigint>> {
    const rows = this.ctx.assertOpen().rows;
    const found = new Map<string, bigint>();
    for (const name of lowerNames) {
      const row = rows.findName(name);
      if (row >= 0) found.set(name, rows.idOf(row));
    }
    return found;
  }

  resolveNow(lowerName: string): bigint | undefined {
    const rows = this.ctx.assertOpen().rows;
    const row = rows.findName(lowerName);
    return row >= 0 ? rows.idOf(row) : undefined;
  }

  replaceForPeers(entries: readonly UsernameEntry[]): Promise<void> {
    return this.ctx.write(this.inTx, ({ rows }) => {
      for (const { peerId } of entries) {
        const row = rows.find(peerId);
        if (row >= 0 && rows.owned(row).length > 0) rows.setOwned(row, []);
      }
      for (const { peerId, usernames } of entries) {
        if (usernames.length === 0) continue;
        const row = rows.rowFor(peerId);
        const mine = [...rows.owned(row)];
        for (const username of usernames) {
          const name = username.toLowerCase();
          if (mine.includes(name)) continue;
          const previous = rows.findName(name);
          if (previous >= 0)
            rows.setOwned(
              previous,
              rows.owned(previous).filter((n) => n !== name),
            );
          mine.push(name);
          rows.setOwned(row, mine);
        }
      }
    });
  }

  deleteForPeers(peerIds: readonly bigint[]): Promise<void> {
    return this.ctx.write(this.inTx, ({ rows }) => {
      for (const peerId of peerIds) {
        const row = rows.find(peerId);
        if (row >= 0 && rows.owned(row).length > 0) rows.setOwned(row, []);
      }
    });
  }
}

export class MemoryHistoryRepository implements HistoryRepository {
  constructor(
    private readonly ctx: MemoryContext,
    private readonly inTx: boolean,
  ) {}

  append(entries: readonly HistoryEntry[]): Promise<void> {
    return this.ctx.write(this.inTx, (t) => {
      for (const entry of entries) t.rows.appendHistory(entry);
    });
  }

  async list(peerId: bigint): Promise<HistoryEntry[]> {
    return this.ctx.assertOpen().rows.history(peerId);
  }

  deleteForPeers(peerIds: readonly bigint[]): Promise<void> {
    return this.ctx.write(this.inTx, (t) => {
      for (const peerId of peerIds) t.rows.dropHistory(peerId);
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
