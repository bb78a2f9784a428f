import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { describeStorageConformance } from '../../src/conformance/index.js';
import { openSqliteStorage, type SqliteStorageProvider } from '../../src/storage/sqlite/index.js';

const dir = mkdtempSync(join(tmpdir(), 'pm-sqlite-conformance-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeStorageConformance('sqlite', () => openSqliteStorage({ path: join(dir, `${n++}.db`) }), {
  reopen: (closed) => openSqliteStorage({ path: (closed as SqliteStorageProvider).driver.path }),
});
describeStorageConformance('sqlite :memory:', () => openSqliteStorage({ path: ':memory:' }), {
  propertyRuns: 10,
});
