/**
 * `pnpm bench`: every benchmark in one run, a table on screen and `bench/results.json`.
 *   pnpm bench            full run (10k, 100k and 1M peers)
 *   pnpm bench --quick    checks the harness runs (10k only, short); used by CI
 * Figures are for comparing side by side within one run: ratios, not absolute numbers, are what to read.
 */
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BenchRow {
  readonly suite: string;
  readonly name: string;
  readonly size?: number;
  readonly value: number;
  readonly unit: string;
  readonly notes?: string;
}

interface Suite {
  readonly name: string;
  run(opts: { quick: boolean }): Promise<BenchRow[]>;
}

const here = dirname(fileURLToPath(import.meta.url));

async function suites(): Promise<Suite[]> {
  const list: Suite[] = [];
  const storage = await import('./storage.bench.js');
  list.push({
    name: 'storage',
    run: async ({ quick }) => {
      const rows = await storage.runStorageBench({
        quick,
        sizes: quick ? [10_000] : [10_000, 100_000, 1_000_000],
      });
      return rows.map(
        (r: { name: string; size: number; usPerOp: number; opsPerSec: number; notes?: string }) => ({
          suite: 'storage',
          name: r.name,
          size: r.size,
          value: r.usPerOp,
          unit: 'µs/op',
          notes: r.notes ?? `${Math.round(r.opsPerSec).toLocaleString('en')} ops/s`,
        }),
      );
    },
  });
  const ts = await import('../packages/testserver/bench/server.bench.js');
  list.push({
    name: 'testserver',
    run: async ({ quick }) => {
      const figures: Record<string, number> = await ts.runTestserverBench({ quick });
      return Object.entries(figures).map(([name, value]) => ({
        suite: 'testserver',
        name,
        value,
        unit: '/s',
      }));
    },
  });
  return list;
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  const rows: BenchRow[] = [];
  for (const s of await suites()) {
    if (only && s.name !== only) continue;
    process.stderr.write(`bench: ${s.name}${quick ? ' (quick)' : ''}…\n`);
    rows.push(...(await s.run({ quick })));
  }
  console.table(
    rows.map((r) => ({
      suite: r.suite,
      name: r.name,
      size: r.size?.toLocaleString('en') ?? '',
      value: Number(r.value.toPrecision(4)),
      unit: r.unit,
      notes: r.notes ?? '',
    })),
  );
  const out = join(here, quick ? 'results.quick.json' : 'results.json');
  await writeFile(
    out,
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, quick, rows }, null, 2)}\n`,
  );
  console.log(`wrote ${out}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
