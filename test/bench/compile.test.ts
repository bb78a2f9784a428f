import { execFile } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileChild } from '../../bench/lib/compile.js';
import { exportPeers } from '../../packages/core/src/import/index.js';
import { exportedRecord } from '../../packages/core/test/import/fixtures.js';

const ROOT = join(import.meta.dirname, '..', '..');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pm-bench-compile-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('bench children compiled to JavaScript', () => {
  it('runs the import child on node alone, its reader thread from the bundle’s JavaScript rather than through tsx', async () => {
    const out = join(dir, 'build');
    mkdirSync(out);
    const script = await compileChild(join(ROOT, 'bench', 'import', 'child.ts'), out);
    // The reader thread starts the bundled worker beside the child, never read-worker.ts through tsx.
    expect(existsSync(join(out, 'read-worker.js'))).toBe(true);
    const bundle = readdirSync(out)
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(join(out, f), 'utf8'))
      .join('\n');
    expect(bundle).toContain(JSON.stringify(pathToFileURL(join(out, 'worker-starter.js')).href));
    expect(bundle).not.toContain(
      JSON.stringify(pathToFileURL(join(ROOT, 'packages/core/src/import/reader-thread.ts')).href),
    );

    const file = join(dir, 'peers.jsonl');
    const n = 50;
    await exportPeers(
      Array.from({ length: n }, (_, i) => exportedRecord(BigInt(i + 1))),
      'jsonl',
      createWriteStream(file),
    );
    const { stdout } = await promisify(execFile)(process.execPath, [
      script,
      'import',
      file,
      join(dir, 'store.db'),
      String(n),
      'thread',
    ]);
    const result = JSON.parse(stdout.slice(stdout.indexOf('RESULT ') + 'RESULT '.length)) as {
      realS: number;
    };
    expect(result.realS).toBeGreaterThan(0);
  });
});
