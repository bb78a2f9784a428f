/**
 * Reading the peers of a damaged SQLite store past its damage (`pm peers export --salvage`).
 *
 * Records are read from the `peers` table in the order they were first stored (`seq`, its rowid), through the
 * table's own B-tree only: a damaged `peers_id` index, or damage in any other table, costs nothing. When a read
 * fails because SQLite finds a page damaged (SQLITE_CORRUPT), the rows past it are found by galloping (the first
 * `seq` after which a row reads again) and every `seq` up to there is then read on its own, so the only rows lost
 * are those on damaged pages (a leaf, or an interior page and the leaves under it). A row that reads but does not
 * decode into a record pm would take (validate.ts) is set aside by its id. Anything else (the file gone, an I/O
 * error) fails as any read does. Lost rows are named by id where the `peers_id` index still maps them.
 */
import type { PeerRecord, SalvageLoss, SalvageReport } from '../types.js';
import { validatePeerInput } from '../validate.js';
import type { SqliteDriver } from './driver.js';
import { isSqliteDamage, storageError } from './errors.js';
import { fromRow, PEER_SELECT, type PeerRow } from './peers.js';

const SEQ_MAX = 2n ** 63n - 1n;
const ID_MIN = -(2n ** 63n);
const ID_MAX = SEQ_MAX;
const BATCH = 512;
/** Past this many `seq`s in one stretch, its rows are not read one by one but given up as a whole. */
const MAX_STRETCH = 1n << 22n;
/** At most this many lost ids are named (the count is always whole). */
const MAX_NAMED = 1000;

const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

class Damage {
  constructor(readonly reason: string) {}
}

/**
 * What `run` read, or the Damage SQLite found on its way (a salvage reads past it); any other failure is thrown as
 * the typed error of a read of the store.
 */
function tryRead<T>(driver: SqliteDriver, run: () => T): T | Damage {
  try {
    driver.read();
    return run();
  } catch (error) {
    if (isSqliteDamage(error)) return new Damage(reasonOf(error));
    throw storageError(driver.path, 'salvage', error);
  }
}

/**
 * Past damage met after `from`: probes from + 1, from + 2, from + 4… (capped at `max`, which is not probed) until one
 * reads; that point and what it read (undefined at `max`).
 */
function gallop<T>(from: bigint, max: bigint, probe: (at: bigint) => T | Damage): { at: bigint; read?: T } {
  for (let step = 1n; ; step *= 2n) {
    const at = from + step >= max ? max : from + step;
    if (at === max) return { at };
    const read = probe(at);
    if (!(read instanceof Damage)) return { at, read };
  }
}

/**
 * Every record of the store's `peers` table that can still be read, in the order first stored; when the generator
 * ends, `done` gets what was lost. A sound store yields every record an export reads.
 */
export async function* salvagePeers(
  driver: SqliteDriver,
  done: (report: SalvageReport) => void,
): AsyncGenerator<PeerRecord> {
  const db = driver.db;
  const after = db
    .prepare<[bigint, number], PeerRow>(
      `SELECT seq, ${PEER_SELECT} FROM peers WHERE seq > ? ORDER BY seq LIMIT ?`,
    )
    .raw();
  const at = db.prepare<[bigint], PeerRow>(`SELECT seq, ${PEER_SELECT} FROM peers WHERE seq = ?`).raw();
  const losses: SalvageLoss[] = [];
  const damaged: [bigint, bigint][] = [];
  let records = 0;
  /** The record of a row (its values after `seq`), or undefined when it does not decode (then set aside). */
  const recordOf = (row: PeerRow): PeerRecord | undefined => {
    try {
      const record = fromRow(row.slice(1));
      // Damage SQLite cannot see (bytes changed inside a row) can still read as a row: only a record pm would
      // take is handed out.
      validatePeerInput(record, `peer ${String(row[1])}`);
      records += 1;
      return record;
    } catch (error) {
      losses.push({ kind: 'record', id: row[1] as bigint, reason: reasonOf(error) });
      return undefined;
    }
  };

  let cursor = 0n; // pm never sets seq: SQLite gives 1, 2, 3…
  /** Rows left to read one at a time: a batch met damage, and the rows before it are read singly up to it. */
  let singly = 0;
  for (;;) {
    const limit = singly > 0 ? 1 : BATCH;
    const rows = tryRead(driver, () => after.all(cursor, limit));
    if (!(rows instanceof Damage)) {
      for (const row of rows) {
        cursor = row[0] as bigint;
        const record = recordOf(row);
        if (record !== undefined) yield record;
      }
      if (rows.length < limit) break;
      if (singly > 0) singly -= 1;
      continue;
    }
    if (limit > 1) {
      singly = BATCH;
      continue;
    }
    // The row after `cursor` sits on a damaged page. Gallop to a seq after which a row reads again (past the
    // last row there is none to read, so this ends), then read each seq before it on its own.
    const { at: end } = gallop(cursor, SEQ_MAX, (seq) => tryRead(driver, () => after.all(seq, 1)));
    const from = cursor + 1n;
    let unread: bigint | null = 0n;
    if (end - cursor <= MAX_STRETCH) {
      for (let seq = from; seq <= end; seq++) {
        const one = tryRead(driver, () => at.all(seq));
        if (one instanceof Damage) {
          unread += 1n;
          continue;
        }
        for (const row of one) {
          const record = recordOf(row);
          if (record !== undefined) yield record;
        }
      }
    } else {
      unread = null;
    }
    losses.push({ kind: 'damaged', fromSeq: from, throughSeq: end, unread, reason: rows.reason });
    damaged.push([from, end]);
    if (end === SEQ_MAX) break; // nothing can come after (a damaged root page reads as damage whatever is asked)
    cursor = end;
    singly = 0;
  }
  done({ records, losses, lostIds: damaged.length > 0 ? lostIds(driver, damaged) : undefined });
}

/** Whether `seq` falls in one of `stretches` (in increasing order, apart). */
function within(stretches: readonly [bigint, bigint][], seq: bigint): boolean {
  let low = 0;
  let high = stretches.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const [from, through] = stretches[mid] as [bigint, bigint];
    if (seq < from) high = mid - 1;
    else if (seq > through) low = mid + 1;
    else return true;
  }
  return false;
}

/**
 * The ids the `peers_id` index maps to seqs in the damaged stretches whose rows could not be read. The index is read
 * alone (id and seq are both in it), so the table's damaged pages are not; where the index is damaged too, its
 * entries are read past the damage by galloping over the id space, and what the damaged index pages held is unknown
 * (`complete: false`). Undefined when nothing of the index can be read.
 */
function lostIds(driver: SqliteDriver, stretches: readonly [bigint, bigint][]): SalvageReport['lostIds'] {
  const db = driver.db;
  const row = db.prepare<[bigint], PeerRow>('SELECT seq FROM peers WHERE seq = ?').raw();
  const entries = db
    .prepare<[bigint], [bigint, bigint]>(
      `SELECT id, seq FROM peers INDEXED BY peers_id WHERE id > ? ORDER BY id LIMIT ${BATCH}`,
    )
    .raw();
  const readsAfter = (id: bigint): [bigint, bigint][] | Damage => tryRead(driver, () => entries.all(id));
  const ids: bigint[] = [];
  let count = 0;
  let complete = true;
  let readAny = false;
  let cursor = ID_MIN;
  for (;;) {
    let batch = readsAfter(cursor);
    if (batch instanceof Damage) {
      complete = false;
      const past = gallop(cursor, ID_MAX, readsAfter).read;
      if (past === undefined) break;
      batch = past;
    }
    readAny = true;
    for (const [id, seq] of batch) {
      cursor = id;
      if (!within(stretches, seq)) continue;
      const one = tryRead(driver, () => row.all(seq));
      if (!(one instanceof Damage) && one.length > 0) continue; // read on its own: not lost
      count += 1;
      if (ids.length < MAX_NAMED) ids.push(id);
    }
    if (batch.length < BATCH) break;
  }
  if (!readAny) return undefined;
  ids.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { count, ids, complete };
}
