/**
 * Whole peer rows read through a SQL function of pm's own, `pm_peer_row(...columns)`: SQLite calls it once per row
 * with the row's values as arguments, it builds the record and sets it aside, and the statement itself plucks
 * only the function's NULL.
 *
 * Why: on Node 20 (NODE_MODULE_VERSION < 127) better-sqlite3 builds a row array with one generic `Array::Set` per
 * column, about 0.15 µs each whatever the value, nearly 3 µs of the 6 µs a cold lookup by id takes at a million
 * peers (19 values). A function's arguments are handed over in one call instead: the same lookup costs about 2 µs
 * less, the same values as before (safe integers; the statements read flags and times as REAL).
 *
 * The function is registered on each connection (directOnly: a view or trigger in the file cannot call it), and
 * only statements that compute it once per row they return use it (no ORDER BY through a sorter, which would
 * compute it for rows a LIMIT then drops).
 */

import { compiled } from '../../compiled.js';
import type { PeerRecord } from '../types.js';
import type { SqliteDatabase } from './driver.js';

export const PEER_ROW_FUNCTION = 'pm_peer_row';

/** The records the function built during one statement. */
export class PeerRowSink {
  /**
   * How many records the statement built: the first waits in a field of its own (a lookup builds one, and an array
   * grown by `push` from empty allocates its backing store), all of them in `#all` once there are two.
   */
  #count = 0;
  #first: PeerRecord | undefined;
  #all: PeerRecord[] = [];

  /** Called by SQLite through the function, once per row. */
  readonly add = (record: PeerRecord): void => {
    if (this.#count === 0) this.#first = record;
    else {
      if (this.#count === 1) this.#all = [this.#first as PeerRecord];
      this.#all.push(record);
    }
    this.#count++;
  };

  /** Forgets what an earlier statement left (one that threw halfway, say); called before each statement. */
  reset(): void {
    if (this.#count === 0) return;
    if (this.#count > 1) this.#all = []; // handed out by take()
    this.#count = 0;
    this.#first = undefined;
  }

  /** The records built since the last reset, and a reset. */
  take(): PeerRecord[] {
    const count = this.#count;
    const records = count === 0 ? [] : count === 1 ? [this.#first as PeerRecord] : this.#all;
    this.reset();
    return records;
  }

  /** The one record a single-row statement built, if any, and a reset. */
  takeOne(): PeerRecord | undefined {
    const first = this.#first;
    this.reset();
    return first;
  }
}

const sinks = new WeakMap<SqliteDatabase, PeerRowSink>();

/**
 * The sink of `db`'s `pm_peer_row`, registering the function on first use: `make` builds a record from the row's
 * values (the codec's `recordOfArgs`), `width` is how many it takes.
 */
export function peerRowSink(
  db: SqliteDatabase,
  width: number,
  make: (...values: unknown[]) => PeerRecord,
): PeerRowSink {
  let sink = sinks.get(db);
  if (sink !== undefined) return sink;
  sink = new PeerRowSink();
  // A function of exactly `width` parameters: better-sqlite3 registers it with that many arguments, and no
  // rest array is built per call.
  const params = Array.from({ length: width }, (_, i) => `a${i}`).join(', ');
  const options = { directOnly: true, safeIntegers: true, deterministic: false };
  const fn = compiled(
    () =>
      new Function('make', 'add', `return (${params}) => { add(make(${params})); return null; };`)(
        make,
        sink.add,
      ) as (...values: unknown[]) => null,
  );
  const add = sink.add;
  if (fn !== undefined) db.function(PEER_ROW_FUNCTION, options, fn);
  else
    db.function(PEER_ROW_FUNCTION, { ...options, varargs: true }, (...values: unknown[]) => {
      add(make(...values));
      return null;
    });
  sinks.set(db, sink);
  return sink;
}
