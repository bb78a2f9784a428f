import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');

describe('README examples', () => {
  it('examples/peer-cache.ts is the README snippet, verbatim', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const snippet = /`npx tsx examples\/peer-cache\.ts` runs this[\s\S]*?```ts\n([\s\S]*?)```/.exec(
      readme,
    )?.[1];
    expect(snippet).toBeDefined();
    const example = await readFile(join(ROOT, 'examples', 'peer-cache.ts'), 'utf8');
    expect(example.endsWith(snippet!)).toBe(true);
  });

  it('runs as the README says (npx tsx examples/peer-cache.ts) and prints what its comments show', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pm-ex-'));
    try {
      // In a temporary folder, as a user's current folder: tsx is loaded by path, the example by its path.
      const tsx = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
      const { stdout } = await run(
        process.execPath,
        ['--import', tsx, join(ROOT, 'examples', 'peer-cache.ts')],
        {
          cwd: dir,
        },
      );
      const flat = stdout.replace(/\s+/g, ' ');
      expect(flat).toContain("[ { field: 'firstName', before: 'Ann', after: 'Anna' } ]");
      expect(flat).toContain("usernames: [ 'Ann_Example' ]");
      expect(flat).toContain("langCode: 'en'");
      expect(flat).toContain("{ kind: 'user', id: 42n, accessHash: -7123456789012345678n, min: false }");
      expect(flat).toContain("field: 'firstName', before: 'Ann', after: 'Anna', at:");
      await readFile(join(dir, 'peers.db')); // where the README says it writes
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
