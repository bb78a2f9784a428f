/**
 * What a script can rely on: with --json one JSON document on stdout for every outcome (usage errors included),
 * exit codes as documented, bad values echoed, no stack traces for expected failures, and one standalone
 * testserver entry point behind `pm testserver`, `pm-testserver` and `pnpm testserver`.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { type CliIo, runCli } from '@pm/cli';
import { runStandalone, standaloneUsage } from '@pm/testserver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_HASH, json, pm } from './helpers.js';

const TS_BIN = join(import.meta.dirname, '..', '..', 'packages', 'testserver', 'bin', 'pm-testserver.js');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pm-cli-rel-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('pm --json', () => {
  it.each([
    [['--json', 'frobnicate'], /unknown command 'frobnicate'/],
    [['--json', '--frobnicate', 'whoami'], /unknown option '--frobnicate'/],
    [['resolve', '--json'], /missing required argument 'ref'/],
    [['--json', '--server', 'localhost', 'whoami'], /expected host:port, got "localhost"/],
    [['--json', '--storage', 'mysql://x', 'peers', 'stats'], /"mysql:\/\/x"/],
    [['--json', '--session', '', 'whoami'], /expected the path of a session file, got ""/],
    [['--json'], /a command is needed/],
  ])('answers one JSON usage document and exit 2 for pm %j', async (args, message) => {
    const r = await pm(args);
    expect(r.code).toBe(2);
    expect(json(r)).toEqual({ ok: false, error: 'USAGE', message: expect.stringMatching(message) });
    expect(r.stderr).toBe('');
  });

  it('answers the help as one document too', async () => {
    const r = await pm(['--help', '--json']);
    expect(r.code).toBe(0);
    expect(json(r).help).toMatch(/^Usage: pm /);
  });

  it('names a path with a newline in full, escaped, on its one line of error', async () => {
    const store = join(dir, 'typo\nsecond line.db');
    const r = await pm(['--storage', `sqlite:${store}`, 'peers', 'stats']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `pm peers stats: SQLite storage ${dir}/typo\\nsecond line.db does not exist (nothing was created): check the path; commands that write create it\n`,
    );
    const session = await pm([
      '--session',
      join(dir, 'a\tb\u0007.session'),
      '--storage',
      'memory',
      '--json',
      'whoami',
    ]);
    expect(session.code).toBe(2);
    expect(json(session).message).toContain(`${dir}/a\\tb\\u0007.session`);
  });

  it('prints usage errors as text (with the pointer to --help) without --json', async () => {
    const r = await pm(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/unknown command 'frobnicate'[\s\S]*pm --help/);
  });
});

describe('pm exit codes and messages', () => {
  it('says the port of --server is out of range', async () => {
    const r = await pm(['--server', '127.0.0.1:99999', 'whoami']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the port 99999 in "127.0.0.1:99999" is out of range (1-65535)');
  });

  it('echoes a malformed api id as typed and calls it a usage error (2), before any network', async () => {
    const r = await pm(
      ['--server', '127.0.0.1:1', '--session', join(dir, 'x.session'), 'login', '--api-id', 'abc', '--json'],
      { env: { PM_API_HASH: API_HASH, PM_BOT_TOKEN: '123:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } },
    );
    expect(r.code).toBe(2);
    expect(json(r)).toMatchObject({
      ok: false,
      error: 'INVALID_API_ID',
      message: expect.stringContaining('"abc"'),
    });
  });

  it('calls a missing session a usage error (2) that says how to log in', async () => {
    const r = await pm(['--session', join(dir, 'none.session'), '--storage', 'memory', 'whoami', '--json']);
    expect(r.code).toBe(2);
    expect(json(r)).toMatchObject({
      ok: false,
      error: 'SESSION_FILE',
      message: expect.stringContaining('pm login'),
    });
  });

  it('fails (1) a peers import where every row was skipped, and writes nothing', async () => {
    const file = join(dir, 'bad.jsonl');
    await writeFile(file, '{"id":"x","type":"user"}\n{"id":"-","type":"user"}\n');
    const storage = `sqlite:${join(dir, 'import.db')}`;
    const r = await pm(['--storage', storage, 'peers', 'import', file, '--format', 'pm-jsonl', '--json']);
    expect(r.code).toBe(1);
    expect(json(r)).toMatchObject({ ok: false, error: 'NOTHING_IMPORTED', imported: 0, skipped: 2 });
    const stats = await pm(['--storage', storage, 'peers', 'stats', '--json']);
    expect(json(stats).peers).toBe(0);
  });
});

describe('the standalone testserver (pm testserver, pm-testserver, pnpm testserver)', () => {
  let busy: Server;
  beforeAll(async () => {
    busy = createServer();
    busy.listen(0, '127.0.0.1');
    await once(busy, 'listening');
  });
  afterAll(() => {
    busy.close();
  });

  it('reports a port in use in one line, exit 1, no stack trace', async () => {
    const port = String((busy.address() as { port: number }).port);
    const text = await pm(['testserver', '--port', port]);
    expect(text.code).toBe(1);
    expect(text.stderr.trim().split('\n')).toEqual([
      `pm testserver: port ${port} on 127.0.0.1 is in use (another testserver?); choose another with --port, or --port 0 for a free one`,
    ]);
    const doc = await pm(['testserver', '--port', port, '--json']);
    expect(doc.code).toBe(1);
    expect(json(doc)).toMatchObject({ ok: false, error: 'EADDRINUSE' });
    // As a process: nothing else on stderr (no gateway error with a stack).
    const child = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(process.execPath, [TS_BIN, '--port', port], (e, _stdout, stderr) =>
        resolve({ code: typeof e?.code === 'number' ? e.code : 0, stderr }),
      ),
    );
    expect(child.code).toBe(1);
    expect(child.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^pm-testserver: port \d+ on 127.0.0.1 is in use/),
    ]);
  });

  it('checks the port range and echoes a bad value', async () => {
    const r = await pm(['testserver', '--port', '99999']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--port: 99999 is out of range (0-65535');
    const t = await pm(['testserver', '--time-scale', 'fast', '--json']);
    expect(json(t)).toEqual({
      ok: false,
      error: 'USAGE',
      message: '--time-scale: must be a number > 0, got "fast"',
    });
  });

  it('pm testserver --help is the standalone usage: flags and stdin commands', async () => {
    const r = await pm(['testserver', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(standaloneUsage('pm testserver'));
    expect(r.stdout).toContain('<user> start [payload]');
    expect(r.stdout).toContain('--no-flood');
  });

  it('pm-testserver (src/cli.ts, which pnpm testserver runs) prints the same usage', async () => {
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [TS_BIN, '--help'], (e, stdout) => (e ? reject(e) : resolve(stdout))),
    );
    expect(out.trim()).toBe(standaloneUsage('pm-testserver'));
  });

  it('pm testserver reads the users’ commands from stdin', async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    let text = '';
    stdout.on('data', (c: Buffer) => {
      text += c.toString();
    });
    let stop!: () => void;
    const io: CliIo = {
      stdin,
      stdout,
      stderr: new PassThrough(),
      env: {},
      interrupted: new Promise<void>((r) => {
        stop = r;
      }),
    };
    const running = runCli(['testserver', '--port', '0', '--json'], io);
    await waitFor(() => text.includes('\n'));
    stdin.write('users\nalice start spring\ninbox alice\n');
    await waitFor(() => text.split('\n').length >= 5);
    stop();
    expect(await running).toBe(0);
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ ok: true, bot: { username: 'pm_test_bot' } });
    expect(lines[1]).toMatchObject({
      ok: true,
      command: 'users',
      output: expect.stringContaining('alice: id'),
    });
    expect(lines[2]).toEqual({ ok: true, command: 'alice start spring', output: 'ok' });
    expect(lines[3]).toMatchObject({ command: 'inbox alice', output: '(empty)' });
  });

  it('runStandalone is what the package bin runs: stops cleanly with exit 0 when interrupted', async () => {
    const out = new PassThrough();
    const code = await runStandalone(['--port', '0'], {
      stdin: new PassThrough(),
      stdout: out,
      stderr: new PassThrough(),
      interrupted: Promise.resolve(),
    });
    expect(code).toBe(0);
    expect(String(out.read())).toMatch(/^pm testserver listening on 127\.0\.0\.1:\d+/);
  });
});

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
