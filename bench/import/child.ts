/**
 * One timed run of the import bench, in a process of its own (import.bench.ts runs it compiled to JavaScript, on
 * node alone, its reader thread too: see ../lib/compile.ts), printing `RESULT <json>`:
 *   node child.js import <export file> <new store path> <n> <thread|main>   an ImportRun
 *   node child.js read <export file> <n>                                     { ns }: read and check only
 */
import { importPeers, openSqliteStorage } from '@pm/core';
import { restorePeers } from '../../packages/cli/src/peers/restore.js';
import { threadCpuNs, timeOnce } from '../lib/measure.js';

export interface ImportRun {
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

async function readOnly(file: string, n: number): Promise<{ ns: number }> {
  const ns = await timeOnce(async () => {
    let count = 0;
    for await (const _ of (await importPeers(file)).records) count++;
    if (count !== n) throw new Error(`read ${count} of ${n} records`);
  });
  return { ns };
}

const [mode, file, ...rest] = process.argv.slice(2);
const result =
  mode === 'import'
    ? await importInto(rest[0] as string, file as string, Number(rest[1]), rest[2] === 'thread')
    : mode === 'read'
      ? await readOnly(file as string, Number(rest[0]))
      : undefined;
if (result === undefined) throw new Error(`import bench child: unknown mode ${mode}`);
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
