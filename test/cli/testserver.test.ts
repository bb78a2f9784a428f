import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { globalArgs, json, loginArgs, PM_BIN, pm, pmChild } from './helpers.js';

let child: ChildProcessWithoutNullStreams | undefined;
let dir: string | undefined;

afterEach(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  child = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

function firstLine(c: ChildProcessWithoutNullStreams): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    c.stdout.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      const i = buf.indexOf('\n');
      if (i >= 0) resolve(buf.slice(0, i));
    });
    c.on('exit', (code) => reject(new Error(`pm testserver exited (${code}) before printing its address`)));
  });
}

describe('pm testserver', () => {
  it('runs standalone: prints address and token, serves pm login and resolve, stops on SIGTERM', async () => {
    dir = await mkdtemp(join(tmpdir(), 'pm-cli-ts-'));
    child = spawn(
      process.execPath,
      [PM_BIN, 'testserver', '--port', '0', '--state', join(dir, 'world.json'), '--json'],
      { env: { PATH: process.env.PATH, HOME: process.env.HOME } },
    );
    const info = JSON.parse(await firstLine(child));
    expect(info).toMatchObject({ ok: true, host: '127.0.0.1', bot: { username: 'pm_test_bot' } });
    expect(info.bot.token).toMatch(/^\d+:/);

    const session = join(dir, 'ts.session');
    const place = { server: info.server, session, storage: `sqlite:${join(dir, 'ts.db')}`, bot: info.bot };
    const globals = globalArgs(place);
    const login = await pmChild(loginArgs(place));
    expect(login.code).toBe(0);
    expect(login.stdout).toMatch(/^Logged in as @pm_test_bot/);
    expect((await stat(session)).mode & 0o777).toBe(0o600);
    const user = await pm([...globals, 'resolve', '@alice', '--json']);
    expect(json(user).peer).toMatchObject({ firstName: 'Alice', lastName: 'Liddell' });

    const exited = new Promise<number | null>((r) => child!.on('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect((await stat(join(dir, 'world.json'))).size).toBeGreaterThan(0);
  });

  it('prints a readable banner with the pm login line', async () => {
    // Interrupted from the start: it prints the banner, then stops at once.
    const r = await pm(['testserver', '--port', '0', '--no-flood'], { interrupted: Promise.resolve() });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^pm testserver listening on 127\.0\.0\.1:\d+/);
    expect(r.stdout).toMatch(/pm login --server 127\.0\.0\.1:\d+ .*--token \d+:/);
  });
});

describe('pnpm testserver', () => {
  /** Runs `pnpm testserver <args>` the way the root script does (tsx on the testserver's cli.ts). */
  function pnpmTestserver(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const c = spawn(process.execPath, ['--import', 'tsx', 'packages/testserver/src/cli.ts', ...args], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
      });
      let stdout = '';
      let stderr = '';
      c.stdout.on('data', (d: Buffer) => {
        stdout += d.toString('utf8');
      });
      c.stderr.on('data', (d: Buffer) => {
        stderr += d.toString('utf8');
      });
      c.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('prints its usage for --help and -h, and exits 0 without starting', async () => {
    for (const flag of ['--help', '-h']) {
      const r = await pnpmTestserver([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: pm-testserver \[--port 8443\]/);
      expect(r.stdout).toContain('--time-scale');
      expect(r.stdout).not.toContain('listening');
      expect(r.stderr).toBe('');
    }
  });

  it('answers an unknown option or a bad value with the reason and the usage, exit 2, no stack', async () => {
    const unknown = await pnpmTestserver(['--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^pm-testserver: Unknown option '--bogus'/);
    expect(unknown.stderr).toContain('Usage: pm-testserver');
    expect(unknown.stderr).not.toMatch(/ERR_PARSE_ARGS|\n\s+at /);
    const port = await pnpmTestserver(['--port', 'x']);
    expect(port.code).toBe(2);
    expect(port.stderr).toMatch(/^pm-testserver: --port: not a port: "x"/);
  });
});
