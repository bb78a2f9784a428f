/**
 * One schema for two databases: a new PostgreSQL store has exactly the tables the shared description gives
 * (`STORE_TABLES` of @pm/core), a store made by schema 1 migrates to the same tables, and the live PostgreSQL and
 * SQLite schemas match table by table except where the description declares a difference (with its reason).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  compareSchemas,
  describedSchema,
  type LiveSchema,
  type LiveTable,
  openSqliteStorage,
  sqliteSchemaOf,
} from '@pm/core';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { LATEST_POSTGRES_SCHEMA_VERSION, POSTGRES_MIGRATIONS } from '../src/migrations.js';
import { dropSchemas, freshSchema, openTestStorage, PG_URL, SKIP_MESSAGE } from './pg.js';

const dir = mkdtempSync(join(tmpdir(), 'pm-pg-schema-'));
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await dropSchemas();
});

async function withClient<T>(body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

/** The schema of a PostgreSQL store as the server reports it (`pm_schema_version` left out). */
function postgresSchemaOf(schema: string): Promise<LiveSchema> {
  return withClient(async (client) => {
    const tables: Record<
      string,
      { columns: LiveTable['columns']; primaryKey: string[]; indexes: LiveTable['indexes'] }
    > = {};
    const table = (name: string) => {
      tables[name] ??= { columns: {}, primaryKey: [], indexes: {} };
      return tables[name];
    };
    const columns = await client.query<{ t: string; c: string; type: string; udt: string; nullable: string }>(
      `SELECT table_name AS t, column_name AS c, data_type AS type, udt_name AS udt, is_nullable AS nullable
       FROM information_schema.columns WHERE table_schema = $1 AND table_name <> 'pm_schema_version'`,
      [schema],
    );
    for (const r of columns.rows) {
      const type = r.type === 'ARRAY' ? `${r.udt.slice(1)}[]` : r.type;
      (table(r.t).columns as Record<string, unknown>)[r.c] = { type, notNull: r.nullable === 'NO' };
    }
    const keys = await client.query<{ t: string; c: string; constraint: string }>(
      `SELECT tc.table_name AS t, k.column_name AS c, tc.constraint_name AS constraint
       FROM information_schema.table_constraints tc
       JOIN information_schema.key_column_usage k
         ON k.constraint_name = tc.constraint_name AND k.table_schema = tc.table_schema
       WHERE tc.table_schema = $1 AND tc.constraint_type = 'PRIMARY KEY' AND tc.table_name <> 'pm_schema_version'
       ORDER BY tc.table_name, k.ordinal_position`,
      [schema],
    );
    const keyIndexes = new Set(keys.rows.map((r) => r.constraint));
    for (const r of keys.rows) table(r.t).primaryKey.push(r.c);
    const indexes = await client.query<{ t: string; name: string; def: string }>(
      `SELECT tablename AS t, indexname AS name, indexdef AS def FROM pg_indexes
       WHERE schemaname = $1 AND tablename <> 'pm_schema_version'`,
      [schema],
    );
    for (const r of indexes.rows) {
      if (keyIndexes.has(r.name)) continue;
      (table(r.t).indexes as Record<string, unknown>)[r.name] = {
        unique: r.def.startsWith('CREATE UNIQUE'),
        partial: r.def.includes(' WHERE '),
      };
    }
    return tables;
  });
}

describe.skipIf(!PG_URL)(PG_URL ? 'PostgreSQL and SQLite schemas' : SKIP_MESSAGE, () => {
  it('creates a new store with exactly the tables the description gives', async () => {
    const store = await openTestStorage();
    await store.close();
    expect(await postgresSchemaOf(store.schema)).toEqual(describedSchema('postgres'));
  });

  it('brings a store made by schema 1 to the same tables as a new store', async () => {
    const schema = freshSchema('v1');
    await withClient(async (client) => {
      await client.query(`CREATE SCHEMA "${schema}"`);
      await client.query(
        `CREATE TABLE "${schema}".pm_schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      for (const statement of POSTGRES_MIGRATIONS[0] ?? [])
        await client.query(statement.replaceAll('{S}.', `"${schema}".`));
      await client.query(`INSERT INTO "${schema}".pm_schema_version (version) VALUES (1)`);
    });
    const store = await openTestStorage({ schema });
    await store.close();
    const version = await withClient((client) =>
      client.query<{ v: number }>(`SELECT max(version) AS v FROM "${schema}".pm_schema_version`),
    );
    expect(version.rows[0]?.v).toBe(LATEST_POSTGRES_SCHEMA_VERSION);
    expect(await postgresSchemaOf(schema)).toEqual(describedSchema('postgres'));
  });

  it('holds the same tables as a SQLite store, table by table, but for the declared differences', async () => {
    const store = await openTestStorage();
    await store.close();
    const postgres = await postgresSchemaOf(store.schema);
    const sqliteStore = await openSqliteStorage({ path: join(dir, 'store.db') });
    const sqlite = sqliteSchemaOf(sqliteStore.driver.db);
    await sqliteStore.close();
    expect(Object.keys(postgres).sort()).toEqual(Object.keys(sqlite).sort());
    expect(compareSchemas(sqlite, postgres)).toEqual([]);

    // The comparison notices drift: an index one database lacks, a column typed or nulled differently.
    const { broadcast_recipients: recipients, ...rest } = sqlite;
    const drifted = {
      ...rest,
      broadcast_recipients: { ...recipients, indexes: {} },
      history: {
        ...(sqlite['history'] as LiveTable),
        columns: { ...(sqlite['history'] as LiveTable).columns, at: { type: 'TEXT', notNull: false } },
      },
    } as LiveSchema;
    expect(compareSchemas(drifted, postgres)).toEqual([
      'history.at: TEXT in SQLite, bigint in PostgreSQL',
      'history.at: nullable in SQLite, NOT NULL in PostgreSQL',
      'index broadcast_recipients_pending of broadcast_recipients: only in postgres, undeclared',
    ]);
  });
});
