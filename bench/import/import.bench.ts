/**
 * Importing peers into an empty store: `pm peers import` of a pm JSONL export (what `pm peers export` wrote), through
 * the same code the command runs (`importPeers` reads and checks every record in a worker thread, `restorePeers`
 * bulk-loads them on the main thread), into a new SQLite store; then the store is checked to hold every peer. Also
 * the same with the reader on the main thread, and the read alone (main thread), to show what the writing costs.
 * The import with the reader thread is timed in real time whatever PM_BENCH_CLOCK says (what the user waits for:
 * the main thread's CPU time would leave the reader thread's work out), median of three; its CPU time on the main
 * thread is a row of its own, and the notes carry the CPU time of every thread. Each timed run is a process of its
 * own (child.ts), compiled to JavaScript and run on node alone, its reader thread too (../lib/compile.ts): under tsx
 * the process and the reader thread each carried the TypeScript loader's thread and compiled pm's sources anew.
 *   npx tsx bench/import/import.bench.ts [--quick] [--sizes=1000000]
 */
import { execFile } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { exportPeers, type PeerRecord } from '@pm/core';
import { compileChild } from '../lib/compile.js';
import { CLOCK, median } from '../lib/measure.js';
import type { BenchRow } from '../lib/row.js';
import { idAt, sightingOf } from '../peers/data.js';
import type { ImportRun } from './child.js';

const SUITE = 'import';

function* records(n: number): Generator<PeerRecord> {
  const at = 1_764_000_000_000;
  for (let i = 0; i < n; i++) {
    const s = sightingOf(idAt(i, n));
    yield {
      id: s.id,
      type: 'user',
      accessHash: s.accessHash,
      min: false,
      usernames: [s.username],
      firstName: s.firstName,
      lastName: s.lastName,
      title: null,
      phone: null,
      langCode: s.langCode,
      langCodeSeenAt: at,
      premium: false,
      verified: false,
      deleted: false,
      photoId: null,
      firstSeen: at,
      lastSeen: at + 1,
      lastUpdated: at,
    };
  }
}

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'child.ts');
const run = promisify(execFile);

/** Runs the compiled child (`script`) on node alone; its `RESULT` line. */
async function inChild<T>(script: string, args: readonly string[]): Promise<T> {
  const { stdout } = await run(process.execPath, [script, ...args], { maxBuffer: 16 * 2 ** 20 });
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (line === undefined)
    throw new Error(`import bench child ${args.join(' ')} printed no result:\n${stdout}`);
  return JSON.parse(line.slice('RESULT '.length)) as T;
}

/** One import of `file` into a new store at `path`, in a child process. */
const importInto = (script: string, path: string, file: string, n: number, readInWorker: boolean) =>
  inChild<ImportRun>(script, ['import', file, path, String(n), readInWorker ? 'thread' : 'main']);

const rateOf = (n: number, s: number): string => Math.round(n / s).toLocaleString('en-US');

export async function runImportBench(opts: {
  quick: boolean;
  sizes?: readonly number[];
}): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const build = mkdtempSync(join(tmpdir(), 'pm-import-child-'));
  try {
    const script = await compileChild(CHILD, build);
    for (const n of opts.sizes ?? (opts.quick ? [10_000] : [1_000_000])) {
      rows.push(...(await importRows(script, n)));
    }
  } finally {
    rmSync(build, { recursive: true, force: true });
  }
  return rows;
}

/** The rows of one size: the export written here, each timed run in a child. */
async function importRows(script: string, n: number): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'pm-import-bench-'));
  try {
    const file = join(dir, 'peers.jsonl');
    // Sorted by id, as `pm peers export` writes them.
    const sorted = [...records(n)].sort((a, b) => (a.id < b.id ? -1 : 1));
    await exportPeers(sorted, 'jsonl', createWriteStream(file));
    const readNs = (await inChild<{ ns: number }>(script, ['read', file, String(n)])).ns;
    // The threaded import three times (its real time moves with whatever else the machine runs), median.
    const threaded: ImportRun[] = [];
    for (let i = 0; i < 3; i++)
      threaded.push(await importInto(script, join(dir, `pm-${i}.db`), file, n, true));
    const oneThread = await importInto(script, join(dir, 'pm-main.db'), file, n, false);
    const real = median(threaded.map((r) => r.realS));
    const main = median(threaded.map((r) => r.mainS));
    const all = median(threaded.map((r) => r.processS));
    const base = {
      suite: SUITE,
      subject: 'pm sqlite',
      size: n,
      unit: 'peers/s',
      better: 'higher' as const,
    };
    rows.push(
      {
        ...base,
        name: 'pm peers import (JSONL export → empty store)',
        value: n / real,
        best: n / Math.min(...threaded.map((r) => r.realS)),
        runs: threaded.length,
        ...(CLOCK === 'cpu' ? { clock: 'real' as const } : {}),
        notes:
          `real time, median of ${threaded.length}: importPeers (reader thread) + restorePeers (bulk load), as the ` +
          `command runs them; file sorted by id; ${real.toFixed(1)} s; CPU time of the main thread ${main.toFixed(1)} s ` +
          `(${rateOf(n, main)}/s), of every thread ${all.toFixed(1)} s (${rateOf(n, all)}/s); on a machine busy ` +
          'with other work the two threads wait for cores and this figure drops first',
      },
      {
        ...base,
        name: 'pm peers import, CPU time of the main thread (the writer)',
        value: n / main,
        runs: threaded.length,
        ...(CLOCK === 'real' ? { clock: 'cpu' as const } : {}),
        notes: `the same imports: what the writing costs; the reader thread's work is not in it (${(all - main).toFixed(1)} s more over the other threads)`,
      },
      {
        ...base,
        name: 'pm peers import, reader on the main thread',
        value: n / (oneThread.ns / 1e9),
        notes: `importPeers + restorePeers on one thread; real time ${oneThread.realS.toFixed(1)} s (${rateOf(n, oneThread.realS)}/s), CPU time of every thread ${oneThread.processS.toFixed(1)} s`,
      },
      { ...base, name: 'read and check the export only', value: n / (readNs / 1e9) },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const sizes = process.argv
    .find((a) => a.startsWith('--sizes='))
    ?.slice(8)
    .split(',')
    .map(Number);
  const rows = await runImportBench({ quick: process.argv.includes('--quick'), ...(sizes ? { sizes } : {}) });
  console.table(rows.map((r) => ({ name: r.name, size: r.size, value: Math.round(r.value), unit: r.unit })));
  for (const r of rows) if (r.notes) console.log(`${r.name}: ${r.notes}`);
}
