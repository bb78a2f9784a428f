/**
 * `pnpm demo`: the greeter of examples/greeter-bot.ts against an embedded loopback Telegram, with simulated users
 * who start it (with and without a deep-link payload, twice, with a plain message), request to join a group, log
 * in with the Login Widget, rename, hand a username over, lose their lang_code, block and unblock. The bot also
 * resolves users by @username and probes whom it may message. One line per event, then a table of the seen users
 * and their dialogs. Runs in a few seconds, offline, and exits 0.
 *
 * With PM_API_ID, PM_API_HASH and PM_BOT_TOKEN set, the same bot runs against real Telegram instead (session
 * PM_SESSION or pm-demo.session, storage PM_STORAGE or sqlite:pm-demo.db) until Ctrl+C, then prints the table.
 *
 * Exit codes: 0 done, 1 failed, 2 bad credentials in the environment.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderTable } from '@pm/cli';
import {
  createBotSession,
  InvalidInputError,
  type PeerRecord,
  PmClient,
  readSessionFile,
  redactSecrets,
  type ServerAddress,
  validateCredentials,
} from '@pm/core';
import { registerTestServerKey, TestServer, type UserHandle } from '@pm/testserver';
import { createGreeterBot, type GreeterEvent } from '../examples/greeter-bot.js';
import { narrate, SEEN_USERS_HEADER, seenUsersTable, who } from '../examples/narrate.js';

/** Any api id and 32-hex-digit hash work with the testserver. */
const TEST_API = { apiId: 12345, apiHash: '0123456789abcdef0123456789abcdef' };
const WAIT_MS = 5000;

export interface DemoOptions {
  /** Where narrative lines go. @default stdout */
  readonly print?: (line: string) => void;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Live mode stops when this aborts. @default SIGINT / SIGTERM */
  readonly signal?: AbortSignal;
}

/** The greeter's events, kept so each step can wait for what it caused. */
class EventLog {
  readonly events: GreeterEvent[] = [];
  private wake: (() => void) | undefined;

  push(e: GreeterEvent): void {
    this.events.push(e);
    this.wake?.();
  }

  get mark(): number {
    return this.events.length;
  }

  /** Waits until `count` events after `from` match `pred`. */
  async waitFor(from: number, pred: (e: GreeterEvent) => boolean, what: string, count = 1): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (this.events.slice(from).filter(pred).length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`demo: the bot did not see ${what} within ${WAIT_MS} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 100));
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }
}

export async function main(opts: DemoOptions = {}): Promise<number> {
  const print = opts.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const env = opts.env ?? process.env;
  try {
    if (env.PM_API_ID || env.PM_API_HASH || env.PM_BOT_TOKEN) return await live(print, env, opts.signal);
    return await simulated(print);
  } catch (e) {
    print(`demo failed: ${redactSecrets(e instanceof Error ? e.message : String(e))}`);
    return e instanceof InvalidInputError ? 2 : 1;
  }
}

async function printTable(client: PmClient, print: (line: string) => void): Promise<void> {
  const rows = await seenUsersTable(client);
  print('');
  print(`Seen users and their dialogs (${rows.length}):`);
  for (const line of renderTable(SEEN_USERS_HEADER, rows).split('\n')) print(line);
}

// ---- simulated users on the embedded testserver -------------------------------------------------------------

async function simulated(print: (line: string) => void): Promise<number> {
  const began = Date.now();
  registerTestServerKey();
  const tg = await TestServer.start({});
  const dir = await mkdtemp(join(tmpdir(), 'pm-demo-'));
  let client: PmClient | undefined;
  try {
    const server: ServerAddress = { host: tg.host, port: tg.port };
    const botHandle = tg.createBot({ username: 'pm_demo_bot', firstName: 'PM Demo' });
    print(`pm demo: a loopback Telegram on ${tg.host}:${tg.port}; nothing leaves this machine.`);

    // The login path of `pm login` and scripts/login.ts: the token is used once, the session file is kept.
    const sessionPath = join(dir, 'demo.session');
    const me = await createBotSession({ ...TEST_API, botToken: botHandle.token, sessionPath, server });
    print(
      `Logged in as @${me.username} with createBotSession; session file written (mode 0600), token not kept.`,
    );
    const session = await readSessionFile(sessionPath);
    client = await PmClient.connect({
      apiId: session.apiId,
      apiHash: session.apiHash,
      session: sessionPath,
      storage: 'memory',
      server,
    });
    const c = client;
    const log = new EventLog();
    createGreeterBot(c, {
      onEvent: (e) => {
        log.push(e);
        print(`  bot  ◂ ${narrate(e)}`);
      },
    });
    await c.start();
    print('The greeter of examples/greeter-bot.ts is listening.\n');

    const user = (line: string) => print(`user ▸ ${line}`);
    const bot = (line: string) => print(`bot  ▸ ${line}`);
    const is =
      (kind: GreeterEvent['kind'], u: UserHandle | PeerRecord) =>
      (e: GreeterEvent): boolean =>
        e.kind === kind && 'user' in e && e.user.id === u.id;
    const step = async (
      line: string,
      action: () => void,
      kind: GreeterEvent['kind'],
      u: UserHandle,
      count = 1,
    ) => {
      user(line);
      const mark = log.mark;
      action();
      await log.waitFor(mark, is(kind, u), `${kind} of ${u.firstName}`, count);
      await c.idle();
    };

    const club = tg.createChannel({ title: 'PM Demo Club', megagroup: true, bot: botHandle });
    const alice = tg.createUser({
      firstName: 'Alice',
      lastName: 'Liddell',
      username: 'alice',
      langCode: 'en',
    });
    const boris = tg.createUser({ firstName: 'Борис', username: 'boris', langCode: 'ru' });
    const carmen = tg.createUser({ firstName: 'Carmen', username: 'carmen', langCode: 'es' });
    const dieter = tg.createUser({ firstName: 'Dieter', langCode: 'de' });
    const erin = tg.createUser({ firstName: 'Erin', username: 'erin_mx', langCode: 'es-MX' });
    const farid = tg.createUser({ firstName: 'Farid', langCode: 'ru' });
    const gina = tg.createUser({ firstName: 'Gina', username: 'gina_demo', langCode: 'en' });

    await step(
      `Alice opens t.me/${me.username}?start=spring_sale`,
      () => alice.start('spring_sale'),
      'greeted',
      alice,
    );
    await step('Борис presses Start', () => boris.start(), 'greeted', boris);
    await step('Carmen presses Start', () => carmen.start(), 'greeted', carmen);
    await step('Carmen presses Start again', () => carmen.start(), 'greeted', carmen);
    await step(
      'Dieter (German app) writes "hello?" instead of pressing Start',
      () => dieter.send('hello?'),
      'greeted',
      dieter,
    );
    await step(
      `Erin asks to join "${club.title}", a group the bot administers`,
      () => erin.requestJoin(club),
      'greeted',
      erin,
    );
    await step(
      'Farid logs in on shop.example.com with the Login Widget (that update carries no lang_code)',
      () => farid.loginWithWidget(botHandle, { domain: 'shop.example.com' }),
      'greeted',
      farid,
    );
    await step(
      'Alice renames herself to Alice Pleasance',
      () => alice.rename({ firstName: 'Alice', lastName: 'Pleasance' }),
      'profileChanged',
      alice,
    );
    user('Erin takes over the username @boris');
    {
      const mark = log.mark;
      erin.setUsernames(['boris']);
      await log.waitFor(mark, is('profileChanged', erin), 'Erin taking @boris');
      await log.waitFor(mark, is('profileChanged', boris), 'Борис losing @boris');
      await c.idle();
    }
    await step(
      'Carmen writes "¿Qué tal?" from an app that leaves lang_code out of the update',
      () => carmen.send('¿Qué tal?', { withLangCode: false }),
      'answered',
      carmen,
    );
    await step('Dieter blocks the bot', () => dieter.block(), 'blocked', dieter);
    const probe = async (ref: string | bigint, label: string) => {
      const r = await c.canMessage(ref);
      bot(`can I message ${label}? ${r.ok ? 'yes' : `no (${r.reason})`}`);
    };
    await probe(dieter.id, 'Dieter');
    await step('Dieter unblocks the bot', () => dieter.unblock(), 'unblocked', dieter);
    await probe(dieter.id, 'Dieter');

    const lookups = c.networkLookups;
    const g = await c.resolveUser('@gina_demo');
    bot(
      `resolve @gina_demo → ${who(g)}, id ${g.id} (${c.networkLookups > lookups ? 'asked Telegram' : 'from the cache'}); she never wrote to the bot`,
    );
    await probe('@gina_demo', '@gina_demo');
    const sent = await c.send('@gina_demo', 'Hello Gina!');
    bot(`send to @gina_demo: ${sent.ok ? `sent #${sent.messageId}` : `not sent (${sent.reason})`}`);
    const b = await c.resolveUser('@boris');
    bot(`resolve @boris → ${who(b)}, id ${b.id}: the username moved, Борис no longer owns it`);
    const everyone = [alice, boris, carmen, dieter, erin, farid, gina];
    const probes: string[] = [];
    for (const u of everyone) {
      const r = await c.canMessage(u.id);
      probes.push(`${u.firstName} ${r.ok ? 'yes' : `no (${r.reason})`}`);
    }
    bot(`who can I message? ${probes.join(', ')}`);

    await c.idle();
    await printTable(c, print);
    print('');
    const delivered = everyone.reduce((n, u) => n + tg.inbox(u).length, 0);
    const seconds = ((Date.now() - began) / 1000).toFixed(1);
    print(`Done in ${seconds} s: ${log.events.length} events handled, ${delivered} messages delivered.`);
    return 0;
  } finally {
    await client?.disconnect().catch(() => {});
    await tg.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

// ---- real Telegram --------------------------------------------------------------------------------------------

async function live(
  print: (line: string) => void,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<number> {
  const creds = validateCredentials(env.PM_API_ID, env.PM_API_HASH, env.PM_BOT_TOKEN);
  const sessionPath = env.PM_SESSION || 'pm-demo.session';
  const storage = env.PM_STORAGE || 'sqlite:pm-demo.db';
  const botId = creds.token.slice(0, creds.token.indexOf(':'));
  const saved = existsSync(sessionPath)
    ? await readSessionFile(sessionPath).catch(() => undefined)
    : undefined;
  if (saved?.bot?.id !== botId) {
    const me = await createBotSession({ ...creds, botToken: creds.token, sessionPath });
    print(
      `Logged in as @${me.username} with createBotSession; session written to ${sessionPath} (mode 0600).`,
    );
  }
  const client = await PmClient.connect({
    apiId: creds.apiId,
    apiHash: creds.apiHash,
    session: sessionPath,
    storage,
  });
  try {
    createGreeterBot(client, { onEvent: (e) => print(`  bot  ◂ ${narrate(e)}`) });
    await client.start();
    print(`pm demo: @${client.me.username} greets on real Telegram (storage ${storage}); Ctrl+C stops.`);
    await new Promise<void>((resolve) => {
      if (signal) signal.addEventListener('abort', () => resolve(), { once: true });
      else {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      }
    });
    await client.idle();
    await printTable(client, print);
    return 0;
  } finally {
    await client.disconnect().catch(() => {});
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then((code) => {
    process.exitCode = code;
  });
}
