/**
 * The one entry point of the standalone loopback Telegram: `pm-testserver` (the package's bin), `pnpm testserver`
 * and `pm testserver` all run `runStandalone`, so they share flags, `--help`, stdin commands and exit codes
 * (0 stopped by SIGINT/SIGTERM, 1 could not run, e.g. the port is taken, 2 usage error).
 */
import type { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { type Cast, runCommand, STANDALONE_HELP, seedWorld } from './standalone.js';
import { TestServer } from './test-server.js';

/** Any API id and 32-hex-digit hash work with the testserver; these are the ones the banner shows. */
export const TESTSERVER_API = { apiId: 12345, apiHash: '0123456789abcdef0123456789abcdef' } as const;

export interface StandaloneIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Resolves when the server should stop (SIGINT/SIGTERM for a process). */
  readonly interrupted: Promise<void>;
}

export interface StandaloneOptions {
  /** The command name in messages and usage. @default 'pm-testserver' */
  readonly name?: string;
  /** One JSON document on stdout for the start (or the failure), then one JSON line per stdin command. */
  readonly json?: boolean;
}

export const STANDALONE_OPTIONS_HELP = `Options:
  --port <port>       TCP port on 127.0.0.1; 0 picks a free one (default: 8443)
  --state <file>      keep the world and its auth keys in this JSON file across restarts
  --time-scale <n>    real seconds per Telegram second; 0.01 makes flood waits 100x shorter (default: 1)
  --no-flood          disable Telegram's sending limits
  --json              machine-readable: one JSON document on stdout, then one JSON line per stdin command
  -h, --help          this help`;

export function standaloneUsage(name = 'pm-testserver'): string {
  return `Usage: ${name} [--port 8443] [--state world.json] [--time-scale 1] [--no-flood] [--json]

A loopback Telegram on 127.0.0.1 (a real MTProto server GramJS logs into) with a bot, four users and a group.
It prints its address and the bot's (test) token; lines on stdin make the users act; Ctrl+C stops it.

${STANDALONE_OPTIONS_HELP}

Stdin ${STANDALONE_HELP}

Exit codes: 0 stopped by Ctrl+C/SIGTERM, 1 could not start (e.g. the port is in use), 2 usage error.

Examples:
  $ ${name} --port 40123 --state world.json
  $ pm login --server 127.0.0.1:40123 --api-id ${TESTSERVER_API.apiId} --api-hash ${TESTSERVER_API.apiHash} --token <token>
  $ pm whoami --server 127.0.0.1:40123`;
}

class UsageError extends Error {}

interface Parsed {
  readonly help: boolean;
  readonly json: boolean;
  readonly port: number;
  readonly state: string | undefined;
  readonly timeScale: number;
  readonly flood: boolean;
}

function parse(argv: readonly string[]): Parsed {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string' },
        state: { type: 'string' },
        'time-scale': { type: 'string' },
        'no-flood': { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    // Node's messages name the option ("Unknown option '--prot'"); drop its hint about '--' separators.
    throw new UsageError((e as Error).message.split('. To specify')[0] ?? String(e));
  }
  return {
    help: values.help === true,
    json: values.json === true,
    port: parsePort(values.port as string | undefined),
    state: values.state as string | undefined,
    timeScale: parseTimeScale(values['time-scale'] as string | undefined),
    flood: values['no-flood'] !== true,
  };
}

/** A TCP port, 0-65535 (0: a free one). */
export function parsePort(value: string | undefined, fallback = 8443): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new UsageError(`--port: not a port: "${value}"`);
  const n = Number(value);
  if (n > 65535) throw new UsageError(`--port: ${value} is out of range (0-65535; 0 picks a free port)`);
  return n;
}

function parseTimeScale(value: string | undefined): number {
  if (value === undefined) return 1;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new UsageError(`--time-scale: must be a number > 0, got "${value}"`);
  return n;
}

function line(out: Writable, text: string): void {
  out.write(`${text}\n`);
}

/** One line for a failure to start; an unexpected one keeps its message but never a stack. */
function describeStartFailure(error: unknown, port: number): { code: string; message: string } {
  const e = error as NodeJS.ErrnoException;
  if (e?.code === 'EADDRINUSE')
    return {
      code: 'EADDRINUSE',
      message: `port ${port} on 127.0.0.1 is in use (another testserver?); choose another with --port, or --port 0 for a free one`,
    };
  if (e?.code === 'EACCES')
    return { code: 'EACCES', message: `not allowed to listen on port ${port} (try a port above 1023)` };
  return { code: e?.code ?? 'ERROR', message: e instanceof Error ? e.message : String(error) };
}

/** Runs the standalone testserver until `io.interrupted`; answers the exit code. */
export async function runStandalone(
  argv: readonly string[],
  io: StandaloneIo,
  options: StandaloneOptions = {},
): Promise<number> {
  const name = options.name ?? 'pm-testserver';
  let json = options.json === true || argv.includes('--json');
  const fail = (code: string, message: string, exit: number): number => {
    if (json) line(io.stdout, JSON.stringify({ ok: false, error: code, message }));
    else line(io.stderr, `${name}: ${message}${exit === 2 ? `\n\n${standaloneUsage(name)}` : ''}`);
    return exit;
  };

  let args: Parsed;
  try {
    args = parse(argv);
  } catch (e) {
    if (e instanceof UsageError) return fail('USAGE', e.message, 2);
    throw e;
  }
  json ||= args.json;
  if (args.help) {
    line(io.stdout, standaloneUsage(name));
    return 0;
  }

  let tg: TestServer;
  try {
    tg = await TestServer.start({
      port: args.port,
      timeScale: args.timeScale,
      ...(args.flood ? {} : { flood: false }),
      ...(args.state ? { stateFile: args.state } : {}),
    });
  } catch (e) {
    const { code, message } = describeStartFailure(e, args.port);
    return fail(code, message, 1);
  }
  try {
    const cast = seedWorld(tg);
    announce(io, tg, cast, args, json);
    await serveCommands(io, tg, cast, json);
    return 0;
  } finally {
    await tg.stop();
  }
}

function announce(io: StandaloneIo, tg: TestServer, cast: Cast, args: Parsed, json: boolean): void {
  const bot = cast.bot;
  const users = [...cast.users.values()];
  const address = `${tg.host}:${tg.port}`;
  if (json) {
    line(
      io.stdout,
      JSON.stringify({
        ok: true,
        host: tg.host,
        port: tg.port,
        server: address,
        state: args.state ?? null,
        bot: { id: String(bot.id), username: bot.username, token: bot.token },
        api: TESTSERVER_API,
        users: users.map((u) => ({ id: String(u.id), firstName: u.firstName, username: u.username ?? null })),
      }),
    );
    return;
  }
  line(
    io.stdout,
    [
      `pm testserver listening on ${address}${args.state ? ` (state: ${args.state})` : ''}`,
      `bot: @${bot.username}  token: ${bot.token}`,
      `users: ${users.map((u) => `${u.firstName} (${u.username ? `@${u.username}, ` : ''}id ${u.id})`).join(', ')}`,
      '',
      'Log in and look around (any api id and 32-hex-digit hash work here):',
      `  pm login --server ${address} --api-id ${TESTSERVER_API.apiId} --api-hash ${TESTSERVER_API.apiHash} --token ${bot.token}`,
      `  pm whoami --server ${address}`,
      '',
      'From GramJS: registerTestServerKey() and networkSocket: loopbackSocket({ host, port }) from @pm/testserver.',
      'Type "help" for commands that make the users act; Ctrl+C stops.',
    ].join('\n'),
  );
}

/** Answers stdin lines until interrupted (the end of stdin does not stop the server). */
async function serveCommands(io: StandaloneIo, tg: TestServer, cast: Cast, json: boolean): Promise<void> {
  let buffer = '';
  const onData = (chunk: Buffer | string) => {
    buffer += chunk.toString();
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      const command = buffer.slice(0, i).replace(/\r$/, '');
      buffer = buffer.slice(i + 1);
      if (command.trim() === '' && !json) continue;
      let output: string;
      let ok = true;
      try {
        output = runCommand(tg, cast, command);
      } catch (e) {
        ok = false;
        output = `error: ${(e as Error).message}`;
      }
      line(io.stdout, json ? JSON.stringify({ ok, command, output }) : output);
    }
  };
  io.stdin.on('data', onData);
  try {
    await io.interrupted;
  } finally {
    io.stdin.off('data', onData);
    io.stdin.pause();
  }
}
