/**
 * What one transaction did to peer rows: each touched peer's row before (as locked at its first touch) and after,
 * the records the caller passed, and the history rows it appended. At the end of the transaction it writes the
 * history that matches the rows' actual change and queues the notifications other processes invalidate from.
 */
import { HISTORY_FIELDS, type HistoryEntry, type HistoryField, type PeerRecord } from '@pm/core';
import type { Sql } from './driver.js';
import { sameList, sameRecord } from './peer-rows.js';

/** Peers and usernames whose stored state changed; what a notification carries. */
export interface PeerChanges {
  readonly ids: readonly bigint[];
  /** Lower-cased usernames that changed owner (or were freed). */
  readonly usernames: readonly string[];
}

function sameTracked(a: PeerRecord, b: PeerRecord): boolean {
  return sameRecord(
    { ...a, firstSeen: 0, lastSeen: 0, lastUpdated: 0, langCodeSeenAt: 0 },
    { ...b, firstSeen: 0, lastSeen: 0, lastUpdated: 0, langCodeSeenAt: 0 },
  );
}

function sameValue(a: unknown, b: unknown): boolean {
  return Array.isArray(a) && Array.isArray(b) ? sameList(a, b) : a === b;
}

const lowerAll = (names: readonly string[] | undefined): string[] =>
  (names ?? []).map((n) => n.toLowerCase());

export class WriteContext {
  /** Row at the first touch in this transaction (locked from then on); null when absent or deleted here. */
  readonly before = new Map<bigint, PeerRecord | null>();
  /** Row now; null when deleted. */
  readonly after = new Map<bigint, PeerRecord | null>();
  /** The last record the caller passed per peer. */
  readonly passed = new Map<bigint, PeerRecord>();
  /** Advisory lock keys (buckets of peers) this transaction holds (see peer-writes.ts). */
  readonly advised = new Set<bigint>();
  /** Peers whose username index was brought in line with their row in this transaction. */
  readonly synced = new Set<bigint>();
  /** Usernames whose index row changed owner or was removed. */
  readonly names = new Set<string>();
  /** History rows appended by the caller, in order. */
  readonly appended: HistoryEntry[] = [];
  /** Set by {@link finish}: what changed, for other processes and for the caller's own cache. */
  remote: PeerChanges = { ids: [], usernames: [] };
  local: PeerChanges = { ids: [], usernames: [] };

  /** Records rows read under lock; the first read of a peer in this transaction is its "before". */
  locked(ids: readonly bigint[], rows: readonly PeerRecord[]): void {
    const found = new Map(rows.map((r) => [r.id, r]));
    for (const id of ids) {
      if (!this.before.has(id)) this.before.set(id, found.get(id) ?? null);
      if (!this.after.has(id)) this.after.set(id, found.get(id) ?? null);
    }
  }

  wrote(rows: readonly PeerRecord[]): void {
    for (const r of rows) this.after.set(r.id, r);
  }

  /** A deleted peer starts afresh: a later insert in this transaction is a creation, with no history. */
  deleted(rows: readonly PeerRecord[], ids: readonly bigint[]): void {
    for (const r of rows) {
      for (const n of lowerAll(r.usernames)) this.names.add(n);
    }
    for (const id of ids) {
      this.before.set(id, null);
      this.after.set(id, null);
      this.passed.delete(id);
      this.deletedIds.add(id);
    }
  }

  readonly deletedIds = new Set<bigint>();

  /**
   * The history to store: for a peer whose row this transaction changed, the appended rows of a field are kept
   * when they lead exactly from the row's value before to its value after (the usual case: the caller saw the
   * current row); otherwise, e.g. when another process changed the row since the caller read it, they are replaced
   * by one row from the actual before to the actual after, and a change the caller did not describe gets one too.
   */
  history(): HistoryEntry[] {
    const out: HistoryEntry[] = [];
    const fixes = new Map<bigint, HistoryEntry[]>();
    const drop = new Map<bigint, Set<HistoryField>>();
    for (const [id, after] of this.after) {
      const before = this.before.get(id);
      if (before == null || after === null) continue;
      const rows = this.appended.filter((r) => r.peerId === id);
      const bad = new Set<HistoryField>();
      const extra: HistoryEntry[] = [];
      for (const field of HISTORY_FIELDS) {
        const mine = rows.filter((r) => r.field === field);
        const from = before[field];
        const to = after[field];
        const first = mine[0];
        const last = mine.at(-1);
        if (first && last && sameValue(first.before, from) && sameValue(last.after, to)) continue;
        if (mine.length > 0) bad.add(field);
        if (!sameValue(from, to)) {
          extra.push({
            peerId: id,
            field,
            before: from,
            after: to,
            at: last?.at ?? after.lastUpdated,
          } as HistoryEntry);
        }
      }
      if (bad.size > 0) drop.set(id, bad);
      if (extra.length > 0) fixes.set(id, extra);
    }
    for (const row of this.appended) {
      if (drop.get(row.peerId)?.has(row.field)) continue;
      out.push(row);
    }
    for (const extra of fixes.values()) out.push(...extra);
    return out;
  }

  /** Works out the notifications; call once the writes are done. */
  settle(): void {
    const remoteIds: bigint[] = [];
    const remoteNames = new Set(this.names);
    const localIds: bigint[] = [];
    const localNames = new Set<string>();
    for (const [id, after] of this.after) {
      const before = this.before.get(id) ?? null;
      const changed = before === null || after === null ? before !== after : !sameTracked(before, after);
      if (changed || this.deletedIds.has(id)) {
        remoteIds.push(id);
        if (!sameList(lowerAll(before?.usernames), lowerAll(after?.usernames))) {
          for (const n of lowerAll(before?.usernames)) remoteNames.add(n);
          for (const n of lowerAll(after?.usernames)) remoteNames.add(n);
        }
      }
      // The caller's cache holds what it passed; where the stored row differs (or it passed nothing) it is stale.
      const passed = this.passed.get(id);
      if (after !== null && (passed === undefined ? changed : !sameRecord(passed, after))) {
        localIds.push(id);
        for (const n of lowerAll(before?.usernames)) localNames.add(n);
        for (const n of lowerAll(after.usernames)) localNames.add(n);
        for (const n of lowerAll(passed?.usernames)) localNames.add(n);
      }
    }
    this.remote = { ids: remoteIds, usernames: [...remoteNames] };
    this.local = { ids: localIds, usernames: [...localNames] };
  }

  /** Writes the reconciled history and settles the notifications. */
  async finish(sql: Sql, historyTable: string): Promise<void> {
    const rows = this.touched ? this.history() : this.appended;
    if (rows.length > 0) await insertHistory(sql, historyTable, rows);
    if (this.touched) this.settle();
  }

  /** True when peer rows were written (not only history appended). */
  get touched(): boolean {
    return this.after.size > 0 || this.names.size > 0;
  }
}

/** Appends history rows in order, in one statement. */
export async function insertHistory(sql: Sql, table: string, rows: readonly HistoryEntry[]): Promise<void> {
  await sql.query(
    `INSERT INTO ${table} (peer_id, field, before, after, at)
     SELECT peer_id, field, before::jsonb, after::jsonb, at
     FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[]) WITH ORDINALITY
       AS t(peer_id, field, before, after, at, n)
     ORDER BY n`,
    [
      rows.map((r) => r.peerId),
      rows.map((r) => r.field),
      rows.map((r) => (r.before === null ? null : JSON.stringify(r.before))),
      rows.map((r) => (r.after === null ? null : JSON.stringify(r.after))),
      rows.map((r) => r.at),
    ],
  );
}
