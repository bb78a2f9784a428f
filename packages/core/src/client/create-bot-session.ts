import { PmClient } from '../client.js';
import type { ConnectionOptions } from '../connection/index.js';
import type { ServerAddress } from '../gram/options.js';
import { validateCredentials } from '../session/credentials.js';
import { writeSessionFile } from '../session/session-file.js';
import type { Me } from './options.js';

export interface CreateSessionOptions {
  readonly apiId: number;
  readonly apiHash: string;
  readonly botToken: string;
  /** Where to write the session file (mode 0600). */
  readonly sessionPath: string;
  readonly server?: ServerAddress | undefined;
  /** @default 'memory' — the session file alone is the product of a login */
  readonly storage?: string | undefined;
  /** Deadlines of the connection and of the login call. @default CONNECTION_DEFAULTS */
  readonly connection?: ConnectionOptions | undefined;
}

/**
 * Logs in as a bot and writes a session file that later scripts reuse without the token. This is the code path of
 * `scripts/login.ts`, `pm login` and the demo.
 */
export async function createBotSession(opts: CreateSessionOptions): Promise<Me> {
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
    await writeSessionFile(opts.sessionPath, client.exportSession());
    return me;
  } finally {
    await client.disconnect();
  }
}
