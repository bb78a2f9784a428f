/**
 * `pm testserver`: the loopback Telegram of @pm/testserver, standalone, until Ctrl+C. A fresh world gets a bot,
 * a few users and a group; the address and the bot token (a test token, worthless elsewhere) are printed with
 * the `pm login` line that uses them. The state file keeps the world and its auth keys across restarts.
 */
import { seedWorld, TestServer } from '@pm/testserver';
import { type Command, InvalidArgumentError } from 'commander';
import type { Act, CommandEnv } from '../command.js';

/** Any API id/hash of the right form works with the testserver. */
export const TESTSERVER_API = { apiId: 12345, apiHash: '0123456789abcdef0123456789abcdef' } as const;

interface TestserverOptions {
  port: number;
  state?: string;
  timeScale: number;
  flood: boolean;
}

function port(value: string): number {
  const n = Number(value);
  if (!/^\d{1,5}$/.test(value) || n > 65535) throw new InvalidArgumentError(`not a port: "${value}"`);
  return n;
}

function timeScale(value: string): number {
  const n = Number(value);
  if (!(n > 0)) throw new InvalidArgumentError(`must be a number > 0, got "${value}"`);
  return n;
}

export function defineTestserver(program: Command, act: Act): void {
  program
    .command('testserver')
    .description('run the loopback Telegram standalone and print its address and a bot token (Ctrl+C stops)')
    .option('--port <port>', 'TCP port on 127.0.0.1; 0 picks a free one', port, 8443)
    .option('--state <file>', 'keep the world and auth keys in this JSON file across restarts')
    .option(
      '--time-scale <n>',
      'real seconds per Telegram second (0.01: flood waits 100× shorter)',
      timeScale,
      1,
    )
    .option('--no-flood', "disable Telegram's sending limits")
    .addHelpText(
      'after',
      '\nExamples:\n  $ pm testserver --port 40123 --state world.json\n' +
        '  $ pm login --server 127.0.0.1:40123 --api-id 12345 --api-hash 0123456789abcdef0123456789abcdef --token <token>\n' +
        '  $ pm whoami --server 127.0.0.1:40123\n\n' +
        'To drive the simulated users from the keyboard, run `pnpm testserver` instead.',
    )
    .action(act<TestserverOptions>(testserver));
}

async function testserver({ io, out }: CommandEnv, _args: string[], o: TestserverOptions): Promise<void> {
  const tg = await TestServer.start({
    port: o.port,
    timeScale: o.timeScale,
    ...(o.flood ? {} : { flood: false }),
    ...(o.state ? { stateFile: o.state } : {}),
  });
  try {
    const cast = seedWorld(tg);
    const bot = cast.bot;
    const users = [...cast.users.values()];
    const address = `${tg.host}:${tg.port}`;
    out.result(
      {
        host: tg.host,
        port: tg.port,
        server: address,
        state: o.state ?? null,
        bot: { id: bot.id, username: bot.username, token: bot.token },
        api: TESTSERVER_API,
        users: users.map((u) => ({ id: u.id, firstName: u.firstName, username: u.username ?? null })),
      },
      [
        `pm testserver listening on ${address}${o.state ? ` (state: ${o.state})` : ''}`,
        `bot: @${bot.username}  token: ${bot.token}`,
        `users: ${users.map((u) => `${u.firstName} (${u.username ? `@${u.username}, ` : ''}id ${u.id})`).join(', ')}`,
        '',
        'Log in and look around (any api id and 32-hex-digit hash work here):',
        `  pm login --server ${address} --api-id ${TESTSERVER_API.apiId} --api-hash ${TESTSERVER_API.apiHash} --token ${bot.token}`,
        `  pm whoami --server ${address}`,
        '',
        'Ctrl+C stops.',
      ].join('\n'),
    );
    await io.interrupted;
  } finally {
    await tg.stop();
  }
}
