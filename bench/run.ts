/**
 * `pnpm bench`: every benchmark in one run, tables on screen and `bench/results.json`.
 *   pnpm bench                  full run (peer caches at 10k, 100k and 1M users)
 *   pnpm bench --quick          checks the harness runs (10k only, few iterations); writes results.quick.json
 *   pnpm bench --only=peers     one suite (peers, import, e2e, send, connection, testserver, postgres)
 *   pnpm bench --only=peers --sizes=1000000 --subjects="pm sqlite,pm memory" --merge
 *                               some stores at some sizes; --merge replaces those rows in the existing
 *                               bench/results.json and keeps the others (then `pnpm bench:readme`)
 *   PM_BENCH_CLOCK=cpu          time in CPU time of the main thread instead of real time (a shared machine)
 * Suites: peers (pm's peer cache beside GramJS, mtcute and Telethon's stores), e2e (updates and username
 * resolution through the test server, bare GramJS versus GramJS + pm), send (broadcast throughput under
 * Telegram's limits, the limiter's cost), connection (time from the server's return to the first delivered
 * update), testserver (the server's own throughput), postgres (several processes sharing one PostgreSQL store;
 * needs PM_TEST_POSTGRES_URL, as does the `pm postgres` subject of the peers suite).
 * Seeds are fixed, every figure has a warm-up, and most are the median of several runs (`runs`; `best` is the
 * best run). Figures are for comparing side by side within one run: ratios, not absolute numbers, are what to read.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLOCK, nowNs } from './lib/measure.js';
import { type BenchRow, withRatios } from './lib/row.js';
import { scalingRows } from './peers/peers.bench.js';
import { CHART, chartOf, RESULTS } from './report/readme.js';

export type { BenchRow } from './lib/row.js';

interface Suite {
  readonly name: string;
  run(opts: { quick: boolean }): Promise<BenchRow[]>;
}

const option = (name: string): string | undefined =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

const here = dirname(fileURLToPath(import.meta.url));

async function suites(): Promise<Suite[]> {
  const list: Suite[] = [];
  const peers = await import('./peers/peers.bench.js');
  list.push({
    name: 'peers',
    run: ({ quick }) => {
      const sizes = option('sizes')?.split(',').map(Number);
      // Names are separated by a comma alone: some hold a comma and a space ("pm sqlite, no mmap").
      const subjects = option('subjects')?.split(/,(?! )/);
      return peers.runPeersBench({
        quick,
        sizes: sizes ?? (quick ? [10_000] : [10_000, 100_000, 1_000_000]),
        ...(subjects ? { subjects } : {}),
      });
    },
  });
  const imports = await import('./import/import.bench.js');
  list.push({
    name: 'import',
    run: ({ quick }) => {
      const sizes = option('sizes')?.split(',').map(Number);
      return imports.runImportBench({ quick, ...(sizes ? { sizes } : {}) });
    },
  });
  const e2e = await import('./e2e/e2e.bench.js');
  list.push({ name: 'e2e', run: (o) => e2e.runE2eBench(o) });
  const send = await import('./send/broadcast.bench.js');
  list.push({ name: 'send', run: (o) => send.runSendBench(o) });
  const recovery = await import('./connection/recovery.bench.js');
  list.push({ name: 'connection', run: (o) => recovery.runRecoveryBench(o) });
  const ts = await import('../packages/testserver/bench/server.bench.js');
  list.push({
    name: 'testserver',
    run: async ({ quick }) => {
      const figures = await ts.runTestserverBench({ quick, clockNs: nowNs });
      return figures.map((f) => ({ suite: 'testserver', ...f }));
    },
  });
  const pg = await import('./postgres.bench.js');
  list.push({ name: 'postgres', run: (o) => pg.runPostgresBench(o) });
  return list;
}

const num = (x: number | undefined): number | string =>
  x === undefined ? '' : Number.isFinite(x) ? Number(x.toPrecision(4)) : 'n/a';

/** Rows comparing subjects become one line per figure and size, a column per subject: "value (ratio× best)". */
function printPivot(suite: string, rows: readonly BenchRow[]): void {
  const subjects = [...new Set(rows.map((r) => r.subject as string))];
  const lines = new Map<string, Record<string, string | number>>();
  for (const r of rows) {
    const k = `${r.name}\u0000${r.size ?? ''}`;
    let line = lines.get(k);
    if (!line) {
      line = { figure: r.name, ...(r.size ? { size: r.size.toLocaleString('en') } : {}), unit: r.unit };
      lines.set(k, line);
    }
    const v = num(r.value);
    line[r.subject as string] =
      typeof v === 'number' && r.ratioToBest !== undefined ? `${v} (${r.ratioToBest.toFixed(2)}×)` : v;
  }
  console.log(`\n${suite}: columns are subjects; (n×) = times worse than the best subject of the line`);
  console.table([...lines.values()], ['figure', 'size', 'unit', ...subjects]);
  const why = new Map<string, string[]>();
  for (const r of rows) {
    if (Number.isFinite(r.value) || !r.notes) continue;
    const where = `${r.subject}: ${r.notes}`;
    why.set(where, [
      ...(why.get(where) ?? []),
      `${r.name}${r.size ? ` @${r.size.toLocaleString('en')}` : ''}`,
    ]);
  }
  for (const [where, what] of why) console.log(`  n/a (${what.join(', ')}) — ${where}`);
}

function printFlat(suite: string, rows: readonly BenchRow[]): void {
  console.log(`\n${suite}`);
  console.table(
    rows.map((r) => ({
      ...(r.subject ? { subject: r.subject } : {}),
      name: r.name,
      size: r.size?.toLocaleString('en') ?? '',
      value: num(r.value),
      best: num(r.best),
      '× best': r.ratioToBest === undefined ? '' : Number(r.ratioToBest.toFixed(2)),
      runs: r.runs ?? '',
      unit: r.unit,
      notes: r.notes ?? '',
    })),
  );
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const only = option('only');
  const merge = process.argv.includes('--merge') && !quick;
  const rows: BenchRow[] = [];
  const started = performance.now();
  for (const s of await suites()) {
    if (only && s.name !== only) continue;
    const t = performance.now();
    process.stderr.write(`bench: ${s.name}${quick ? ' (quick)' : ''}…\n`);
    rows.push(...(await s.run({ quick })));
    process.stderr.write(`bench: ${s.name} took ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  }
  let measured = rows;
  if (merge && existsSync(RESULTS)) {
    // Rows measured now replace the same figures of the file; the others stay; ratios and scaling are redone.
    const key = (r: BenchRow): string =>
      `${r.suite}\u0000${r.name}\u0000${r.subject ?? ''}\u0000${r.size ?? ''}`;
    const now = new Set(rows.map(key));
    const file = JSON.parse(readFileSync(RESULTS, 'utf8')) as { clock?: string; rows: BenchRow[] };
    if ((file.clock ?? 'real') !== CLOCK) {
      throw new Error(
        `bench/results.json was timed in ${file.clock ?? 'real'} time; run with the same clock to merge`,
      );
    }
    const old = file.rows
      .filter((r) => !now.has(key(r)))
      .map(({ ratioToBest: _, ...r }) => ({ ...r, value: r.value ?? Number.NaN }));
    const merged = [...old, ...rows].filter((r) => r.suite !== 'peers scaling');
    measured = [...merged, ...scalingRows(merged.filter((r) => r.suite === 'peers'))];
  }
  const all = withRatios(measured);
  for (const suite of new Set(all.map((r) => r.suite))) {
    const of = all.filter((r) => r.suite === suite);
    if (suite.startsWith('peers')) printPivot(suite, of);
    else printFlat(suite, of);
  }
  const out = quick ? join(here, 'results.quick.json') : RESULTS;
  const results = {
    date: new Date().toISOString(),
    node: process.version,
    clock: CLOCK,
    quick,
    seconds: Math.round((performance.now() - started) / 1000),
    rows: all,
  };
  await writeFile(
    out,
    `${JSON.stringify(results, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`,
  );
  const chart = quick ? join(here, 'chart.quick.svg') : CHART;
  writeFileSync(chart, chartOf(results));
  console.log(`wrote ${out} and ${chart}${quick ? '' : '; pnpm bench:readme puts them in README.md'}`);
}

main().then(
  // Not exit(0): a suite that found a wrong result sets process.exitCode after its rows are written.
  () => process.exit(),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
