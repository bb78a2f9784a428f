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

  get size(): number {
    return this.peers.size + this.deleted.size;
  }

  get isEmpty(): boolean {
    return this.peers.size === 0 && this.deleted.size === 0 && this.history.length === 0;
  }

  /** The pending version of a peer: a record, null when deleted, undefined when this set does not know. */
  lookup(id: bigint): PeerRecord | null | undefined {
    const record = this.peers.get(id);
    if (record !== undefined) return record;
    return this.deleted.has(id) ? null : undefined;
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
  }
}
