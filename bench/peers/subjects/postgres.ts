/**
 * pm's PeerCache over the PostgreSQL provider (`@pm/storage-postgres`), with its defaults: the same figures as `pm
 * sqlite`, beside it in the same table. Each store is a schema of the database in `PM_TEST_POSTGRES_URL` (the
 * benchmark's throwaway cluster, `scripts/pg-test-cluster.sh`, which runs without fsync); without that variable
 * the subject is skipped. Writes are PeerCache's write-behind batches, each one transaction of batched `unnest`
 * statements (peer-writes.ts); cold lookups are one round trip to the server each.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { basename, dirname } from 'node:path';
import { openPostgresStorage } from '@pm/storage-postgres';
import type Pg from 'pg';
import { usernameOf } from '../data.js';
import type { Subject } from '../subject.js';
import { openOver } from './pm.js';

const requireFromProvider = createRequire(
  new URL('../../../packages/storage-postgres/package.json', import.meta.url),
);
const pg = requireFromProvider('pg') as typeof Pg;

/** Why the subject cannot run here, or undefined when it can. */
export function postgresUnavailable(): string | undefined {
  return process.env['PM_TEST_POSTGRES_URL']
    ? undefined
    : 'PM_TEST_POSTGRES_URL is not set (eval "$(bash scripts/pg-test-cluster.sh start)")';
}

/** Lookups in flight while the hot set is warmed: the pool's size. */
const WARM_AT_ONCE = 10;
const hash = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 10);
/** All schemas of one benchmark folder share a prefix, so `cleanup` finds them. */
const prefixOf = (benchDir: string): string => `pm_peers_bench_${hash(benchDir)}_`;
/** A store's schema, derived from its folder, so a later `open(dir, true)` finds the same one. */
const schemaOf = (storeDir: string): string => `${prefixOf(dirname(storeDir))}${hash(basename(storeDir))}`;

function url(): string {
  const why = postgresUnavailable();
  if (why) throw new Error(`pm postgres: ${why}`);
  return process.env['PM_TEST_POSTGRES_URL'] as string;
}

/** Runs `body` on a plain connection (not a pm store, which would create its tables where it is opened). */
async function admin<T>(body: (client: Pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url() });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

export const pmPostgres: Subject = {
  name: 'pm postgres',
  // The CPU time of this thread would leave out the server's work and the wait for it.
  clock: 'real',
  open: async (dir, reopen) => {
    const schema = schemaOf(dir);
    if (!reopen) await admin((client) => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
    const store = openOver(await openPostgresStorage({ url: url(), schema }));
    return {
      ...store,
      // A round trip per lookup: the hot set is warmed a pool's worth of lookups at a time.
      warm: async (ids) => {
        for (let i = 0; i < ids.length; i += WARM_AT_ONCE) {
          await Promise.all(
            ids.slice(i, i + WARM_AT_ONCE).map(async (id) => {
              await store.hot.byId(id);
              await store.hot.byUsername(usernameOf(id));
            }),
          );
        }
      },
    };
  },
  cleanup: (benchDir) =>
    admin(async (client) => {
      const { rows } = await client.query<{ name: string }>(
        'SELECT nspname AS name FROM pg_namespace WHERE starts_with(nspname, $1)',
        [prefixOf(benchDir)],
      );
      for (const { name } of rows) await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
    }),
};
