/**
 * PostgreSQL shared by several bot processes: four processes ingest at once into one store, through PeerCache with
 * its defaults (write-behind batches, each one transaction of batched `unnest` statements). Each process ingests
 * its own quarter of new peers; one sighting in a hundred also claims one of a hundred contested usernames, so the
 * processes take names from each other all along. Figures: total peers/s (wall time from a common start to the last
 * flush, process start-up excluded), then what the store holds: every peer (none lost) and a username index that
 * agrees with the records (each name held by one record, the one the index names). A disagreement fails the run.
 *
 * Single-process figures (ingest, lookups hot and cold, re-sightings) are the `pm postgres` rows of the `peers`
 * suite, beside SQLite. Needs PM_TEST_POSTGRES_URL (`scripts/pg-test-cluster.sh`, a throwaway cluster without
 * fsync); without it the suite has no rows and says so on stderr.
 *
 *   npx tsx bench/postgres.bench.ts [--quick]
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PeerCache, type PeerInput, type PeerRecord } from '@pm/core';
import { openPostgresStorage } from '@pm/storage-postgres';
import type { BenchRow } from './lib/row.js';
import { idAt, sightingOf } from './peers/data.js';
import { toInput } from './peers/subjects/pm.js';

const SUITE = 'postgres';
const SUBJECT = 'pm postgres';
const BATCH = 1000;
const PROCESSES = 4;
const CONTESTED = 100;
/** One sighting in this many also claims a contested username. */
const CONTEST_EVERY = 100;

const url = (): string | undefined => process.env['PM_TEST_POSTGRES_URL'];

/** The i-th sighting of process k (of n peers in all): its own new peer, sometimes with a contested name. */
function sightingAt(k: number, i: number, n: number): PeerInput {
  const share = n / PROCESSES;
  const s = sightingOf(idAt(k * share + i, n));
  const usernames = [s.username];
  if (i % CONTEST_EVERY === k) usernames.push(`contested_${Math.floor(i / CONTEST_EVERY + k) % CONTESTED}`);
  return { ...toInput(s), usernames };
}

/** A child: opens the store, says `ready`, waits for `go`, ingests its share, prints the ns it took. */
async function child(k: number, n: number, schema: string): Promise<void> {
  const storage = await openPostgresStorage({ url: url() as string, schema });
  const cache = new PeerCache({ storage, closeStorage: false });
  const lines = createInterface({ input: process.stdin });
  process.stdout.write('ready\n');
  for await (const line of lines) if (line === 'go') break;
  const start = process.hrtime.bigint();
  const share = n / PROCESSES;
  for (let i = 0; i < share; i += BATCH) {
    const batch: PeerInput[] = [];
    for (let j = i; j < Math.min(share, i + BATCH); j++) batch.push(sightingAt(k, j, n));
    await cache.upsert(batch);
  }
  await cache.flush();
  process.stdout.write(`done ${process.hrtime.bigint() - start}\n`);
  lines.close();
  await cache.close();
  await storage.close();
}

interface Child {
  readonly ready: Promise<void>;
  readonly done: Promise<number>;
  go(): void;
}

function spawnChild(k: number, n: number, schema: string): Child {
  const self = fileURLToPath(import.meta.url);
  const proc = spawn(process.execPath, ['--import', 'tsx', self, '--child', String(k), String(n), schema], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  let readyNow!: () => void;
  const ready = new Promise<void>((resolve) => {
    readyNow = resolve;
  });
  const done = new Promise<number>((resolve, reject) => {
    proc.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('ready\n')) readyNow();
    });
    proc.on('error', reject);
    proc.on('exit', (code) => {
      const ns = /done (\d+)/.exec(out)?.[1];
      if (code === 0 && ns !== undefined) resolve(Number(ns));
      else reject(new Error(`postgres bench child ${k}: exit ${code}: ${out.slice(-500)}`));
    });
  });
  // A child that dies before saying ready fails the run rather than leaving it waiting.
  return { ready: Promise.race([ready, done.then(() => undefined)]), done, go: () => proc.stdin.end('go\n') };
}

/** Reads the whole store back: peers missing, and usernames whose index and records disagree. */
async function check(
  schema: string,
  n: number,
): Promise<{ lost: number; disagreements: number; sample: string[] }> {
  const storage = await openPostgresStorage({ url: url() as string, schema });
  try {
    const holders = new Map<string, bigint[]>();
    const seen = new Set<bigint>();
    let after: bigint | null = null;
    for (;;) {
      const page: PeerRecord[] = await storage.peers.page(after, 10_000);
      for (const record of page) {
        seen.add(record.id);
        for (const u of record.usernames) {
          const name = u.toLowerCase();
          holders.set(name, [...(holders.get(name) ?? []), record.id]);
        }
      }
      const last = page.at(-1);
      if (last === undefined || page.length < 10_000) break;
      after = last.id;
    }
    let lost = 0;
    for (let i = 0; i < n; i++) if (!seen.has(idAt(i, n))) lost++;
    const sample: string[] = [];
    let disagreements = 0;
    const names = [...holders.keys()];
    const contested = Array.from({ length: CONTESTED }, (_, c) => `contested_${c}`);
    for (const name of contested) if (!holders.has(name)) names.push(name);
    for (let i = 0; i < names.length; i += 10_000) {
      const part = names.slice(i, i + 10_000);
      const owners = await storage.usernames.resolveMany(part);
      for (const name of part) {
        const held = holders.get(name) ?? [];
        const owner = owners.get(name);
        const ok = held.length === 0 ? owner === undefined : held.length === 1 && owner === held[0];
        if (!ok) {
          disagreements++;
          if (sample.length < 5) sample.push(`${name}: records ${held.join(',') || 'none'}, index ${owner}`);
        }
      }
    }
    return { lost, disagreements, sample };
  } finally {
    await storage.close();
  }
}

export async function runPostgresBench(opts: { quick: boolean }): Promise<BenchRow[]> {
  if (!url()) {
    process.stderr.write(
      'postgres bench skipped: PM_TEST_POSTGRES_URL is not set (eval "$(bash scripts/pg-test-cluster.sh start)")\n',
    );
    return [];
  }
  const n = opts.quick ? 10_000 : 1_000_000;
  const schema = `pm_bench_${randomBytes(4).toString('hex')}`;
  // Created (and migrated) once, before the processes race.
  const admin = await openPostgresStorage({ url: url() as string, schema });
  try {
    const children = Array.from({ length: PROCESSES }, (_, k) => spawnChild(k, n, schema));
    await Promise.all(children.map((c) => c.ready));
    const start = process.hrtime.bigint();
    for (const c of children) c.go();
    const own = await Promise.all(children.map((c) => c.done));
    const wallNs = Number(process.hrtime.bigint() - start);
    const { lost, disagreements, sample } = await check(schema, n);
    const base = { suite: SUITE, subject: SUBJECT, size: n };
    const rows: BenchRow[] = [
      {
        ...base,
        name: `ingest, ${PROCESSES} processes at once`,
        value: n / (wallNs / 1e9),
        runs: 1,
        unit: 'peers/s',
        better: 'higher',
        notes: `in all; each process ${own.map((ns) => Math.round(n / PROCESSES / (ns / 1e9))).join(', ')} peers/s; 1 in ${CONTEST_EVERY} sightings claims one of ${CONTESTED} contested usernames`,
      },
      {
        ...base,
        name: 'peers lost',
        value: lost,
        unit: 'peers',
        better: 'lower',
        notes: `of ${n} ingested by ${PROCESSES} processes`,
      },
      {
        ...base,
        name: 'usernames where index and records disagree',
        value: disagreements,
        unit: 'names',
        better: 'lower',
        notes:
          sample.length > 0 ? sample.join('; ') : 'each name held by one record, the one the index names',
      },
    ];
    if (lost > 0 || disagreements > 0) {
      process.stderr.write(
        `postgres bench: FAILED: ${lost} peers lost, ${disagreements} usernames disagree (${sample.join('; ')})\n`,
      );
      process.exitCode = 1;
    }
    return rows;
  } finally {
    await admin.driver.read(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    await child(Number(args[1]), Number(args[2]), args[3] as string);
  } else {
    console.table(await runPostgresBench({ quick: args.includes('--quick') }));
  }
}
