import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { registerTestServerKey, TestServer } from '@pm/testserver';
import { describe, expect, it } from 'vitest';
import { loginArgs, pm } from '../cli/helpers.js';

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

describe('examples/greeter-bot.ts', () => {
  it('says what it needs when there is no session (exit 2)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pm-ex-'));
    try {
      const tsx = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
      const r = await run(process.execPath, ['--import', tsx, join(ROOT, 'examples', 'greeter-bot.ts')], {
        cwd: dir,
      }).catch((e: { code: number; stderr: string }) => e);
      expect((r as { code: number }).code).toBe(2);
      expect((r as { stderr: string }).stderr).toMatch(/bot\.session: not found[\s\S]*pnpm demo/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('runs the greeter on a pnpm bot-login session and greets a /start until stopped', async () => {
    registerTestServerKey();
    const tg = await TestServer.start({ flood: false });
    const dir = await mkdtemp(join(tmpdir(), 'pm-ex-'));
    try {
      const bot = tg.createBot({ username: 'greeter_ex_bot' });
      const session = join(dir, 'bot.session');
      const server = `${tg.host}:${tg.port}`;
      const login = await pm(loginArgs({ server, session, storage: 'memory', bot }));
      expect(login.code).toBe(0);
      const tsx = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
      const child = spawn(process.execPath, ['--import', tsx, join(ROOT, 'examples', 'greeter-bot.ts')], {
        cwd: dir,
        env: { ...process.env, PM_SERVER: server, PM_STORAGE: 'memory' },
      });
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
      });
      child.stderr.on('data', (c: Buffer) => {
        out += c.toString();
      });
      const until = async (re: RegExp) => {
        const start = Date.now();
        while (!re.test(out)) {
          if (Date.now() - start > 30_000 || child.exitCode !== null) throw new Error(`no ${re} in:\n${out}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      await until(/@greeter_ex_bot is greeting/);
      tg.createUser({ firstName: 'Ann', username: 'ann_ex', langCode: 'es' }).start('from-test');
      await until(/Ann .*started the dialog via \/start, payload "from-test"/);
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      await tg.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
