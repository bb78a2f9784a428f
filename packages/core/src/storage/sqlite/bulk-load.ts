/**
 * Loading many whole peer records into an EMPTY store at once (`pm peers import` of a pm export): one transaction,
 * the indexes of `peers` and `usernames` but the one of ids (and the one of phones while few come) dropped first and
 * built once at the end from their own SQL (so the schema ends exactly as it was), rows appended in id order with plain multi-row INSERTs, none of the
 * per-batch lookups a merge needs. Groups packed by pm's export reader (storage/packed-peers.ts) are bound as they
 * come, the packed row being the row this table takes; record groups are packed here first. Ids are checked in
 * order as they come (each above the one before; a packed group by its first and last id).
 *
 * What the peer cache's merge rules would decide stays theirs: when two records of the load claim the same username
 * or phone, the first in file order keeps it (as the per-batch restore did) and each later one is taken out of the
 * store again and handed back in `deferred`, for the caller to merge the usual way once this has committed. The
 * usernames claimed more than once are found while the rows go in (repeated-names.ts), not by reading a million
 * usernames back once they are. A
 * failure anywhere (the source throws, a full disk) rolls the whole load back: the store stays empty, never half
 * loaded or without its indexes.
 */
import { InvalidInputError } from '../../errors.js';
import { isPacked, PACKED_FIELDS, PACKED_WIDTH, type PeerGroup, packRecord } from '../packed-peers.js';
import type { BulkLoadResult, PeerRecord } from '../types.js';
import { valuesList } from './chunks.js';
import type { SqliteDriver } from './driver.js';
import { PEER_ROWS } from './peers.js';
import { RepeatedNames } from './repeated-names.js';

/**
 * The unique index of ids stays while the rows go in: they come in id order, so it only grows at its right edge, as
 * cheap as building it afterwards, and that work happens while the rows are still being read (on two cores, beside
 * the reader thread) rather than after the last one.
 */
const ID_INDEX = 'peers_id';

/**
 * The partial index of phones stays too while the load has at most this many (most peers have none: a bot sees a
 * user's phone only when it is shared): inserting those few costs less than reading every row again to build it.
 * With more it is dropped and built once at the end.
 */
const PHONE_INDEX = 'peers_phone';
const LIVE_PHONES = 10_000;

/** Rows per INSERT: fewer native calls than the cache's 64-row chunks, within SQLite's 32766 parameters. */
const ROWS = 256;
const COLUMNS = PACKED_WIDTH;
/** Where a packed row holds its usernames. */
const NAMES = PACKED_FIELDS.indexOf('usernames');
/** Where a packed row holds its first username lower-cased (null without one) and its phone. */
const LOOKUP = PACKED_FIELDS.indexOf('username');
const PHONE = PACKED_FIELDS.indexOf('phone');

interface ConflictRow {
  seq: bigint;
  id: bigint;
  usernames: string;
  phone: string | null;
}

/**
 * Loads `batches` (every record whole, ids strictly increasing across them) into the store if it holds no peers
 * and no usernames; resolves to undefined, having read nothing, if it does. Throws InvalidInputError (and loads
 * nothing) on an id not above the one before.
 */
export async function bulkLoadPeers(
  driver: SqliteDriver,
  batches: AsyncIterable<PeerGroup>,
): Promise<BulkLoadResult | undefined> {
  // The source's own failure (a file that cannot be read) or a record out of order is what the caller sees, not a
  // failed transaction.
  let sourceFailure: { error: unknown } | undefined;
  async function* source(): AsyncGenerator<PeerGroup> {
    const it = batches[Symbol.asyncIterator]();
    for (;;) {
      let next: IteratorResult<PeerGroup>;
      try {
        next = await it.next();
      } catch (error) {
        sourceFailure = { error };
        throw error;
      }
      if (next.done) return;
      yield next.value;
    }
  }
  try {
    return await load(driver, source(), (error) => {
      sourceFailure = { error };
      return error;
    });
  } catch (error) {
    throw sourceFailure !== undefined ? sourceFailure.error : error;
  }
}

/** The codec's columns as fields of a packed row: the load binds packed rows as they are. */
function checkPackedOrder(): void {
  const fields = PEER_ROWS.codec.columns.map((c) =>
    c.replace(/_([a-z])/g, (_, l: string) => l.toUpperCase()),
  );
  const packed = PACKED_FIELDS;
  if (fields.join() !== packed.join()) {
    throw new Error(
      `bulk load: peers columns (${fields.join()}) are not the packed row's (${packed.join()})`,
    );
  }
}
checkPackedOrder();

function load(
  driver: SqliteDriver,
  batches: AsyncIterable<PeerGroup>,
  refuse: (error: Error) => Error,
): Promise<BulkLoadResult | undefined> {
  const empty = (): boolean =>
    driver.db
      .prepare('SELECT NOT EXISTS (SELECT 1 FROM peers) AND NOT EXISTS (SELECT 1 FROM usernames)')
      .pluck()
      .get() === 1n;
  return driver.bulkTransaction(async () => {
    const db = driver.db;
    if (!empty()) return undefined;
    const indexes = db
      .prepare(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('peers', 'usernames') AND sql IS NOT NULL AND name NOT IN (?, ?)",
      )
      .all(ID_INDEX, PHONE_INDEX) as { name: string; sql: string }[];
    for (const { name } of indexes) db.exec(`DROP INDEX "${name}"`);
    const phoneIndex = db
      .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name = ?")
      .get(PHONE_INDEX) as { name: string; sql: string } | undefined;
    /** Rows of the load with a phone; whether the phone index was dropped (past LIVE_PHONES of them). */
    let phones = 0;
    let phoneDropped = false;

    const insertMany = db.prepare(
      `INSERT INTO peers (${PEER_ROWS.written}) VALUES ${valuesList(ROWS, COLUMNS)}`,
    );
    const insertOne = db.prepare(`INSERT INTO peers (${PEER_ROWS.written}) VALUES ${valuesList(1, COLUMNS)}`);
    const insertName = db.prepare(
      'INSERT INTO usernames (username_lower, peer_id) VALUES (?, ?) ON CONFLICT (username_lower) DO NOTHING',
    );
    /** Further usernames (after a record's first) that another record had already put in the side table. */
    const clashes = new Set<string>();
    /** Every username of the load, lower-cased, to find those several records claim. */
    const repeated = new RepeatedNames();
    let last: bigint | undefined;
    let loaded = 0;
    /** Packed rows not yet inserted: the end of a group, fewer than ROWS. */
    let flat: unknown[] = [];
    const after = (id: bigint): void => {
      if (last !== undefined && !(id > last)) {
        throw refuse(
          new InvalidInputError(
            'INVALID_BULK_ORDER',
            String(id),
            `Bulk load: peer id ${id} after ${last}; ids must come strictly increasing`,
          ),
        );
      }
    };
    /** Rows `values[from..to)`, whole ones ROWS at a time; a rest is kept in `flat` for the next group. */
    const insert = (values: readonly unknown[], from: number, to: number): void => {
      let at = from;
      if (flat.length > 0) {
        const take = Math.min(ROWS * COLUMNS - flat.length, to - at);
        for (let i = 0; i < take; i++) flat.push(values[at + i]);
        at += take;
        if (flat.length < ROWS * COLUMNS) return;
        // As arguments rather than one array: better-sqlite3 then takes each without a property lookup on the array
        // (measurably less CPU per row).
        insertMany.run(...flat);
        flat = [];
      }
      for (; at + ROWS * COLUMNS <= to; at += ROWS * COLUMNS)
        insertMany.run(...values.slice(at, at + ROWS * COLUMNS));
      if (at < to) flat = values.slice(at, to) as unknown[];
    };
    /**
     * What the rows in `values` claim besides their id: every username into `repeated`, the further ones (after the
     * first, space-separated in the `usernames` value) into the side table, and their phones counted.
     */
    const claims = (
      values: readonly unknown[],
      hashes: Int32Array | undefined,
      ids: (row: number) => bigint,
    ): void => {
      for (let row = 0, at = 0; at < values.length; row++, at += COLUMNS) {
        const first = values[at + LOOKUP] as string | null;
        if (first !== null) {
          if (hashes === undefined) repeated.add(first);
          else repeated.addHashed(first, hashes[row] as number);
        }
        if (values[at + PHONE] !== null) phones += 1;
        const names = values[at + NAMES] as string;
        if (names.indexOf(' ') < 0) continue;
        const all = names.split(' ');
        const id = ids(row);
        for (let i = 1; i < all.length; i++) {
          const lower = (all[i] as string).toLowerCase();
          repeated.add(lower);
          if (insertName.run(lower, id).changes === 0) clashes.add(lower);
        }
      }
      if (phones > LIVE_PHONES && phoneIndex !== undefined && !phoneDropped) {
        // Many phones: the index is built once at the end, as the others.
        db.exec(`DROP INDEX "${phoneIndex.name}"`);
        phoneDropped = true;
      }
    };
    for await (const group of batches) {
      if (isPacked(group)) {
        after(group.firstId);
        last = group.lastId;
        const values = group.values;
        insert(values, 0, values.length);
        claims(values, group.nameHashes, (row) => {
          const id = values[row * COLUMNS];
          return typeof id === 'bigint' ? id : BigInt(id as string | number);
        });
        loaded += group.count;
        continue;
      }
      const values: unknown[] = [];
      for (const record of group) {
        after(record.id);
        last = record.id;
        packRecord(record, values);
      }
      insert(values, 0, values.length);
      claims(values, undefined, (row) => (group[row] as PeerRecord).id);
      loaded += group.length;
    }
    for (let at = 0; at < flat.length; at += COLUMNS) insertOne.run(flat.slice(at, at + COLUMNS));

    for (const { sql } of indexes) db.exec(sql);
    if (phoneDropped && phoneIndex !== undefined) db.exec(phoneIndex.sql);
    const deferred = setAsideConflicts(driver, clashes, repeated.candidates, phones > 1);
    return { loaded: loaded - deferred.length, deferred };
  }, empty);
}

/**
 * Finds the usernames and phones claimed by more than one loaded record and, walking those records in load order,
 * keeps each claim with the first (as the per-batch restore's claimed sets did); a record that loses any claim is
 * deleted again and returned, in load order.
 */
function setAsideConflicts(
  driver: SqliteDriver,
  clashes: ReadonlySet<string>,
  candidates: ReadonlySet<string>,
  severalPhones: boolean,
): PeerRecord[] {
  const db = driver.db;
  const names = new Set<string>(clashes);
  // A name is claimed twice when two records have it first, or one first and one further (the side table holds each
  // further name once: a second claim of one is in `clashes`). Any such name is among the candidates.
  const claimsOf = db.prepare<[string, string], bigint>(
    'SELECT (SELECT count(*) FROM peers WHERE username = ?) + (SELECT count(*) FROM usernames WHERE username_lower = ?)',
  );
  claimsOf.pluck();
  for (const name of candidates) if ((claimsOf.get(name, name) as bigint) > 1n) names.add(name);
  const phones = new Set<string>(
    severalPhones
      ? (db
          .prepare(
            "SELECT phone FROM peers WHERE phone IS NOT NULL AND phone <> '' GROUP BY phone HAVING count(*) > 1",
          )
          .pluck()
          .all() as string[])
      : [],
  );
  if (names.size === 0 && phones.size === 0) return [];

  // Every record that claims one of them: by its first name or phone through the rebuilt indexes, by a further name
  // with one pass over the records that have several.
  const involved = new Map<bigint, ConflictRow>();
  const byName = db.prepare<[string], ConflictRow>(
    'SELECT seq, id, usernames, phone FROM peers WHERE username = ?',
  );
  const byPhone = db.prepare<[string], ConflictRow>(
    'SELECT seq, id, usernames, phone FROM peers WHERE phone = ?',
  );
  for (const name of names) for (const row of byName.iterate(name)) involved.set(row.seq, row);
  for (const phone of phones) for (const row of byPhone.iterate(phone)) involved.set(row.seq, row);
  if (names.size > 0) {
    const several = db.prepare<[], ConflictRow>(
      "SELECT seq, id, usernames, phone FROM peers WHERE instr(usernames, ' ') > 0",
    );
    for (const row of several.iterate()) {
      if (row.usernames.split(' ').some((n) => names.has(n.toLowerCase()))) involved.set(row.seq, row);
    }
  }

  const claimedNames = new Set<string>();
  const claimedPhones = new Set<string>();
  const kept: ConflictRow[] = [];
  const lost: ConflictRow[] = [];
  for (const row of [...involved.values()].sort((a, b) => (a.seq < b.seq ? -1 : 1))) {
    const lowers = row.usernames === '' ? [] : row.usernames.split(' ').map((n) => n.toLowerCase());
    const free =
      lowers.every((n) => !claimedNames.has(n)) && (row.phone === null || !claimedPhones.has(row.phone));
    if (!free) {
      lost.push(row);
      continue;
    }
    for (const n of lowers) claimedNames.add(n);
    if (row.phone !== null && row.phone !== '') claimedPhones.add(row.phone);
    kept.push(row);
  }

  const read = db.prepare<[bigint], Record<string, unknown>>(
    `SELECT ${PEER_ROWS.selected} FROM peers WHERE seq = ?`,
  );
  const deleteRow = db.prepare<[bigint]>('DELETE FROM peers WHERE seq = ?');
  const deleteNames = db.prepare<[bigint]>('DELETE FROM usernames WHERE peer_id = ?');
  const deferred: PeerRecord[] = [];
  for (const row of lost) {
    deferred.push(PEER_ROWS.codec.record(read.get(row.seq) as Record<string, unknown>));
    deleteRow.run(row.seq);
    deleteNames.run(row.id);
  }
  // A further name of a kept record may have lost its side-table row to a record just deleted: write them again.
  const putName = db.prepare(
    'INSERT INTO usernames (username_lower, peer_id) VALUES (?, ?) ON CONFLICT (username_lower) DO UPDATE SET peer_id = excluded.peer_id',
  );
  for (const row of kept) {
    const all = row.usernames.split(' ');
    for (let i = 1; i < all.length; i++) putName.run((all[i] as string).toLowerCase(), row.id);
  }
  return deferred;
}
