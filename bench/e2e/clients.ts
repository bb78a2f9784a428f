/**
 * The clients the end-to-end benchmarks compare, each logged in as the bot of a test server in another process:
 * - a bare GramJS `TelegramClient` whose Raw event handler counts updates (the least a GramJS bot does);
 * - GramJS + pm: `PmClient` (which runs GramJS underneath) ingesting every user into its peer cache, keeping
 *   dialog state and emitting dialog events, over pm's memory or SQLite storage.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PmClient } from '@pm/core';
import { loopbackSocket, registerTestServerKey } from '@pm/testserver';
import { Api, Logger, LogLevel, StringSession, TelegramClient } from '../../packages/core/src/gram/tl.js';

export const API_ID = 12345;
export const API_HASH = '0123456789abcdef0123456789abcdef';

registerTestServerKey();

const requireFromCore = createRequire(new URL('../../packages/core/package.json', import.meta.url));
const { Raw } = requireFromCore('telegram/events/index.js') as {
  Raw: new (opts: { types?: unknown[] }) => unknown;
};

/** A client under test: counts the bot updates it has fully handled. */
export interface BenchClient {
  readonly handled: () => number;
  /** Resolves a username through whatever the client does for it. */
  resolve(username: string): Promise<unknown>;
  close(): Promise<void>;
}

export type ClientKind = 'gramjs' | 'pm memory' | 'pm sqlite';
export const CLIENT_KINDS: readonly ClientKind[] = ['gramjs', 'pm memory', 'pm sqlite'];

export async function connectGramjs(port: number, token: string): Promise<BenchClient> {
  const client = new TelegramClient(new StringSession(''), API_ID, API_HASH, {
    networkSocket: loopbackSocket({ host: '127.0.0.1', port }),
    useWSS: false,
    autoReconnect: false,
    connectionRetries: 1,
    floodSleepThreshold: 0,
    baseLogger: new Logger(LogLevel.NONE),
  });
  client.session.setDC(2, '127.0.0.1', 443);
  await client.start({ botAuthToken: token });
  // As a careful GramJS bot does: until getMe() has answered once, GramJS's dispatcher calls users.getUsers for
  // every incoming update (all at once in a burst), which would make bare GramJS look several times slower.
  await client.getMe(true);
  let handled = 0;
  client.addEventHandler(
    () => {
      handled++;
    },
    new Raw({ types: [Api.UpdateNewMessage, Api.UpdateBotStopped] }) as never,
  );
  return {
    handled: () => handled,
    resolve: (username) => client.invoke(new Api.contacts.ResolveUsername({ username })),
    close: () => client.destroy(),
  };
}

export async function connectPm(
  port: number,
  token: string,
  storage: 'memory' | 'sqlite',
  dir: string,
): Promise<BenchClient & { client: PmClient }> {
  const client = await PmClient.connect({
    apiId: API_ID,
    apiHash: API_HASH,
    server: { host: '127.0.0.1', port },
    storage: storage === 'memory' ? 'memory' : `sqlite:${join(dir, 'bench.db')}`,
  });
  await client.loginAsBot(token);
  let handled = 0;
  // A bot listens to these; pm builds and emits them only for listeners.
  client.on('dialogStarted', () => {});
  client.on('blocked', () => {});
  client.on('message', () => {});
  client.on('update', (u) => {
    if (u.type === 'message' || u.type === 'botStopped') handled++;
  });
  await client.start();
  return {
    client,
    handled: () => handled,
    resolve: (username) => client.resolvePeer(`@${username}`),
    close: () => client.disconnect(),
  };
}

export function connect(kind: ClientKind, port: number, token: string, dir: string): Promise<BenchClient> {
  switch (kind) {
    case 'gramjs':
      return connectGramjs(port, token);
    case 'pm memory':
      return connectPm(port, token, 'memory', dir);
    case 'pm sqlite':
      return connectPm(port, token, 'sqlite', dir);
  }
}
