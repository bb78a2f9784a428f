/**
 * PostgreSQL storage beside SQLite: ingest through the peer cache (batches of 1000, until committed) and lookups
 * by id, hot (answered by the LRU) and cold (the LRU shrunk to one entry, so each lookup is a storage round trip),
 * in one process and in four processes sharing one store. Needs PM_TEST_POSTGRES_URL; without it there are no
 * rows (and a note on stderr).
 *
 * Figures depend on the machine and on the server's settings (the test cluster runs without fsync): compare rows
 * of one run.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { openSqliteStorage, PeerCache, type PeerInput, type StorageProvider } from '@pm/core';
import { openPostgresStorage, type PostgresStorageProvider } from '@pm/storage-postgres';

export interface BenchRow {
  readonly name: string;
  /** 'postgres' or 'sqlite'. */
  readonly subject?: string;
  readonly size: number;
  readonly opsPerSec: number;
  readonly usPerOp: number;
  readonly notes?: string;
}

const BATCH = 1000;
const PROCESSES = 4;
const url = (): string | undefined => process.env['PM_TEST_POSTGRES_URL'];

const sighting = (id: bigint): PeerInput => ({
  id,
  type: 'user',
  accessHash: (id * 0x9e3779b97f4a7c15n) % 0x7fffffffffffffffn,
  firstName: `First${id}`,
  usernames: [`user_${id}`],
  langCode: 'en',
});

/** A fixed permutation of from+1 .. from+n, so ids arrive out of order as from Telegram. */
const idAt = (i: number, n: number, from = 0): bigint => BigInt(from + ((i * 7_368_787) % n) + 1);

function row(subject: string, name: string, size: number, ns: number, notes?: string): BenchRow {
  return { subject, name, size, usPerOp: ns / 1000, opsPerSec: 1e9 / ns, ...(notes ? { notes } : {}) };
}

const elapsedNs = (start: bigint): number => Number(process.hrtime.bigint() - start);

/** Ingests n users (ids from+1..from+n) in batches of 1000; ns per record, until committed. */
async function ingest(storage: StorageProvider, n: number, from = 0): Promise<number> {
  const cache = new PeerCache({ storage, closeStorage: false });
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i += BATCH) {
    const batch: PeerInput[] = [];
    for (let j = i; j < Math.min(n, i + BATCH); j++) batch.push(sighting(idAt(j, n, from)));
    await cache.upsert(batch);
  }
  await cache.flush();
  const ns = elapsedNs(start) / n;
  await cache.close();
  return ns;
}

/** Lookups by id of `ops` random known users; hot: everything in the LRU first; cold: an LRU of one. */
async function lookups(
  storage: StorageProvider,
  n: number,
  ops: number,
  hot: boolean,
  from = 0,
): Promise<number> {
  const cache = new PeerCache({ storage, closeStorage: false, cacheSize: hot ? n + 1 : 1 });
  const ids = Array.from({ length: ops }, (_, i) => idAt((i * 31) % n, n, from));
  if (hot) for (const id of ids) await cache.get(id);
  const start = process.hrtime.bigint();
  for (const id of ids) {
    if ((await cache.get(id)) === undefined) throw new Error(`bench: ${id} not found`);
  }
  const ns = elapsedNs(start) / ops;
  await cache.close();
  return ns;
}

/** Runs `count` copies of this file as children (`--child <role> ...`); resolves to their printed figures. */
function children(count: number, args: (k: number) => string[]): Promise<number[]> {
  const self = fileURLToPath(import.meta.url);
  return Promise.all(
    Array.from(
      { length: count },
      (_, k) =>
        new Promise<number>((resolve, reject) => {
          const child = spawn(process.execPath, ['--import', 'tsx', self, '--child', ...args(k)], {
            stdio: ['ignore', 'pipe', 'inherit'],
          });
          let out = '';
          child.stdout.on('data', (d: Buffer) => {
            out += d;
          });
          child.on('exit', (code) =>
            code === 0
              ? resolve(Number(out.trim().split('\n').at(-1)))
              : reject(new Error(`bench child: ${out}`)),
          );
        }),
    ),
  );
}

async function childMain(role: string, schema: string, n: number, from: number, ops: number): Promise<void> {
  const storage = await openPostgresStorage({ url: url() as string, schema, poolSize: 4 });
  const ns = role === 'ingest' ? await ingest(storage, n, from) : await lookups(storage, n, ops, false, from);
  await storage.close();
  process.stdout.write(`${ns}\n`);
}

export async function runPostgresBench(opts: { quick: boolean }): Promise<BenchRow[]> {
  const pgUrl = url();
  const n = opts.quick ? 4000 : 40_000;
  const ops = opts.quick ? 1000 : 5000;
  if (!pgUrl) {
    console.warn(
      'postgres bench skipped: PM_TEST_POSTGRES_URL is not set (eval "$(bash scripts/pg-test-cluster.sh start)")',
    );
    return [];
  }
  const rows: BenchRow[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'pm-pg-bench-'));
  const schemas: string[] = [];
  let admin: PostgresStorageProvider | undefined;
  try {
    // SQLite, the single-process reference.
    const sqlite = await openSqliteStorage({ path: join(dir, 'bench.db') });
    const sqliteIngest = await ingest(sqlite, n);
    rows.push(
      row('sqlite', 'ingest, 1 process', n, sqliteIngest, `${Math.round(1e9 / sqliteIngest)} records/s`),
    );
    rows.push(row('sqlite', 'lookup by id, hot', n, await lookups(sqlite, n, ops, true)));
    rows.push(row('sqlite', 'lookup by id, cold', n, await lookups(sqlite, n, ops, false)));
    await sqlite.close();

    // PostgreSQL, one process.
    const one = `pm_bench_${randomBytes(4).toString('hex')}`;
    schemas.push(one);
    const pgStore = await openPostgresStorage({ url: pgUrl, schema: one });
    admin = pgStore;
    const pgIngest = await ingest(pgStore, n);
    rows.push(row('postgres', 'ingest, 1 process', n, pgIngest, `${Math.round(1e9 / pgIngest)} records/s`));
    rows.push(row('postgres', 'lookup by id, hot', n, await lookups(pgStore, n, ops, true)));
    rows.push(
      row('postgres', 'lookup by id, cold', n, await lookups(pgStore, n, ops, false), 'one round trip each'),
    );

    // PostgreSQL, four processes on one store: each ingests its own quarter at the same time, then looks up.
    const four = `pm_bench_${randomBytes(4).toString('hex')}`;
    schemas.push(four);
    await (await openPostgresStorage({ url: pgUrl, schema: four })).close();
    const share = Math.floor(n / PROCESSES);
    const perRecord = await children(PROCESSES, (k) => [
      'ingest',
      four,
      String(share),
      String(k * share),
      '0',
    ]);
    // They ran at the same time: the slowest one's time is the time of the whole ingest.
    const wall = (Math.max(...perRecord) * share) / (share * PROCESSES);
    rows.push(
      row(
        'postgres',
        `ingest, ${PROCESSES} processes`,
        share * PROCESSES,
        wall,
        `${Math.round(1e9 / wall)} records/s in all (slowest process, start-up excluded)`,
      ),
    );
    const cold = await children(PROCESSES, (k) => [
      'lookup',
      four,
      String(share),
      String(k * share),
      String(ops),
    ]);
    const perOp = Math.max(...cold);
    rows.push(
      row(
        'postgres',
        `lookup by id, cold, ${PROCESSES} processes`,
        share * PROCESSES,
        perOp / PROCESSES,
        `${Math.round((1e9 / perOp) * PROCESSES)} lookups/s in all; each process ${(perOp / 1000).toFixed(0)} µs/op`,
      ),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (admin) {
      for (const schema of schemas) await admin.driver.read(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.close();
    }
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    const [, role, schema, n, from, ops] = args;
    await childMain(role as string, schema as string, Number(n), Number(from), Number(ops));
  } else {
    const rows = await runPostgresBench({ quick: args.includes('--quick') });
    console.table(
      rows.map((r) => ({
        ...r,
        usPerOp: Number(r.usPerOp.toPrecision(4)),
        opsPerSec: Math.round(r.opsPerSec),
      })),
    );
  }
}
