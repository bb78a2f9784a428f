#!/usr/bin/env node
/**
 * `pnpm testserver [--port 8443] [--state world.json] [--time-scale 1]`: a loopback Telegram for manual runs.
 * A fresh world gets a bot and a few users; the address, the token and a GramJS snippet are printed. Lines on
 * stdin drive the users (`help` lists the commands). Stops on SIGINT / SIGTERM, saving the state file.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { TestServer } from './scenario.js';
import { runCommand, STANDALONE_HELP, seedWorld } from './standalone.js';

const USAGE = `Usage: pm-testserver [--port 8443] [--state world.json] [--time-scale 1]

A loopback Telegram on 127.0.0.1 with a bot and a few users; lines on stdin make the users act.

Options:
  --port <port>       TCP port on 127.0.0.1; 0 picks a free one (default: 8443)
  --state <file>      keep the world and auth keys in this JSON file across restarts
  --time-scale <n>    real seconds per Telegram second (default: 1)
  -h, --help          this help

${STANDALONE_HELP}`;

/** A command line that cannot run: the reason, then the usage on stderr, exit code 2. */
class UsageError extends Error {}

function parse(argv: readonly string[]): { port: number; state?: string; timeScale: number } | 'help' {
  let values: { port?: string; state?: string; 'time-scale'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string', default: '8443' },
        state: { type: 'string' },
        'time-scale': { type: 'string', default: '1' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    // ERR_PARSE_ARGS_UNKNOWN_OPTION and friends: Node's message names the option.
    throw new UsageError((e as Error).message);
  }
  if (values.help) return 'help';
  const port = Number(values.port);
  const timeScale = Number(values['time-scale']);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port: not a port: ${values.port}`);
  if (!(timeScale > 0)) throw new UsageError(`--time-scale: must be > 0, got ${values['time-scale']}`);
  return { port, timeScale, ...(values.state ? { state: values.state } : {}) };
}

async function main(): Promise<void> {
  let args: Exclude<ReturnType<typeof parse>, 'help'>;
  try {
    const parsed = parse(process.argv.slice(2));
    if (parsed === 'help') {
      console.log(USAGE);
      return;
    }
    args = parsed;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`pm-testserver: ${e.message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const tg = await TestServer.start({
    port: args.port,
    timeScale: args.timeScale,
    ...(args.state ? { stateFile: args.state } : {}),
  });
  const cast = seedWorld(tg);
  console.log(`pm testserver listening on ${tg.host}:${tg.port}${args.state ? ` (state: ${args.state})` : ''}
bot: @${cast.bot.username}  token: ${cast.bot.token}

Point GramJS at it (the RSA key must be registered in the same process):
  import { loopbackSocket, registerTestServerKey } from '@pm/testserver';
  registerTestServerKey();
  const client = new TelegramClient(new StringSession(''), 12345, 'any-hash', {
    networkSocket: loopbackSocket({ host: '${tg.host}', port: ${tg.port} }), useWSS: false,
  });
  client.session.setDC(2, '${tg.host}', 443);
  await client.start({ botAuthToken: '${cast.bot.token}' });

Type "help" for commands; Ctrl+C stops.`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await tg.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const rl = createInterface({ input: process.stdin, terminal: false });
  rl.on('line', (line) => {
    try {
      console.log(runCommand(tg, cast, line));
    } catch (e) {
      console.log(`error: ${(e as Error).message}`);
    }
  });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
