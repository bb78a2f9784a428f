/**
 * Opening what commands work on: a logged-in client from the session file (never the token), or the storage
 * alone for the offline `peers` commands.
 */
import {
  CONNECTION_DEFAULTS,
  type ConnectionOptions,
  NotLoggedInError,
  openStorage,
  PmClient,
  readSessionFile,
  type StorageProvider,
} from '@pm/core';
import { registerTestServerKey } from '@pm/testserver';
import type { GlobalOptions } from './global-options.js';

/** The testserver's RSA key must be known to GramJS in any process that runs a key exchange with it. */
export function prepareServer(opts: GlobalOptions): void {
  if (opts.server) registerTestServerKey();
}

/** Connects with the session file written by `pm login` (API id and hash come from it too). */
export async function openClient(opts: GlobalOptions): Promise<PmClient> {
  prepareServer(opts);
  const session = await readSessionFile(opts.session);
  const client = await PmClient.connect({
    apiId: session.apiId,
    apiHash: session.apiHash,
    session: opts.session,
    storage: opts.storage,
    server: opts.server,
    connection: connectionDeadlines(opts.timeout),
  });
  if (!client.loggedIn) {
    await client.disconnect();
    throw new NotLoggedInError();
  }
  return client;
}

/** Runs `fn` with a connected client and always disconnects (which flushes the peer cache). */
export async function withClient<T>(opts: GlobalOptions, fn: (client: PmClient) => Promise<T>): Promise<T> {
  const client = await openClient(opts);
  try {
    return await fn(client);
  } finally {
    await client.disconnect().catch(() => {});
  }
}

export async function withStorage<T>(
  opts: GlobalOptions,
  fn: (storage: StorageProvider) => Promise<T>,
): Promise<T> {
  const storage = await openStorage(opts.storage);
  try {
    return await fn(storage);
  } finally {
    await storage.close();
  }
}

/** `--timeout` as the client's deadlines: each call, and each connection attempt (10 s at most, as by default). */
function connectionDeadlines(seconds: number | undefined): ConnectionOptions | undefined {
  if (seconds === undefined) return undefined;
  const ms = Math.round(seconds * 1000);
  return { callTimeoutMs: ms, connectTimeoutMs: Math.min(ms, CONNECTION_DEFAULTS.connectTimeoutMs) };
}
