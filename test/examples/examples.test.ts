import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('README examples', () => {
  it('examples/peer-cache.ts runs and shows the min rule, the kept language and the history', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pm-ex-'));
    try {
      const { stdout } = await run(process.execPath, [
        '--import',
        'tsx',
        'examples/peer-cache.ts',
        join(dir, 'p.db'),
      ]);
      expect(stdout).toContain('changed firstName Ann → Anna');
      expect(stdout).toContain('by username 42n Anna en');
      expect(stdout).toContain('accessHash: -7123456789012345678n');
      expect(stdout).toContain("field: 'firstName'");
      expect(stdout).toContain('count 1');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
