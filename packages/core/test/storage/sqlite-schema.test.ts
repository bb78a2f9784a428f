/**
 * One schema for two databases, SQLite's side: a new store has exactly the tables the description gives
 * (storage/schema/tables.ts), a store made by schema 1 migrates to the same tables, schema 4 → 5 moves history values
 * to JSON under PostgreSQL's names and adds the pending-recipients index, and pending migrations run in one
 * transaction (a failing one leaves the store as it was).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { StorageError } from '../../src/errors.js';
import { describedSchema, sqliteSchemaOf } from '../../src/storage/schema/index.js';
import { LATEST_SCHEMA_VERSION, openSqliteStorage } from '../../src/storage/sqlite/index.js';
import { MIGRATIONS } from '../../src/storage/sqlite/migrations.js';

const dir = mkdtempSync(join(tmpdir(), 'pm-sqlite-schema-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A store left at `version` by the migrations up to it, as that version of pm made it. */
function storeAt(path: string, version: number, fill?: (db: Database.Database) => void): void {
  const db = new Database(path);
  db.exec('CREATE TABLE schema_version (version INTEGER NOT NULL)');
  for (const m of MIGRATIONS.filter((m) => m.version <= version)) db.exec(m.sql);
  db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(version);
  fill?.(db);
  db.close();
}

describe('SQLite schema', () => {
  it('creates a new store with exactly the tables the description gives', async () => {
    const storage = await openSqliteStorage({ path: join(dir, 'new.db') });
    expect(storage.driver.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(sqliteSchemaOf(storage.driver.db)).toEqual(describedSchema('sqlite'));
    await storage.close();
  });

  it('brings a store made by schema 1 to the same tables as a new store', async () => {
    const path = join(dir, 'v1.db');
    storeAt(path, 1);
    const storage = await openSqliteStorage({ path });
    expect(storage.driver.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(sqliteSchemaOf(storage.driver.db)).toEqual(describedSchema('sqlite'));
    await storage.close();
  });

  it('migrates schema 4 to 5: history under PostgreSQL’s names with JSON values, pending recipients indexed', async () => {
    const path = join(dir, 'v4.db');
    storeAt(path, 4, (db) => {
      const row = db.prepare(
        'INSERT INTO peer_history (peer_id, field, old_value, new_value, at) VALUES (?, ?, ?, ?, ?)',
      );
      row.run(7, 'usernames', '', 'Ann_A ann_b', 1);
      row.run(7, 'usernames', 'Ann_A ann_b', '', 2);
      row.run(7, 'firstName', null, 'Ann "the" \\ Émilie', 3);
      row.run(8, 'phone', '79001234567', null, 4);
      db.prepare(
        "INSERT INTO broadcast_recipients (job_id, user_id, status) VALUES ('j', 1, 'pending'), ('j', 2, 'sent')",
      ).run();
    });
    const storage = await openSqliteStorage({ path });
    expect(storage.driver.schemaVersion).toBe(5);
    expect(await storage.history.list(7n)).toEqual([
      { peerId: 7n, field: 'usernames', before: [], after: ['Ann_A', 'ann_b'], at: 1 },
      { peerId: 7n, field: 'usernames', before: ['Ann_A', 'ann_b'], after: [], at: 2 },
      { peerId: 7n, field: 'firstName', before: null, after: 'Ann "the" \\ Émilie', at: 3 },
    ]);
    expect(await storage.history.list(8n)).toEqual([
      { peerId: 8n, field: 'phone', before: '79001234567', after: null, at: 4 },
    ]);
    const plan = storage.driver.db
      .prepare(
        "EXPLAIN QUERY PLAN SELECT user_id FROM broadcast_recipients WHERE job_id = 'j' AND status = 'pending'",
      )
      .all() as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toContain('broadcast_recipients_pending');
    expect(sqliteSchemaOf(storage.driver.db)).toEqual(describedSchema('sqlite'));
    await storage.close();
  });

  it('runs the pending migrations in one transaction: when one fails the store stays at its version', async () => {
    const path = join(dir, 'v3-broken.db');
    // Migration 4 runs; migration 5 then fails (a table named history is in the way).
    storeAt(path, 3, (db) => {
      db.exec('CREATE TABLE history (x INTEGER)');
      db.prepare(
        "INSERT INTO peers (id, type, min, usernames, deleted, first_seen, last_seen, last_updated) VALUES (5, 'user', 0, '', 0, 1, 1, 1)",
      ).run();
    });
    await expect(openSqliteStorage({ path })).rejects.toBeInstanceOf(StorageError);
    const db = new Database(path, { readonly: true });
    expect(db.prepare('SELECT max(version) AS v FROM schema_version').get()).toEqual({ v: 3 });
    const columns = (db.prepare('PRAGMA table_info(peers)').all() as { name: string }[]).map((c) => c.name);
    expect(columns).not.toContain('seq'); // migration 4 was rolled back with 5
    expect(db.prepare('SELECT count(*) AS n FROM peer_history').get()).toEqual({ n: 0 });
    db.close();
  });
});
