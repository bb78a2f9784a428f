/**
 * Peer cache, side by side: pm (memory and SQLite providers), GramJS (MemorySession, StoreSession), mtcute
 * (SqliteStorage) and Telethon's `.session` schema, each at 10k / 100k / 1M users. Every configuration runs in a
 * fresh child process (child.ts) so one store's memory does not pollute another's; start-up is timed in further
 * fresh processes that open the store left on disk.
 *
 * Figures: ingest rate (batches of 1000, each committed), lookups by id and by username, hot (a working set of
 * 10k recently seen users) and cold (any of the n users; pm's LRU shrunk to one entry), start-up to the first
 * lookup, RSS and memory per cached peer; then how each grows from the smallest size to the largest.
 *
 *   npx tsx bench/peers/peers.bench.ts [--quick]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compileChild } from '../lib/compile.js';
import { CLOCK, figure } from '../lib/measure.js';
import type { BenchRow } from '../lib/row.js';
import type { ChildResult } from './subject.js';
import { ALL_SUBJECT_NAMES, cleanupAfter, PERSISTENT, SUBJECT_NAMES, unavailable } from './subjects/all.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const CHILD = join(here, 'child.ts');
const SUITE = 'peers';

/** Which way is better, per figure. */
const BETTER: Record<string, 'lower' | 'higher'> = {
  ingest: 'higher',
  'by id, hot': 'lower',
  'by username, hot': 'lower',
  'by id, cold': 'lower',
  'by username, cold': 'lower',
  're-sighting, unchanged, hot': 'higher',
  're-sighting, unchanged, cold': 'higher',
  'start-up to first lookup': 'lower',
  'RSS after ingest': 'lower',
  'RSS after lookups': 'lower',
  'RSS peak during ingest': 'lower',
  'JS heap after ingest': 'lower',
  'event-loop delay during ingest, max': 'lower',
  'memory per cached peer (RSS growth)': 'lower',
  'memory per cached peer (JS heap)': 'lower',
};

export const PEER_METRICS: readonly string[] = Object.keys(BETTER);

/**
 * Runs the child compiled to JavaScript (`script`, see compile.ts) on node alone: under `--import tsx` every child
 * carried the TypeScript loader's own thread, some 30 MiB of RSS that no store causes.
 */
function runChild(script: string, args: readonly string[], timeoutMs: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', script, ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const guard = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code === 0 && line) resolve(JSON.parse(line.slice('RESULT '.length)) as ChildResult);
      else {
        const why = signal ? `killed by ${signal} after ${timeoutMs} ms` : `exit ${code}`;
        reject(new Error(`peers bench child ${args.slice(0, 3).join(' ')}: ${why}\n${err.slice(-2000)}`));
      }
    });
  });
}

/** Rows for one store at one size: the measuring child, then start-up children for stores on disk. */
async function benchOne(script: string, subjectName: string, n: number, quick: boolean): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'pm-peers-bench-'));
  const timeoutMs = (quick ? 4 : 15) * 60_000;
  const rows: BenchRow[] = [];
  let base: Pick<BenchRow, 'suite' | 'subject' | 'size' | 'clock'> = {
    suite: SUITE,
    subject: subjectName,
    size: n,
  };
  try {
    let result: ChildResult;
    try {
      result = await runChild(script, ['measure', subjectName, String(n), dir, quick ? '1' : '0'], timeoutMs);
    } catch (e) {
      const why = (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
      return [{ ...base, name: 'ingest', value: Number.NaN, unit: 'peers/s', notes: `failed: ${why}` }];
    }
    if (result.clock !== CLOCK) base = { ...base, clock: result.clock };
    for (const [name, f] of Object.entries(result.figures)) {
      rows.push({
        ...base,
        name,
        value: f.median,
        best: f.min,
        runs: f.runs,
        unit: f.unit,
        ...(BETTER[name] ? { better: BETTER[name] } : {}),
        ...(f.notes ? { notes: f.notes } : {}),
      });
    }
    for (const [name, why] of Object.entries(result.failures)) {
      rows.push({
        ...base,
        name,
        value: Number.NaN,
        unit: name === 'ingest' ? 'peers/s' : 'µs/op',
        notes: why,
      });
    }
    if (PERSISTENT.has(subjectName) && !result.failures['ingest']) {
      const times: number[] = [];
      for (let k = 0; k < (quick ? 1 : 5); k++) {
        const r = await runChild(script, ['startup', subjectName, String(n), dir], timeoutMs);
        times.push(r.figures['start-up to first lookup']!.median);
      }
      const f = figure(times);
      rows.push({
        ...base,
        name: 'start-up to first lookup',
        value: f.median,
        best: f.min,
        runs: f.runs,
        unit: 'ms',
        better: 'lower',
        notes: 'fresh process per run; module loading not counted',
      });
    }
    return rows;
  } finally {
    await cleanupAfter(subjectName, dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** How each figure of each store grows from the smallest size measured to the largest (1 = flat). */
export function scalingRows(rows: readonly BenchRow[]): BenchRow[] {
  const sizes = [...new Set(rows.map((r) => r.size ?? 0))].sort((a, b) => a - b);
  const small = sizes[0];
  const large = sizes.at(-1);
  if (small === undefined || large === undefined || small === large) return [];
  const out: BenchRow[] = [];
  const label = (n: number): string => (n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`);
  for (const s of new Set(rows.map((r) => r.subject))) {
    for (const metric of PEER_METRICS) {
      if (
        metric === 'RSS after ingest' ||
        metric === 'RSS after lookups' ||
        metric === 'RSS peak during ingest' ||
        metric === 'JS heap after ingest' ||
        metric.startsWith('event-loop')
      )
        continue;
      const at = (n: number) => rows.find((r) => r.subject === s && r.name === metric && r.size === n);
      const a = at(small);
      const b = at(large);
      if (!a || !b || !Number.isFinite(a.value) || !Number.isFinite(b.value) || a.value <= 0) continue;
      // Growth in cost: for a rate, how much slower it got.
      const growth = BETTER[metric] === 'higher' ? a.value / b.value : b.value / a.value;
      out.push({
        suite: `${SUITE} scaling`,
        name: `${metric}: ${label(small)} → ${label(large)}`,
        ...(s ? { subject: s } : {}),
        value: growth,
        unit: '× cost',
        better: 'lower',
        notes: `${a.value.toPrecision(3)} → ${b.value.toPrecision(3)} ${a.unit}`,
      });
    }
  }
  return out;
}

/** Runs every store at every size; rows of the `peers` suite and the `peers scaling` suite. */
export async function runPeersBench(opts: {
  quick: boolean;
  sizes: readonly number[];
  subjects?: readonly string[];
}): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const build = mkdtempSync(join(tmpdir(), 'pm-peers-child-'));
  try {
    const script = await compileChild(CHILD, build);
    for (const n of opts.sizes) {
      for (const s of opts.subjects ? ALL_SUBJECT_NAMES : SUBJECT_NAMES) {
        if (opts.subjects && !opts.subjects.includes(s)) continue;
        const why = await unavailable(s);
        if (why) {
          if (n === opts.sizes[0]) process.stderr.write(`peers bench: ${s} skipped: ${why}\n`);
          continue;
        }
        const t = performance.now();
        process.stderr.write(`peers bench: ${s}, ${n.toLocaleString('en')} users… `);
        rows.push(...(await benchOne(script, s, n, opts.quick)));
        process.stderr.write(`${((performance.now() - t) / 1000).toFixed(1)} s\n`);
      }
    }
  } finally {
    rmSync(build, { recursive: true, force: true });
  }
  return [...rows, ...scalingRows(rows)];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.argv.includes('--quick');
  const rows = await runPeersBench({ quick, sizes: quick ? [10_000] : [10_000, 100_000, 1_000_000] });
  console.table(
    rows.map((r) => ({ subject: r.subject, name: r.name, size: r.size, value: r.value, unit: r.unit })),
  );
}
