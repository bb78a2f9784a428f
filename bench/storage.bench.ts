/**
 * Peer cache benchmark: lookups by id and by username (hot: answered by the LRU; cold: the LRU shrunk to one
 * entry so every lookup reads SQLite), ingest rate in batches of 1000, start-up time to the first lookup with N
 * peers on disk, and GramJS's own `MemorySession` (processEntities, then getInputEntity by id) side by side.
 *
 *   npx tsx bench/storage.bench.ts            10k, 100k and 1M peers
 *   npx tsx bench/storage.bench.ts --quick    10k only
 *
 * Not a timed test: figures vary with the machine; compare rows of one run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Api, bigInt } from '../packages/core/src/gram/tl.js';
import { PeerCache } from '../packages/core/src/storage/peer-cache.js';
import { openSqliteStorage } from '../packages/core/src/storage/sqlite/index.js';
import type { PeerInput } from '../packages/core/src/storage/types.js';

export interface BenchRow {
  readonly name: string;
  readonly size: number;
  readonly opsPerSec: number;
  readonly usPerOp: number;
  readonly notes?: string;
}

interface GramMemorySession {
  processEntities(tlo: unknown): void;
  getInputEntity(key: unknown): unknown;
}

// GramJS is a dependency of @pm/core, not of the workspace root: resolve it from there (the same instance the
// project's gram/ layer loads).
const requireFromCore = createRequire(new URL('../packages/core/package.json', import.meta.url));
const { MemorySession } = requireFromCore('telegram/sessions/Memory.js') as {
  MemorySession: new () => GramMemorySession;
};

const BATCH = 1000;

/** A fixed pseudo-random permutation of 1..n (so ids arrive out of order, as from Telegram). */
function idAt(i: number, n: number): bigint {
  const step = 7_368_787; // prime, so coprime with any n that is not its multiple
  return BigInt(((i * step) % n) + 1);
}

function sighting(id: bigint): PeerInput {
  return {
    id,
    type: 'user',
    accessHash: (id * 0x9e3779b97f4a7c15n) % 0x7fffffffffffffffn,
    firstName: `First${id}`,
    lastName: 'Last',
    usernames: [`user_${id}`],
    langCode: 'en',
  };
}

function row(name: string, size: number, nsPerOp: number, notes?: string): BenchRow {
  return { name, size, usPerOp: nsPerOp / 1000, opsPerSec: 1e9 / nsPerOp, ...(notes ? { notes } : {}) };
}

async function timeAsync(ops: number, op: (i: number) => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) await op(i);
  return Number(process.hrtime.bigint() - start) / ops;
}

function timeSync(ops: number, op: (i: number) => unknown): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) op(i);
  return Number(process.hrtime.bigint() - start) / ops;
}

/** Runs `op` until `budgetMs` has passed (at least `minOps` times); ns per op. For very slow operations. */
function timeBudget(budgetMs: number, minOps: number, op: (i: number) => unknown): number {
  const start = process.hrtime.bigint();
  const budget = BigInt(budgetMs) * 1_000_000n;
  let ops = 0;
  while (ops < minOps || process.hrtime.bigint() - start < budget) op(ops++);
  return Number(process.hrtime.bigint() - start) / ops;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const fmt = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toPrecision(3));

async function benchSize(dir: string, n: number, quick: boolean): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const path = join(dir, `peers-${n}.db`);

  // Ingest: batches of 1000 through the cache, until everything is committed.
  {
    const cache = new PeerCache({ storage: await openSqliteStorage({ path }) });
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i += BATCH) {
      const batch: PeerInput[] = [];
      for (let j = i; j < Math.min(n, i + BATCH); j++) batch.push(sighting(idAt(j, n)));
      await cache.upsert(batch);
    }
    await cache.flush();
    const ns = Number(process.hrtime.bigint() - start) / n;
    rows.push(
      row('ingest (new peers, batches of 1000)', n, ns, `${fmt(1e9 / ns)} records/s; target ≥ 100k/s`),
    );
    // Re-ingest unchanged: the common case of a known user writing again.
    const again = process.hrtime.bigint();
    const sample = Math.min(n, quick ? 10_000 : 50_000);
    for (let i = 0; i < sample; i += BATCH) {
      const batch: PeerInput[] = [];
      for (let j = i; j < Math.min(sample, i + BATCH); j++) batch.push(sighting(idAt(j, n)));
      await cache.upsert(batch);
    }
    await cache.flush();
    const nsAgain = Number(process.hrtime.bigint() - again) / sample;
    rows.push(row('re-ingest unchanged (batches of 1000)', n, nsAgain, `${fmt(1e9 / nsAgain)} records/s`));
    await cache.close();
  }

  // Start-up: open the file, build the cache, answer one lookup.
  {
    const times: number[] = [];
    for (let k = 0; k < 5; k++) {
      const start = process.hrtime.bigint();
      const cache = new PeerCache({ storage: await openSqliteStorage({ path }) });
      const found = await cache.get(idAt(k * 31, n));
      times.push(Number(process.hrtime.bigint() - start));
      if (!found) throw new Error('start-up lookup missed');
      await cache.close();
    }
    const ns = median(times);
    rows.push(row('start-up to first lookup', n, ns, `${fmt(ns / 1e6)} ms (median of 5); target ≤ 200 ms`));
  }

  const storage = await openSqliteStorage({ path });
  const lookups = quick ? 100_000 : 300_000;
  const hotSet = Math.min(n, 10_000);

  // Hot: the LRU holds the working set.
  let hotIdNs: number;
  {
    const cache = new PeerCache({ storage, closeStorage: false });
    const ids = Array.from({ length: hotSet }, (_, i) => idAt(i * 13, n));
    const names = ids.map((id) => `USER_${id}`);
    for (const id of ids) await cache.get(id);
    for (const name of names) await cache.getByUsername(name);
    hotIdNs = await timeAsync(lookups, (i) => cache.get(ids[i % hotSet] as bigint));
    rows.push(row('hot get(id) (LRU)', n, hotIdNs, `${hotSet} ids in the LRU; target ≤ 2 µs`));
    const peekNs = timeSync(lookups, (i) => cache.peek(ids[i % hotSet] as bigint));
    rows.push(row('hot peek(id) (LRU, synchronous)', n, peekNs));
    const byName = await timeAsync(lookups, (i) => cache.getByUsername(names[i % hotSet] as string));
    rows.push(row('hot getByUsername (LRU)', n, byName, 'mixed-case query; target ≤ 2 µs'));
    await cache.close();
  }

  // Cold: one-entry LRUs, so every lookup is a SQLite read (the OS page cache is warm).
  let coldIdNs: number;
  {
    const cache = new PeerCache({ storage, closeStorage: false, cacheSize: 1, usernameCacheSize: 1 });
    const coldOps = quick ? 20_000 : 100_000;
    coldIdNs = await timeAsync(coldOps, (i) => cache.get(idAt(i * 7919, n)));
    rows.push(row('cold get(id) (SQLite)', n, coldIdNs, 'LRU of 1; target ≤ 30 µs'));
    const byName = await timeAsync(coldOps, (i) => cache.getByUsername(`user_${idAt(i * 7919, n)}`));
    rows.push(row('cold getByUsername (SQLite)', n, byName, 'LRU of 1; target ≤ 30 µs'));
    await cache.close();
  }
  await storage.close();

  // GramJS MemorySession: its entity cache is a Set of rows scanned linearly.
  {
    const session = new MemorySession();
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i += BATCH) {
      const users: Api.User[] = [];
      for (let j = i; j < Math.min(n, i + BATCH); j++) {
        const s = sighting(idAt(j, n));
        users.push(
          new Api.User({
            id: bigInt(String(s.id)),
            accessHash: bigInt(String(s.accessHash)),
            firstName: s.firstName ?? undefined,
            lastName: s.lastName ?? undefined,
            username: s.usernames?.[0],
            langCode: 'en',
          }),
        );
      }
      session.processEntities({ users });
    }
    const ingestNs = Number(process.hrtime.bigint() - start) / n;
    rows.push(
      row(
        'gramjs MemorySession.processEntities',
        n,
        ingestNs,
        `${fmt(1e9 / ingestNs)} records/s, in memory only`,
      ),
    );
    const gramNs = timeBudget(quick ? 300 : 1000, 5, (i) => session.getInputEntity(idAt(i * 7919, n)));
    rows.push(
      row(
        'gramjs MemorySession.getInputEntity(id)',
        n,
        gramNs,
        `${fmt(gramNs / hotIdNs)}× pm hot get(id), ${fmt(gramNs / coldIdNs)}× pm cold get(id)`,
      ),
    );
  }
  rmSync(path, { force: true });
  rmSync(`${path}-wal`, { force: true });
  rmSync(`${path}-shm`, { force: true });
  return rows;
}

/** Runs the storage benchmark for each size; `quick` shortens the loops. */
export async function runStorageBench(opts: { quick: boolean; sizes: number[] }): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'pm-storage-bench-'));
  try {
    // Warm the JIT on a small store first, so the first size measured is not the one paying for compilation.
    await benchSize(dir, 5_000, true);
    const rows: BenchRow[] = [];
    for (const n of opts.sizes) {
      process.stderr.write(`storage bench: ${n.toLocaleString('en')} peers…\n`);
      rows.push(...(await benchSize(dir, n, opts.quick)));
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.argv.includes('--quick');
  const rows = await runStorageBench({ quick, sizes: quick ? [10_000] : [10_000, 100_000, 1_000_000] });
  console.table(
    rows.map((r) => ({
      name: r.name,
      size: r.size.toLocaleString('en'),
      'µs/op': Number(r.usPerOp.toPrecision(3)),
      'ops/s': Math.round(r.opsPerSec).toLocaleString('en'),
      notes: r.notes ?? '',
    })),
  );
}
