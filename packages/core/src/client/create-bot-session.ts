import { PmClient } from '../client.js';
import type { ConnectionOptions } from '../connection/index.js';
import type { ServerAddress } from '../gram/options.js';
import { validateCredentials } from '../session/credentials.js';
import { type SessionData, writeSessionFile } from '../session/session-file.js';
import type { Me } from './options.js';

export interface LoginBotOptions {
  readonly apiId: number;
  readonly apiHash: string;
  readonly botToken: string;
  readonly server?: ServerAddress | undefined;
  /** The store the login runs on. @default 'memory' — nothing on disk: the session alone is the product of a login */
  readonly storage?: string | undefined;
  /** Deadlines of the connection and of the login call. @default CONNECTION_DEFAULTS */
  readonly connection?: ConnectionOptions | undefined;
}

export interface CreateSessionOptions extends LoginBotOptions {
  /** Where to write the session file (mode 0600). */
  readonly sessionPath: string;
}

/** What a login accepted by the server gives: the bot, and the session to save (secret: the auth key is the login). */
export interface BotLogin {
  readonly me: Me;
  readonly session: SessionData;
}

/**
 * Logs in as a bot and returns the session without writing anything (on the default memory store): a login the
 * server refuses, or a network that fails during it, leaves the disk as it was. The caller saves the session
 * ({@link writeSessionFile}, or staged with stageSessionFile when something else is to be created with it).
 */
export async function loginBot(opts: LoginBotOptions): Promise<BotLogin> {
  const { apiId, apiHash, token } = validateCredentials(opts.apiId, opts.apiHash, opts.botToken);
  const client = await PmClient.connect({
    apiId,
    apiHash,
    storage: opts.storage ?? 'memory',
    server: opts.server,
    connection: opts.connection,
  });
  try {
    const me = await client.loginAsBot(token);
    return { me, session: client.exportSession() };
  } finally {
    await client.disconnect();
  }
}

/**
 * Logs in as a bot and writes a session file that later scripts reuse without the token; the file is written only
 * once the server accepted the login. The code path of the demo and the fault tests; `pm login` (and
 * `scripts/login.ts`, which runs it) uses {@link loginBot} and stages the file, to create the store with it.
 */
export async function createBotSession(opts: CreateSessionOptions): Promise<Me> {
  const { me, session } = await loginBot(opts);
  await writeSessionFile(opts.sessionPath, session);
  return me;
}
