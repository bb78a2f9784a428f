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

function parse(): { port: number; state?: string; timeScale: number } {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8443' },
      state: { type: 'string' },
      'time-scale': { type: 'string', default: '1' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const port = Number(values.port);
  const timeScale = Number(values['time-scale']);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port: not a port: ${values.port}`);
  if (!(timeScale > 0)) throw new Error(`--time-scale: must be > 0, got ${values['time-scale']}`);
  return { port, timeScale, ...(values.state ? { state: values.state } : {}) };
}

async function main(): Promise<void> {
  const args = parse();
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
