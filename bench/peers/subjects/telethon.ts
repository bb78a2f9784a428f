/**
 * Telethon 1.x's `.session` file, replayed through better-sqlite3 (Telethon itself is Python): its `entities`
 * table as SQLiteSession (database version 7) creates it, the `insert or replace` its `process_entities` runs for
 * every batch of users (committed by `save()`), and the SELECTs its `get_input_entity` runs by id
 * (`get_entity_rows_by_id`, exact) and by username (`get_entity_rows_by_username`). SQLite's defaults, as Python's
 * sqlite3 module leaves them (rollback journal, synchronous FULL). The table has no index on `username`.
 * Python's own per-call overhead is not included: this is a lower bound of what Telethon spends.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { Sighting } from '../data.js';
import type { Lookups, Subject } from '../subject.js';

const requireFromCore = createRequire(new URL('../../../packages/core/package.json', import.meta.url));
const Database = requireFromCore('better-sqlite3') as typeof BetterSqlite3;

/** telethon/sessions/sqlite.py, CURRENT_VERSION = 7 (entities and version; the other tables hold no peers). */
const SCHEMA = [
  'create table version (version integer primary key) without rowid',
  `create table entities (
    id integer primary key,
    hash integer not null,
    username text,
    phone integer,
    name text,
    date integer
  ) without rowid`,
  'insert into version values (7)',
];

type Row = [bigint, bigint, string, null, string, number];

export const telethonSession: Subject = {
  name: 'telethon .session (replayed)',
  open: async (dir, reopen) => {
    const db = new Database(join(dir, 'telethon.session'));
    db.defaultSafeIntegers(true);
    if (!reopen) for (const sql of SCHEMA) db.exec(sql);
    const insert = db.prepare('insert or replace into entities values (?,?,?,?,?,?)');
    const byId = db.prepare('select id, hash from entities where id = ?');
    const byUsername = db.prepare('select id, hash, date from entities where username = ?');
    const evict = db.prepare('update entities set username = null where id = ?');
    // executemany + save(): one transaction per batch.
    const writeBatch = db.transaction((rows: readonly Row[]) => {
      for (const r of rows) insert.run(...r);
    });
    const l: Lookups = {
      byId: (id) => byId.get(id),
      byUsername: (name) => {
        const results = byUsername.all(name) as { id: bigint; hash: bigint; date: bigint | null }[];
        if (results.length === 0) return undefined;
        // As Telethon: several rows with one username → keep the newest, clear the others.
        if (results.length > 1) {
          results.sort((a, b) => Number((a.date ?? 0n) - (b.date ?? 0n)));
          for (const r of results.slice(0, -1)) evict.run(r.id);
        }
        return results.at(-1);
      },
    };
    return {
      prepare: (batch) => {
        const date = Math.floor(Date.now() / 1000);
        return batch.map(
          (s: Sighting): Row => [s.id, s.accessHash, s.username, null, `${s.firstName} ${s.lastName}`, date],
        );
      },
      write: (prepared) => writeBatch(prepared as Row[]),
      hot: l,
      cold: l,
      close: () => db.close(),
    };
  },
};
