/**
 * `pnpm login`: log in as a bot once and write a session file (mode 0600) that later scripts reuse without the
 * token. Credentials come from flags, then the environment (PM_API_ID, PM_API_HASH, PM_BOT_TOKEN), then prompts
 * on a terminal. The token, auth key and session never appear in output.
 *
 *   pnpm login --session bot.session                      # prompts for what is missing
 *   PM_API_ID=… PM_API_HASH=… PM_BOT_TOKEN=… pnpm login     # non-interactive
 *   pnpm login --server 127.0.0.1:40123 --json             # against a testserver, machine-readable
 *
 * Exit codes: 0 logged in, 1 refused (wrong token, api id, network), 2 usage error.
 */
import { stdin, stdout } from 'node:process';
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { Command, InvalidArgumentError } from 'commander';
import type { ServerAddress } from '../packages/core/src/index.js';
import { createBotSession, PmError, redactSecrets } from '../packages/core/src/index.js';

export function parseServer(value: string): ServerAddress {
  const m = /^([^:\s]+):(\d{1,5})$/.exec(value);
  if (!m || Number(m[2]) > 65535) throw new InvalidArgumentError(`expected host:port, got "${value}"`);
  return { host: m[1]!, port: Number(m[2]) };
}

async function prompt(question: string, secret: boolean): Promise<string> {
  // A muted output stream keeps a secret off the screen while the terminal still reads it.
  let muted = false;
  const out = new Writable({
    write(chunk, _enc, cb) {
      if (!muted) stdout.write(chunk);
      cb();
    },
  });
  const rl = createInterface({ input: stdin, output: out, terminal: true });
  try {
    const answer = rl.question(question);
    muted = secret;
    const value = await answer;
    if (secret) stdout.write('\n');
    return value.trim();
  } finally {
    rl.close();
  }
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name('pm login')
    .description('Log in as a bot and write a session file that later scripts reuse without the token.')
    .option('--session <path>', 'session file to write (mode 0600)', process.env.PM_SESSION ?? 'pm.session')
    .option('--api-id <id>', 'api id from my.telegram.org (env PM_API_ID)')
    .option('--api-hash <hash>', 'api hash from my.telegram.org (env PM_API_HASH)')
    .option('--token <token>', 'bot token from @BotFather (env PM_BOT_TOKEN; prefer the env or the prompt)')
    .option(
      '--server <host:port>',
      'an MTProto server other than Telegram, e.g. a pm testserver',
      parseServer,
    )
    .option('--json', 'print the result as JSON')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    const code = (e as { exitCode?: number }).exitCode;
    return code === 0 ? 0 : 2;
  }
  const o = program.opts<{
    session: string;
    apiId?: string;
    apiHash?: string;
    token?: string;
    server?: ServerAddress;
    json?: boolean;
  }>();
  const interactive = Boolean(stdin.isTTY);
  let apiId = o.apiId ?? process.env.PM_API_ID;
  let apiHash = o.apiHash ?? process.env.PM_API_HASH;
  let token = o.token ?? process.env.PM_BOT_TOKEN;
  if (interactive) {
    apiId ??= await prompt('API id: ', false);
    apiHash ??= await prompt('API hash: ', true);
    token ??= await prompt('Bot token: ', true);
  }
  if (!apiId || !apiHash || !token) {
    process.stderr.write(
      'pm login: missing api id, api hash or bot token (flags, PM_API_ID/PM_API_HASH/PM_BOT_TOKEN, or a terminal to prompt)\n',
    );
    return 2;
  }
  try {
    const me = await createBotSession({
      apiId: Number(apiId),
      apiHash,
      botToken: token,
      sessionPath: o.session,
      server: o.server,
    });
    if (o.json) {
      stdout.write(
        `${JSON.stringify({ ok: true, id: me.id.toString(), username: me.username ?? null, session: o.session })}\n`,
      );
    } else {
      stdout.write(
        `Logged in as @${me.username ?? '(no username)'} (id ${me.id}). Session written to ${o.session}\n`,
      );
    }
    return 0;
  } catch (e) {
    const msg = redactSecrets(e instanceof Error ? e.message : String(e));
    if (o.json)
      stdout.write(
        `${JSON.stringify({ ok: false, error: e instanceof PmError ? e.code : 'ERROR', message: msg })}\n`,
      );
    else process.stderr.write(`pm login: ${msg}\n`);
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
