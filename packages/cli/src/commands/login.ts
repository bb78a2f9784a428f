/**
 * `pm login`: log in as a bot once and write a session file (mode 0600) that every other command reuses without
 * the token. Credentials come from flags, then the environment (PM_API_ID, PM_API_HASH, PM_BOT_TOKEN), then
 * prompts on a terminal (the hash and the token are not echoed). `scripts/login.ts` (`pnpm bot-login`) runs this.
 */
import { loginBot, openStorage, PmError, stageSessionFile, validateCredentials } from '@pm/core';
import type { Command } from 'commander';
import type { Act, CommandEnv } from '../command.js';
import { connectionDeadlines, prepareServer } from '../connect.js';
import { CommandFailed, UsageError } from '../errors.js';
import { prompt } from '../prompt.js';

export interface LoginOptions {
  apiId?: string;
  apiHash?: string;
  token?: string;
}

export const LOGIN_EXAMPLES = `
Examples:
  $ pm login --session bot.session                          # prompts for what is missing
  $ PM_API_ID=… PM_API_HASH=… PM_BOT_TOKEN=… pm login         # non-interactive
  $ pm login --server 127.0.0.1:40123 --json                 # against a pm testserver, machine-readable`;

export function defineLogin(program: Command, act: Act): void {
  program
    .command('login')
    .description('log in as a bot and write a session file that later commands reuse without the token')
    .option('--api-id <id>', 'api id from my.telegram.org (env PM_API_ID)')
    .option('--api-hash <hash>', 'api hash from my.telegram.org (env PM_API_HASH)')
    .option('--token <token>', 'bot token from @BotFather (env PM_BOT_TOKEN; prefer the env or the prompt)')
    .addHelpText('after', LOGIN_EXAMPLES)
    .action(act<LoginOptions>(login));
}

export async function login({ io, opts, out }: CommandEnv, _args: string[], o: LoginOptions): Promise<void> {
  let apiId = o.apiId ?? io.env.PM_API_ID;
  let apiHash = o.apiHash ?? io.env.PM_API_HASH;
  let token = o.token ?? io.env.PM_BOT_TOKEN;
  if (io.stdin.isTTY) {
    apiId ||= await prompt(io, 'API id: ', false);
    apiHash ||= await prompt(io, 'API hash: ', true);
    token ||= await prompt(io, 'Bot token: ', true);
  }
  if (!apiId || !apiHash || !token) {
    throw new UsageError(
      'missing api id, api hash or bot token (flags, PM_API_ID/PM_API_HASH/PM_BOT_TOKEN, or a terminal to prompt)',
    );
  }
  // A malformed api id, hash or token is a usage error (2), named before any network call; the api id as typed.
  const creds = validateCredentials(apiId.trim(), apiHash.trim(), token);
  prepareServer(opts);
  // Nothing is written before the server accepted the login (it runs on a memory store): a wrong token, an api id
  // unknown to Telegram or a network failure leaves the disk as it was. A refusal is a failure (1).
  const { me, session } = await refusalFails(() =>
    loginBot({
      apiId: creds.apiId,
      apiHash: creds.apiHash,
      botToken: creds.token,
      server: opts.server,
      connection: connectionDeadlines(opts.timeout),
    }),
  );
  // Then the session file, staged (written in full beside its path, not yet in place), and the store the other
  // commands use, created here (empty) so that the commands that only read it, which refuse a store that does not
  // exist, find it after a login. If the store cannot be opened the staged file goes and the session at the path,
  // if any, is untouched; once it is, the file is put in place.
  const staged = await refusalFails(() => stageSessionFile(opts.session, session));
  try {
    const storage = await openStorage(opts.storage);
    await storage.close();
  } catch (e) {
    await staged.discard();
    throw e;
  }
  await refusalFails(() => staged.commit());
  out.result(
    { id: me.id, username: me.username ?? null, session: opts.session },
    `Logged in as @${me.username ?? '(no username)'} (id ${me.id}). Session written to ${opts.session}`,
  );
}

/** pm's own errors of the login (the server's refusal, the network, a session path that cannot be written): exit 1. */
async function refusalFails<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (e) {
    if (e instanceof PmError) throw new CommandFailed(e.code, e.message);
    throw e;
  }
}
