/**
 * Importing peers into an empty store: `pm peers import` of a pm JSONL export (what `pm peers export` wrote), through
 * the same code the command runs (`importPeers` reads and checks every record in a worker thread, `restorePeers`
 * bulk-loads them on the main thread), into a new SQLite store; then the store is checked to hold every peer. Also
 * the same with the reader on the main thread, and the read alone (main thread), to show what the writing costs.
 * The import with the reader thread is timed in real time whatever PM_BENCH_CLOCK says (what the user waits for:
 * the main thread's CPU time would leave the reader thread's work out), median of three; its CPU time on the main
 * thread is a row of its own, and the notes carry the CPU time of every thread.
 *   npx tsx bench/import/import.bench.ts [--quick] [--sizes=1000000]
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { exportPeers, importPeers, openSqliteStorage, type PeerRecord } from '@pm/core';
import { restorePeers } from '../../packages/cli/src/peers/restore.js';
import { CLOCK, median, threadCpuNs, timeOnce } from '../lib/measure.js';
import type { BenchRow } from '../lib/row.js';
import { idAt, sightingOf } from '../peers/data.js';

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

interface ImportRun {
  /** The bench clock's ns. */
  readonly ns: number;
  readonly realS: number;
  /** CPU time of the main thread, s. */
  readonly mainS: number;
  /** CPU time of every thread of the process, s. */
  readonly processS: number;
}

/** One import of `file` into a new store at `path`. */
async function importInto(path: string, file: string, n: number, readInWorker: boolean): Promise<ImportRun> {
  const storage = await openSqliteStorage({ path });
  let restored = 0;
  const realStart = process.hrtime.bigint();
  const mainStart = threadCpuNs();
  const cpuStart = process.cpuUsage();
  const ns = await timeOnce(async () => {
    restored = (await restorePeers(storage, await importPeers(file, { readInWorker }))).restored;
  });
  const realS = Number(process.hrtime.bigint() - realStart) / 1e9;
  const mainS = Number(threadCpuNs() - mainStart) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  const stored = await storage.peers.count();
  await storage.close();
  if (restored !== n || stored !== n) throw new Error(`imported ${restored}, stored ${stored} of ${n}`);
  return { ns, realS, mainS, processS: (cpu.user + cpu.system) / 1e6 };
}

const rateOf = (n: number, s: number): string => Math.round(n / s).toLocaleString('en-US');

export async function runImportBench(opts: {
  quick: boolean;
  sizes?: readonly number[];
}): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const n of opts.sizes ?? (opts.quick ? [10_000] : [1_000_000])) {
    const dir = mkdtempSync(join(tmpdir(), 'pm-import-bench-'));
    try {
      const file = join(dir, 'peers.jsonl');
      // Sorted by id, as `pm peers export` writes them.
      const sorted = [...records(n)].sort((a, b) => (a.id < b.id ? -1 : 1));
      await exportPeers(sorted, 'jsonl', createWriteStream(file));
      const readNs = await timeOnce(async () => {
        let count = 0;
        for await (const _ of (await importPeers(file)).records) count++;
        if (count !== n) throw new Error(`read ${count} of ${n} records`);
      });
      // The threaded import three times (its real time moves with whatever else the machine runs), median.
      const threaded: ImportRun[] = [];
      for (let i = 0; i < 3; i++) threaded.push(await importInto(join(dir, `pm-${i}.db`), file, n, true));
      const oneThread = await importInto(join(dir, 'pm-main.db'), file, n, false);
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
