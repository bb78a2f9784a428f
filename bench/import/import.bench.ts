/**
 * Importing peers into an empty store: `pm peers import` of a pm JSONL export (what `pm peers export` wrote), through
 * the same code the command runs (`importPeers` reads and checks every record in a worker thread, `restorePeers`
 * bulk-loads them on the main thread), into a new SQLite store; then the store is checked to hold every peer. Also
 * the same with the reader on the main thread, and the read alone (main thread), to show what the writing costs.
 * With PM_BENCH_CLOCK=cpu the clock is the main thread's CPU time, which leaves the reader thread out: each import
 * row's notes carry its real time and the whole process's CPU time (every thread) as well.
 *   npx tsx bench/import/import.bench.ts [--quick] [--sizes=1000000]
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { exportPeers, importPeers, openSqliteStorage, type PeerRecord } from '@pm/core';
import { restorePeers } from '../../packages/cli/src/peers/restore.js';
import { timeOnce } from '../lib/measure.js';
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

/** One import of `file` into a new store at `path`: the bench clock's ns, and real time and process CPU as notes. */
async function importInto(
  path: string,
  file: string,
  n: number,
  readInWorker: boolean,
): Promise<{ ns: number; notes: string }> {
  const storage = await openSqliteStorage({ path });
  let restored = 0;
  const realStart = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  const ns = await timeOnce(async () => {
    restored = (await restorePeers(storage, await importPeers(file, { readInWorker }))).restored;
  });
  const realS = Number(process.hrtime.bigint() - realStart) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const stored = await storage.peers.count();
  await storage.close();
  if (restored !== n || stored !== n) throw new Error(`imported ${restored}, stored ${stored} of ${n}`);
  const rate = (s: number) => Math.round(n / s).toLocaleString('en-US');
  return {
    ns,
    notes: `real time ${realS.toFixed(1)} s (${rate(realS)}/s), process CPU of every thread ${cpuS.toFixed(1)} s (${rate(cpuS)}/s)`,
  };
}

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
      const threaded = await importInto(join(dir, 'pm.db'), file, n, true);
      const oneThread = await importInto(join(dir, 'pm-main.db'), file, n, false);
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
          value: n / (threaded.ns / 1e9),
          notes: `importPeers (reader thread) + restorePeers (bulk load), as the command runs them; file sorted by id; ${threaded.notes}`,
        },
        {
          ...base,
          name: 'pm peers import, reader on the main thread',
          value: n / (oneThread.ns / 1e9),
          notes: `importPeers + restorePeers on one thread; ${oneThread.notes}`,
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
}
