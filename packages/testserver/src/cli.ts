#!/usr/bin/env -S npx tsx
/**
 * `pnpm testserver [--port 8443] [--state world.json] [--time-scale 1]`: a loopback Telegram for manual runs.
 * A fresh world gets a bot and a few users; the address, the token and a GramJS snippet are printed. Lines on
 * stdin drive the users (`help` lists the commands). Stops on SIGINT / SIGTERM, saving the state file.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { type BotHandle, type ChatHandle, TestServer, type UserHandle } from './scenario.js';

const HELP = `commands:
  users                       list users
  <user> start [payload]      press Start (deep link payload optional)
  <user> send <text>          private message to the bot
  <user> block | unblock
  <user> rename <first> [last]
  <user> lang <code|->
  <user> request              join request to the demo group
  <user> widget               log in with the Login Widget
  <user> group <text>         post in the demo group (min user if the bot never saw them)
  inbox <user>                what the bot sent to the user
  stats                       RPC counters
  help`;

function parse(): { port: number; state?: string; timeScale: number } {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8443' },
      state: { type: 'string' },
      'time-scale': { type: 'string', default: '1' },
    },
  });
  const port = Number(values.port);
  const timeScale = Number(values['time-scale']);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port: not a port: ${values.port}`);
  if (!(timeScale > 0)) throw new Error(`--time-scale: must be > 0, got ${values['time-scale']}`);
  return { port, timeScale, ...(values.state ? { state: values.state } : {}) };
}

interface Cast {
  bot: BotHandle;
  group: ChatHandle | undefined;
  users: Map<string, UserHandle>;
}

function seed(tg: TestServer): Cast {
  const existing = tg.bots()[0];
  if (existing) {
    const users = new Map(tg.users().map((u) => [u.firstName.toLowerCase(), u] as const));
    return { bot: existing, group: tg.chats()[0], users };
  }
  const bot = tg.createBot({ username: 'pm_test_bot', firstName: 'PM Test Bot' });
  const alice = tg.createUser({ firstName: 'Alice', lastName: 'Liddell', username: 'alice', langCode: 'en' });
  const bob = tg.createUser({ firstName: 'Bob', username: 'bob_builder', langCode: 'de' });
  const carol = tg.createUser({ firstName: 'Carol', langCode: 'fr' });
  const dave = tg.createUser({ firstName: 'Dave' });
  const group = tg.createGroup({ title: 'PM Test Group', bot });
  alice.start('demo');
  carol.start();
  carol.block();
  dave.joinGroup(group);
  return {
    bot,
    group,
    users: new Map([
      ['alice', alice],
      ['bob', bob],
      ['carol', carol],
      ['dave', dave],
    ]),
  };
}

function run(tg: TestServer, cast: Cast, line: string): string {
  const [head = '', verb = '', ...rest] = line.trim().split(/\s+/);
  if (head === '' || head === 'help') return HELP;
  if (head === 'stats') return JSON.stringify(tg.stats(), null, 2);
  if (head === 'users') {
    return [...cast.users]
      .map(([k, u]) => `${k}: id ${u.id}, @${u.username ?? '-'}, ${u.firstName}`)
      .join('\n');
  }
  if (head === 'inbox') {
    const u = cast.users.get(verb);
    if (!u) return `no user "${verb}"`;
    return (
      tg
        .inbox(u)
        .map((m) => `#${m.id} ${m.text}`)
        .join('\n') || '(empty)'
    );
  }
  const user = cast.users.get(head);
  if (!user) return `no user "${head}" (try: users)`;
  const text = rest.join(' ');
  switch (verb) {
    case 'start':
      user.start(rest[0]);
      return 'ok';
    case 'send':
      user.send(text);
      return 'ok';
    case 'block':
      user.block();
      return 'ok';
    case 'unblock':
      user.unblock();
      return 'ok';
    case 'rename':
      user.rename({ firstName: rest[0] ?? user.firstName, ...(rest[1] ? { lastName: rest[1] } : {}) });
      return 'ok';
    case 'lang':
      user.setLanguage(rest[0] === '-' ? undefined : rest[0]);
      return 'ok';
    case 'request':
      if (!cast.group) return 'no demo group in this world';
      user.requestJoin(cast.group);
      return 'ok';
    case 'widget':
      user.loginWithWidget(cast.bot);
      return 'ok';
    case 'group':
      if (!cast.group) return 'no demo group in this world';
      user.joinGroup(cast.group);
      user.sendToGroup(cast.group, text || 'hello');
      return 'ok';
    default:
      return `unknown command "${verb}" (try: help)`;
  }
}

async function main(): Promise<void> {
  const args = parse();
  const tg = await TestServer.start({
    port: args.port,
    timeScale: args.timeScale,
    ...(args.state ? { stateFile: args.state } : {}),
  });
  const cast = seed(tg);
  console.log(`pm testserver listening on ${tg.host}:${tg.port}${args.state ? ` (state: ${args.state})` : ''}
bot: @${cast.bot.username}  token: ${cast.bot.token}

Point GramJS at it (the RSA key must be registered in the same process):
  import { loopbackSocket, registerTestServerKey } from '@pm/testserver';
  registerTestServerKey();
  const client = new TelegramClient(new StringSession(''), 12345, 'any-hash', {
    networkSocket: loopbackSocket(${tg.port}), useWSS: false,
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
      console.log(run(tg, cast, line));
    } catch (e) {
      console.log(`error: ${(e as Error).message}`);
    }
  });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
