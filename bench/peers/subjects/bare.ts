/**
 * The floor under pm's SQLite figures: better-sqlite3 running the statements pm's SQLite provider runs (multi-row
 * upserts into `peers`, whose row holds a peer's first username, sorted by id, in transactions as large as PeerCache's write-behind makes
 * them under load), on the schema pm creates, with none of pm's own code in between: no validation, no merge
 * rules, no LRU, no change tracking. Lookups read as pm's do: the lookups of one turn of the event loop in one read
 * transaction, the same columns handed to a SQL function of its own (no record built from them). The gap between this
 * row and `pm sqlite` is the cost of pm's JavaScript.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { openSqliteStorage, PEER_CACHE_DEFAULTS, SQLITE_DEFAULTS } from '@pm/core';
import type BetterSqlite3 from 'better-sqlite3';
import type { Sighting } from '../data.js';
import type { Lookups, Subject } from '../subject.js';

const requireFromCore = createRequire(new URL('../../../packages/core/package.json', import.meta.url));
const Database = requireFromCore('better-sqlite3') as typeof BetterSqlite3;

const COLUMNS =
  'id, type, access_hash, min, usernames, first_name, last_name, title, phone, lang_code, lang_code_seen_at, ' +
  'premium, verified, deleted, photo_id, first_seen, last_seen, last_updated, username';
const WIDTH = COLUMNS.split(', ').length;
const AS_NUMBER = new Set([
  'min',
  'lang_code_seen_at',
  'premium',
  'verified',
  'deleted',
  'first_seen',
  'last_seen',
  'last_updated',
]);
/** The record's columns, flags and times as REAL (no BigInt each), as pm's `PEER_ROW` hands them to its function. */
const ARGUMENTS = COLUMNS.split(', ')
  .filter((c) => c !== 'username')
  .map((c) => (AS_NUMBER.has(c) ? `CAST(${c} AS REAL)` : c))
  .join(', ');
const CHUNK = 64;
const values = (rows: number, columns: number): string =>
  Array.from({ length: rows }, () => `(${Array.from({ length: columns }, () => '?').join(', ')})`).join(', ');
const UPDATES = COLUMNS.split(', ')
  .slice(1)
  .map((c) => `${c} = excluded.${c}`)
  .join(', ');

export const bareSqlite: Subject = {
  name: 'bare better-sqlite3 (pm schema)',
  open: async (dir, reopen) => {
    const path = join(dir, 'pm.db');
    // pm creates the schema (and sets the pragmas it keeps in the file); then the bare connection takes over.
    if (!reopen) await (await openSqliteStorage({ path })).close();
    const db = new Database(path);
    db.defaultSafeIntegers(true);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`cache_size = -${SQLITE_DEFAULTS.cacheSizeKiB}`);
    db.pragma(`mmap_size = ${SQLITE_DEFAULTS.mmapSizeMiB * 2 ** 20}`);
    const peers = (rows: number) =>
      db.prepare(
        `INSERT INTO peers (${COLUMNS}) VALUES ${values(rows, WIDTH)} ON CONFLICT (id) DO UPDATE SET ${UPDATES}`,
      );
    const peer1 = peers(1);
    const peerN = peers(CHUNK);
    // Rows as pm's provider reads them (sqlite/row-function.ts): the row's values handed to a SQL function as its
    // arguments (better-sqlite3 on Node 20 builds a raw row array with one slow Array::Set per value), here kept as
    // they come instead of built into a record; a username lookup reads its owner's row in one statement.
    let row: unknown[] | undefined;
    db.function('bare_row', { directOnly: true, safeIntegers: true, varargs: true }, (...values) => {
      row = values;
      return null;
    });
    const byId = db.prepare(`SELECT bare_row(${ARGUMENTS}) FROM peers WHERE id = ?`).pluck();
    const byName = db.prepare(`SELECT bare_row(${ARGUMENTS}) FROM peers WHERE username = ?`).pluck();
    const read1 = (statement: BetterSqlite3.Statement, key: unknown): unknown[] | undefined => {
      row = undefined;
      statement.get(key);
      return row;
    };
    const now = Date.now();
    const peerRow = (s: Sighting): unknown[] => [
      s.id,
      'user',
      s.accessHash,
      0,
      s.username,
      s.firstName,
      s.lastName,
      null,
      null,
      s.langCode,
      now,
      null,
      null,
      0,
      null,
      now,
      now,
      now,
      s.username.toLowerCase(),
    ];
    const run = (
      rows: readonly Sighting[],
      row: (s: Sighting) => unknown[],
      one: BetterSqlite3.Statement,
      many: BetterSqlite3.Statement,
    ) => {
      let i = 0;
      for (; i + CHUNK <= rows.length; i += CHUNK) many.run(rows.slice(i, i + CHUNK).flatMap(row));
      for (; i < rows.length; i++) one.run(row(rows[i] as Sighting));
    };
    const commit = db.transaction((rows: Sighting[]) => {
      rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      run(rows, peerRow, peer1, peerN);
    });
    // Reads as pm's driver makes them (driver.ts, read()): the lookups of one turn of the event loop share one read
    // transaction, ended at the next turn or before a write. In autocommit each statement would take and drop the
    // WAL read locks itself, several µs a lookup that pm does not pay: the floor would not be a floor.
    let reading = false;
    const endRead = (): void => {
      if (!reading) return;
      reading = false;
      if (db.inTransaction) db.exec('COMMIT');
    };
    const read = (): void => {
      if (reading || db.inTransaction) return;
      db.exec('BEGIN');
      reading = true;
      setImmediate(endRead);
    };
    let pending: Sighting[] = [];
    const settle = (): void => {
      endRead();
      if (pending.length > 0) commit(pending);
      pending = [];
    };
    // pm asks the side table of further usernames first (usernames.ts), then the owner's row.
    const side = db.prepare('SELECT peer_id FROM usernames WHERE username_lower = ?');
    const l: Lookups = {
      byId: (id) => {
        read();
        return read1(byId, id);
      },
      byUsername: (name) => {
        read();
        const lower = name.toLowerCase();
        const owner = side.get(lower) as { peer_id: bigint } | undefined;
        return owner === undefined ? read1(byName, lower) : read1(byId, owner.peer_id);
      },
    };
    return {
      prepare: (batch) => batch,
      write: (prepared) => {
        pending.push(...(prepared as Sighting[]));
        if (pending.length >= PEER_CACHE_DEFAULTS.maxBatch) settle();
      },
      settle,
      commits: `committed ${PEER_CACHE_DEFAULTS.maxBatch.toLocaleString('en')} at a time, as pm's write-behind under load`,
      hot: l,
      cold: l,
      close: () => {
        settle();
        endRead();
        db.close();
      },
    };
  },
};
