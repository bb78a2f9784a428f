import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { importPeers, openSqliteStorage } from '@pm/core';
import { restorePeers } from '../../packages/cli/src/peers/restore.js';

const file = process.argv[2] ?? '/tmp/imp/peers.jsonl';
const dir = mkdtempSync('/tmp/imp/db-');
const storage = await openSqliteStorage({ path: join(dir, 'pm.db') });
const t0 = performance.now();
const r = await importPeers(file, { readInWorker: true });
const groups = r.groups!;
let first = 0,
  last = 0,
  n = 0;
async function* timed() {
  for await (const g of groups) {
    if (!first) first = performance.now() - t0;
    n++;
    yield g;
    last = performance.now() - t0;
  }
}
const res = await restorePeers(storage, { records: r.records, groups: timed() });
const end = performance.now() - t0;
console.log({ first: first.toFixed(0), lastGroup: last.toFixed(0), end: end.toFixed(0), groups: n, res });
await storage.close();
rmSync(dir, { recursive: true, force: true });
