/**
 * The standalone loopback Telegram's cast and keyboard commands, shared by `pnpm testserver` (cli.ts) and
 * `pm testserver` (@pm/cli): a bot, four users and a group, and one-line commands that make the users act.
 */
import type { BotHandle, ChatHandle, UserHandle } from './scenario.js';
import type { TestServer } from './test-server.js';

export const STANDALONE_HELP = `commands:
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
  drop                        close every client connection (clients reconnect)
  freeze | unfreeze           stop answering with the sockets left open (a hung server), and resume
  forget-keys                 forget every auth key (clients get -404: their sessions must log in again)
  revoke                      revoke the bot's token (prints the new one; old sessions get SESSION_REVOKED)
  help`;

/** The bot, the users by lower-cased first name, and the demo group. */
export interface Cast {
  bot: BotHandle;
  group: ChatHandle | undefined;
  users: Map<string, UserHandle>;
}

/** Seeds a fresh world (or finds the cast of a restored one). */
export function seedWorld(tg: TestServer): Cast {
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

export function runCommand(tg: TestServer, cast: Cast, line: string): string {
  const [head = '', verb = '', ...rest] = line.trim().split(/\s+/);
  if (head === '' || head === 'help') return STANDALONE_HELP;
  if (head === 'stats') return JSON.stringify(tg.stats(), null, 2);
  if (head === 'drop') {
    tg.dropAllConnections();
    return 'ok';
  }
  if (head === 'freeze' || head === 'unfreeze') {
    if (head === 'freeze') tg.freeze();
    else tg.unfreeze();
    return 'ok';
  }
  if (head === 'forget-keys') {
    tg.forgetAuthKeys();
    return 'ok';
  }
  if (head === 'revoke') {
    cast.bot = tg.revokeBotToken(cast.bot);
    return `new token: ${cast.bot.token}`;
  }
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
