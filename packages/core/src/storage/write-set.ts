/**
 * Changes made in memory and not yet committed: what the next write-behind batch will store. Reads consult it
 * before the LRU and the storage, so a pending change is visible at once.
 */
import type { HistoryEntry, PeerRecord } from './types.js';

export class WriteSet {
  /** Latest version of every changed peer. */
  readonly peers = new Map<bigint, PeerRecord>();
  /** Peers whose username rows must be rewritten. */
  readonly usernamesOf = new Set<bigint>();
  /** Peers first seen in this set (no username rows on disk once the deletions of this set have run). */
  readonly created = new Set<bigint>();
  /** Peers to delete (rows, usernames and history) before the upserts of this set are applied. */
  readonly deleted = new Set<bigint>();
  /** Username (lower-case) → new owner, or null once freed. */
  readonly owners = new Map<string, bigint | null>();
  /** Phone → new holder, or null once freed. */
  readonly phones = new Map<string, bigint | null>();
  history: HistoryEntry[] = [];
  /**
   * Peers whose writes must commit together: a username or phone moved between them, so one written without the
   * other would break the username index or the one-holder-per-phone rule. Peer → a peer of the same group.
   */
  readonly #ties = new Map<bigint, bigint>();

  get size(): number {
    return this.peers.size + this.deleted.size;
  }

  get isEmpty(): boolean {
    return this.peers.size === 0 && this.deleted.size === 0 && this.history.length === 0;
  }

  /** The pending version of a peer: a record, null when deleted, undefined when this set does not know. */
  lookup(id: bigint): PeerRecord | null | undefined {
    // Usually called on an empty set (nothing pending): no lookup at all then.
    if (this.peers.size === 0 && this.deleted.size === 0) return undefined;
    const record = this.peers.get(id);
    if (record !== undefined) return record;
    return this.deleted.size > 0 && this.deleted.has(id) ? null : undefined;
  }

  put(record: PeerRecord, usernamesChanged: boolean, created: boolean): void {
    this.peers.set(record.id, record);
    if (usernamesChanged) this.usernamesOf.add(record.id);
    if (created) this.created.add(record.id);
  }

  delete(id: bigint): void {
    this.peers.delete(id);
    this.usernamesOf.delete(id);
    this.created.delete(id);
    this.deleted.add(id);
    if (this.history.some((row) => row.peerId === id))
      this.history = this.history.filter((row) => row.peerId !== id);
  }

  /** `a` and `b` must be written in the same transaction. */
  tie(a: bigint, b: bigint): void {
    const ra = this.#root(a);
    const rb = this.#root(b);
    if (ra !== rb) this.#ties.set(ra, rb);
  }

  #root(id: bigint): bigint {
    let root = id;
    for (let next = this.#ties.get(root); next !== undefined; next = this.#ties.get(root)) root = next;
    if (root !== id) this.#ties.set(id, root);
    return root;
  }

  /**
   * The set split into independent parts that can be written in separate transactions: one per peer, or per
   * group of peers tied together, each with its deletion, record, username rows and history. Ascending by id.
   */
  units(): WriteSet[] {
    const byRoot = new Map<bigint, WriteSet>();
    const unitOf = (id: bigint): WriteSet => {
      const root = this.#root(id);
      let unit = byRoot.get(root);
      if (unit === undefined) {
        unit = new WriteSet();
        byRoot.set(root, unit);
      }
      return unit;
    };
    for (const id of this.deleted) unitOf(id).deleted.add(id);
    for (const [id, record] of this.peers) {
      const unit = unitOf(id);
      unit.put(record, this.usernamesOf.has(id), this.created.has(id));
      const root = this.#root(id);
      if (root !== id) unit.#ties.set(id, root);
    }
    for (const row of this.history) unitOf(row.peerId).history.push(row);
    return [...byRoot.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, unit]) => unit);
  }

  /** The ids of every peer this set writes or deletes, ascending. */
  ids(): bigint[] {
    const ids = new Set([...this.deleted, ...this.peers.keys(), ...this.history.map((row) => row.peerId)]);
    return [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** One set holding every part (the inverse of {@link units} for disjoint parts). */
  static union(parts: readonly WriteSet[]): WriteSet {
    if (parts.length === 1 && parts[0] !== undefined) return parts[0];
    const all = new WriteSet();
    for (const part of parts) {
      for (const id of part.deleted) all.deleted.add(id);
      for (const [id, record] of part.peers) all.put(record, part.usernamesOf.has(id), part.created.has(id));
      all.history.push(...part.history);
      for (const [id, other] of part.#ties) all.#ties.set(id, other);
    }
    return all;
  }

  /** Takes back a batch that failed to commit; changes made since (in this set) win. */
  absorb(older: WriteSet): void {
    // A deletion in this (newer) set came after everything in the older one.
    const deletedSince = new Set(this.deleted);
    for (const [id, record] of older.peers) {
      if (deletedSince.has(id)) continue;
      if (this.peers.has(id)) {
        // Changed again since: it was new if it was new in the older set.
        if (older.created.has(id)) this.created.add(id);
        continue;
      }
      this.peers.set(id, record);
      if (older.created.has(id)) this.created.add(id);
    }
    for (const id of older.usernamesOf) if (this.peers.has(id)) this.usernamesOf.add(id);
    for (const id of older.deleted) this.deleted.add(id);
    for (const [name, owner] of older.owners) if (!this.owners.has(name)) this.owners.set(name, owner);
    for (const [phone, owner] of older.phones) if (!this.phones.has(phone)) this.phones.set(phone, owner);
    this.history = [...older.history.filter((row) => !deletedSince.has(row.peerId)), ...this.history];
    for (const [id, other] of older.#ties) this.tie(id, other);
  }
}
