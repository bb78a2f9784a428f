/**
 * Loading many whole peer records into an EMPTY store at once (`pm peers import` of a pm export): one transaction,
 * the indexes of `peers` and `usernames` dropped first and built once at the end from their own SQL (so the schema
 * ends exactly as it was), rows appended in id order with plain multi-row INSERTs, none of the per-batch lookups a
 * merge needs. Without the unique index, ids are checked in order as they come (each above the one before).
 *
 * What the peer cache's merge rules would decide stays theirs: when two records of the load claim the same username
 * or phone, the first in file order keeps it (as the per-batch restore did) and each later one is taken out of the
 * store again and handed back in `deferred`, for the caller to merge the usual way once this has committed. A
 * failure anywhere (the source throws, a full disk) rolls the whole load back: the store stays empty, never half
 * loaded or without its indexes.
 */
import { InvalidInputError } from '../../errors.js';
import type { BulkLoadResult, PeerRecord } from '../types.js';
import { valuesList } from './chunks.js';
import type { SqliteDriver } from './driver.js';
import { PEER_ROWS } from './peers.js';

/** Rows per INSERT: fewer native calls than the cache's 64-row chunks, within SQLite's 32766 parameters. */
const ROWS = 256;
const COLUMNS = PEER_ROWS.codec.columns.length;

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
  batches: AsyncIterable<readonly PeerRecord[]>,
): Promise<BulkLoadResult | undefined> {
  // The source's own failure (a file that cannot be read) or a record out of order is what the caller sees, not a
  // failed transaction.
  let sourceFailure: { error: unknown } | undefined;
  async function* source(): AsyncGenerator<readonly PeerRecord[]> {
    const it = batches[Symbol.asyncIterator]();
    for (;;) {
      let next: IteratorResult<readonly PeerRecord[]>;
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

function load(
  driver: SqliteDriver,
  batches: AsyncIterable<readonly PeerRecord[]>,
  refuse: (error: Error) => Error,
): Promise<BulkLoadResult | undefined> {
  return driver.transaction(async () => {
    const db = driver.db;
    const used = db
      .prepare('SELECT EXISTS (SELECT 1 FROM peers) OR EXISTS (SELECT 1 FROM usernames)')
      .pluck()
      .get() as bigint;
    if (used !== 0n) return undefined;
    const indexes = db
      .prepare(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('peers', 'usernames') AND sql IS NOT NULL",
      )
      .all() as { name: string; sql: string }[];
    for (const { name } of indexes) db.exec(`DROP INDEX "${name}"`);

    const insertMany = db.prepare(
      `INSERT INTO peers (${PEER_ROWS.written}) VALUES ${valuesList(ROWS, COLUMNS)}`,
    );
    const insertOne = db.prepare(`INSERT INTO peers (${PEER_ROWS.written}) VALUES ${valuesList(1, COLUMNS)}`);
    const insertName = db.prepare(
      'INSERT INTO usernames (username_lower, peer_id) VALUES (?, ?) ON CONFLICT (username_lower) DO NOTHING',
    );
    /** Further usernames (after a record's first) that another record had already put in the side table. */
    const clashes = new Set<string>();
    const values = PEER_ROWS.codec.values;
    let last: bigint | undefined;
    let loaded = 0;
    let flat: unknown[] = [];
    let rows = 0;
    for await (const batch of batches) {
      for (const record of batch) {
        const id = record.id;
        if (last !== undefined && !(id > last)) {
          throw refuse(
            new InvalidInputError(
              'INVALID_BULK_ORDER',
              String(id),
              `Bulk load: peer id ${id} after ${last}; ids must come strictly increasing`,
            ),
          );
        }
        last = id;
        const row = values(record);
        for (let i = 0; i < COLUMNS; i++) flat.push(row[i]);
        if (++rows === ROWS) {
          // As arguments rather than one array: better-sqlite3 then takes each without a property lookup on the
          // array (measurably less CPU per row).
          insertMany.run(...flat);
          flat = [];
          rows = 0;
        }
        const names = record.usernames;
        for (let i = 1; i < names.length; i++) {
          const lower = (names[i] as string).toLowerCase();
          if (insertName.run(lower, id).changes === 0) clashes.add(lower);
        }
        loaded += 1;
      }
    }
    for (let i = 0; i < rows; i++) insertOne.run(flat.slice(i * COLUMNS, (i + 1) * COLUMNS));

    for (const { sql } of indexes) db.exec(sql);
    const deferred = setAsideConflicts(driver, clashes);
    return { loaded: loaded - deferred.length, deferred };
  });
}

/**
 * Finds the usernames and phones claimed by more than one loaded record and, walking those records in load order,
 * keeps each claim with the first (as the per-batch restore's claimed sets did); a record that loses any claim is
 * deleted again and returned, in load order.
 */
function setAsideConflicts(driver: SqliteDriver, clashes: ReadonlySet<string>): PeerRecord[] {
  const db = driver.db;
  const names = new Set<string>(clashes);
  for (const name of db
    .prepare('SELECT username FROM peers WHERE username IS NOT NULL GROUP BY username HAVING count(*) > 1')
    .pluck()
    .all() as string[])
    names.add(name);
  for (const name of db
    .prepare('SELECT u.username_lower FROM usernames u JOIN peers p ON p.username = u.username_lower')
    .pluck()
    .all() as string[])
    names.add(name);
  const phones = new Set<string>(
    db
      .prepare(
        "SELECT phone FROM peers WHERE phone IS NOT NULL AND phone <> '' GROUP BY phone HAVING count(*) > 1",
      )
      .pluck()
      .all() as string[],
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
