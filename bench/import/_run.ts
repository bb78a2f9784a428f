import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { importPeers, openSqliteStorage } from '@pm/core';
import { restorePeers } from '../../packages/cli/src/peers/restore.js';

const file = process.argv[2] ?? '/tmp/imp/peers.jsonl';
const mode = process.argv[3] ?? 'thread';
const th = () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e9;
const dir = mkdtempSync('/tmp/imp/db-');
try {
  const storage = await openSqliteStorage({ path: join(dir, 'pm.db') });
  const r0 = performance.now();
  const c0 = process.cpuUsage();
  const t0 = th();
  let n = 0;
  if (mode === 'read1') {
    for await (const b of (await importPeers(file, { readInWorker: false })).groups!)
      n += Array.isArray(b) ? b.length : (b as { count: number }).count;
  } else if (mode === 'read') {
    for await (const b of (await importPeers(file, { readInWorker: true })).groups!)
      n += Array.isArray(b) ? b.length : (b as { count: number }).count;
  } else {
    n = (await restorePeers(storage, await importPeers(file, { readInWorker: mode === 'thread' }))).restored;
  }
  const real = (performance.now() - r0) / 1000;
  const cpu = process.cpuUsage(c0);
  const main = th() - t0;
  console.log(
    `${mode}: n=${n} real ${real.toFixed(2)}s (${Math.round(n / real)}/s) main ${main.toFixed(2)}s (${Math.round(n / main)}/s) proc ${((cpu.user + cpu.system) / 1e6).toFixed(2)}s`,
  );
  await storage.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
