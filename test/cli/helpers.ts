/**
 * Running `pm` in tests: in-process (`runCli` with captured streams, fast) or as a child process through the
 * package's bin shim (what a user runs). Either way the testserver runs in the test process on 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { type CliIo, runCli } from '@pm/cli';
import { type BotHandle, registerTestServerKey, TestServer } from '@pm/testserver';

export const API_ID = '12345';
export const API_HASH = '0123456789abcdef0123456789abcdef';
export const PM_BIN = fileURLToPath(new URL('../../packages/cli/bin/pm.js', import.meta.url));

registerTestServerKey();

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The parsed single JSON document a `--json` run printed. */
export function json(run: Run): any {
  const lines = run.stdout.trim().split('\n');
  expectOne(lines);
  return JSON.parse(lines[0]!);
}

function expectOne(lines: string[]): void {
  if (lines.length !== 1) throw new Error(`expected one JSON line on stdout, got ${lines.length}: ${lines}`);
}

function collector(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** Runs `pm …args` in this process; stdin is not a terminal, so nothing prompts. */
export async function pm(
  args: readonly string[],
  opts: { interrupted?: Promise<void>; env?: NodeJS.ProcessEnv } = {},
): Promise<Run> {
  const out = collector();
  const err = collector();
  const io: CliIo = {
    stdin: new PassThrough(),
    stdout: out.stream,
    stderr: err.stream,
    env: opts.env ?? {},
    interrupted: opts.interrupted ?? new Promise(() => {}),
  };
  const code = await runCli(args, io);
  await new Promise((r) => setImmediate(r));
  return { code, stdout: out.text(), stderr: err.text() };
}

/** Runs the `pm` binary as a child process. */
export function pmChild(
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PM_BIN, ...args], {
      cwd: opts.cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Where a `pm` run logs in and keeps its data (the global options --server, --session, --storage), and as whom. */
export interface Place {
  readonly server: string;
  readonly session: string;
  readonly storage: string;
  readonly bot: { readonly token: string };
}

/** The global options pointing at `place`: --server, --session, --storage. */
export function globalArgs(place: Place): string[] {
  return ['--server', place.server, '--session', place.session, '--storage', place.storage];
}

/** `pm login` at `place` with the test API credentials, as its bot unless another token is given. */
export function loginArgs(place: Place, token = place.bot.token): string[] {
  return [...globalArgs(place), 'login', '--api-id', API_ID, '--api-hash', API_HASH, '--token', token];
}

export interface World extends Place {
  readonly tg: TestServer;
  readonly bot: BotHandle;
  readonly dir: string;
  /** The global options pointing at this world: --server, --session, --storage. */
  readonly globals: string[];
  close(): Promise<void>;
}

export async function startWorld(): Promise<World> {
  const tg = await TestServer.start({ flood: false });
  const bot = tg.createBot({ username: 'pm_cli_bot', firstName: 'PM CLI' });
  const dir = await mkdtemp(join(tmpdir(), 'pm-cli-'));
  const session = join(dir, 'bot.session');
  const storage = `sqlite:${join(dir, 'bot.db')}`;
  const server = `${tg.host}:${tg.port}`;
  return {
    tg,
    bot,
    server,
    dir,
    session,
    storage,
    globals: globalArgs({ server, session, storage, bot }),
    close: async () => {
      await tg.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until `check` passes, polling briefly (updates travel over TCP). */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 5000): Promise<T> {
  const start = Date.now();
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() - start > timeoutMs) throw e;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
