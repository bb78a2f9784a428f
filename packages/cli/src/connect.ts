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

/**
 * How a command uses the store. One that only reads it (a report, an export, a lookup) refuses a store that does not
 * exist (STORAGE_NOT_FOUND naming it; nothing is created): an empty store made at a mistyped path would be a silent
 * wrong answer. One that writes (login, import, send, broadcast, sync) creates it.
 */
export type StoreUse = 'reads' | 'writes';

/** Connects with the session file written by `pm login` (API id and hash come from it too). */
export async function openClient(opts: GlobalOptions, use: StoreUse): Promise<PmClient> {
  prepareServer(opts);
  const session = await readSessionFile(opts.session);
  // Opened here so that a reader's store must exist; the client closes it on disconnect, or if connecting fails.
  const storage = await openStorage(opts.storage, { create: use === 'writes' });
  const client = await PmClient.connect({
    apiId: session.apiId,
    apiHash: session.apiHash,
    session: opts.session,
    storage,
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
export async function withClient<T>(
  opts: GlobalOptions,
  use: StoreUse,
  fn: (client: PmClient) => Promise<T>,
): Promise<T> {
  const client = await openClient(opts, use);
  try {
    return await fn(client);
  } finally {
    await client.disconnect().catch(() => {});
  }
}

/** Runs `fn` with the store alone (no session, no network) and always closes it. */
export async function withStorage<T>(
  opts: GlobalOptions,
  use: StoreUse,
  fn: (storage: StorageProvider) => Promise<T>,
): Promise<T> {
  const storage = await openStorage(opts.storage, { create: use === 'writes' });
  try {
    return await fn(storage);
  } finally {
    await storage.close();
  }
}

/** `--timeout` as the client's deadlines: each call, and each connection attempt (10 s at most, as by default). */
export function connectionDeadlines(seconds: number | undefined): ConnectionOptions | undefined {
  if (seconds === undefined) return undefined;
  const ms = Math.round(seconds * 1000);
  return { callTimeoutMs: ms, connectTimeoutMs: Math.min(ms, CONNECTION_DEFAULTS.connectTimeoutMs) };
}
