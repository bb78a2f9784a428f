/**
 * Test helpers: the server from PM_TEST_POSTGRES_URL (tests skip without it), and a fresh schema per store so
 * that runs and test files never see each other's rows. Schemas made here are dropped by `dropSchemas()`.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import {
  openPostgresStorage,
  type PostgresStorageOptions,
  type PostgresStorageProvider,
} from '../src/index.js';

export const PG_URL = process.env.PM_TEST_POSTGRES_URL;
export const SKIP_MESSAGE =
  'PM_TEST_POSTGRES_URL is not set: PostgreSQL tests skipped (eval "$(bash scripts/pg-test-cluster.sh start)" to run them)';
if (!PG_URL) console.warn(SKIP_MESSAGE);

const made = new Set<string>();

/** A schema name no other test uses. */
export function freshSchema(prefix = 't'): string {
  const name = `pm_${prefix}_${randomBytes(5).toString('hex')}`;
  made.add(name);
  return name;
}

/** Opens a store in a fresh schema (or the given one). */
export function openTestStorage(
  options: Partial<PostgresStorageOptions> = {},
): Promise<PostgresStorageProvider> {
  return openPostgresStorage({ url: PG_URL as string, poolSize: 4, schema: freshSchema(), ...options });
}

/** Drops the schemas this process made. */
export async function dropSchemas(): Promise<void> {
  if (!PG_URL || made.size === 0) return;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    for (const schema of made) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    made.clear();
  } finally {
    await client.end();
  }
}
