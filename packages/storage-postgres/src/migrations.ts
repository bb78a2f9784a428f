/**
 * Schema migrations of stores made by earlier versions, recorded in `pm_schema_version` (one row per version
 * reached). A new store is created at the latest version straight from the table description shared with SQLite
 * (`STORE_TABLES` of @pm/core); the schema tests check that a migrated store ends with the same tables. A released
 * migration never changes: a schema change is a new one, and the description changes with it. Several processes
 * may open the same store at once: an advisory lock per schema lets one of them migrate while the others wait.
 */
import { createStoreStatements, StorageError } from '@pm/core';
import type { PostgresDriver, Sql } from './driver.js';

/** Each migration is a list of statements; `{S}` stands for the quoted schema. */
export const POSTGRES_MIGRATIONS: readonly (readonly string[])[] = [
  [
    `CREATE TABLE {S}.peers (
      id bigint PRIMARY KEY,
      type text NOT NULL,
      access_hash bigint,
      min boolean NOT NULL,
      usernames text[] NOT NULL DEFAULT '{}',
      first_name text,
      last_name text,
      title text,
      phone text,
      lang_code text,
      lang_code_seen_at bigint,
      premium boolean,
      verified boolean,
      deleted boolean NOT NULL DEFAULT false,
      photo_id bigint,
      first_seen bigint NOT NULL,
      last_seen bigint NOT NULL,
      last_updated bigint NOT NULL,
      -- Checked at commit, so a transaction may hand a phone over in two steps; a concurrent hand-over fails one
      -- commit, which is retried.
      CONSTRAINT peers_phone_unique UNIQUE (phone) DEFERRABLE INITIALLY DEFERRED
    )`,
    // The username index: one row per active username, unique case-insensitively. displaced_peer_id is the owner
    // the last claim took the name from (null when it did not move), read back by that claim's RETURNING.
    `CREATE TABLE {S}.usernames (
      username text NOT NULL,
      peer_id bigint NOT NULL,
      position integer NOT NULL,
      displaced_peer_id bigint
    )`,
    'CREATE UNIQUE INDEX usernames_lower ON {S}.usernames (lower(username))',
    'CREATE INDEX usernames_peer ON {S}.usernames (peer_id)',
    `CREATE TABLE {S}.history (
      seq bigserial PRIMARY KEY,
      peer_id bigint NOT NULL,
      field text NOT NULL,
      before jsonb,
      after jsonb,
      at bigint NOT NULL
    )`,
    'CREATE INDEX history_peer ON {S}.history (peer_id, seq)',
    'CREATE TABLE {S}.kv (key text COLLATE "C" PRIMARY KEY, value text NOT NULL)',
    `CREATE TABLE {S}.dialogs (
      user_id bigint PRIMARY KEY,
      started_at bigint,
      via text,
      payload text,
      blocked boolean NOT NULL,
      blocked_since bigint,
      last_message_at bigint
    )`,
    `CREATE TABLE {S}.broadcast_jobs (
      id text PRIMARY KEY,
      text text NOT NULL,
      options text NOT NULL,
      status text NOT NULL,
      created_at bigint NOT NULL,
      updated_at bigint NOT NULL
    )`,
    `CREATE TABLE {S}.broadcast_recipients (
      job_id text NOT NULL,
      user_id bigint NOT NULL,
      status text NOT NULL,
      message_id bigint,
      reason text,
      updated_at bigint,
      claimed_by text,
      claimed_at bigint,
      PRIMARY KEY (job_id, user_id)
    )`,
    `CREATE INDEX broadcast_recipients_pending ON {S}.broadcast_recipients (job_id, user_id) WHERE status = 'pending'`,
  ],
  // The message that started a dialog, so a replay of it after a crash is the same start.
  ['ALTER TABLE {S}.dialogs ADD COLUMN start_message_id bigint'],
];

export const LATEST_POSTGRES_SCHEMA_VERSION = POSTGRES_MIGRATIONS.length;

/**
 * A store that must exist already (`create: false`): pm's version table in the schema, else STORAGE_NOT_FOUND naming
 * the server and the schema.
 */
export async function assertStoreExists(driver: PostgresDriver): Promise<void> {
  const { rows } = await driver.read<{ found: string | null }>('SELECT to_regclass($1)::text AS found', [
    `${driver.table('pm_schema_version')}`,
  ]);
  if (rows[0]?.found == null) {
    throw new StorageError(
      'STORAGE_NOT_FOUND',
      `No pm store in PostgreSQL at ${driver.target}, schema ${driver.schema} (nothing was created): check the database and ?schema=; commands that write create it`,
    );
  }
}

/** Creates the schema if missing and applies the migrations it lacks, in one transaction. */
export async function migrate(driver: PostgresDriver): Promise<void> {
  const schema = `"${driver.schema}"`;
  await driver.transaction(async (sql: Sql) => {
    await sql.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`pm-migrate:${driver.schema}`]);
    await sql.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await sql.query(
      `CREATE TABLE IF NOT EXISTS ${schema}.pm_schema_version (
        version integer PRIMARY KEY,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`,
    );
    const { rows } = await sql.query<{ v: number | null }>(
      `SELECT max(version) AS v FROM ${schema}.pm_schema_version`,
    );
    const current = rows[0]?.v ?? 0;
    if (current > LATEST_POSTGRES_SCHEMA_VERSION) {
      throw new StorageError(
        'STORAGE_SCHEMA_TOO_NEW',
        `The PostgreSQL schema ${driver.schema} at ${driver.target} is at version ${current}; this @pm/storage-postgres knows up to ${LATEST_POSTGRES_SCHEMA_VERSION}: upgrade it`,
      );
    }
    if (current === 0) {
      // A new store: the latest schema straight from the table description.
      for (const statement of createStoreStatements('postgres', `${schema}.`)) await sql.query(statement);
      await sql.query(`INSERT INTO ${schema}.pm_schema_version (version) VALUES ($1)`, [
        LATEST_POSTGRES_SCHEMA_VERSION,
      ]);
      return;
    }
    for (let version = current + 1; version <= LATEST_POSTGRES_SCHEMA_VERSION; version++) {
      for (const statement of POSTGRES_MIGRATIONS[version - 1] ?? [])
        await sql.query(statement.replaceAll('{S}.', `${schema}.`));
      await sql.query(`INSERT INTO ${schema}.pm_schema_version (version) VALUES ($1)`, [version]);
    }
  });
}
