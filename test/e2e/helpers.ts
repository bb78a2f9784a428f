import { PmClient as Client, type PmClient, type PmClientOptions, type StorageProvider } from '@pm/core';
import { registerTestServerKey, TestServer, type TestServerOptions } from '@pm/testserver';

export const API_ID = 12345;
export const API_HASH = '0123456789abcdef0123456789abcdef';

registerTestServerKey();

export async function startWorld(opts: TestServerOptions = {}) {
  const tg = await TestServer.start({ flood: false, ...opts });
  const bot = tg.createBot({ username: 'pm_test_bot', firstName: 'PM Test' });
  return { tg, bot };
}

export async function connectBot(
  tg: TestServer,
  token: string | undefined,
  opts: Partial<PmClientOptions> = {},
  start = true,
): Promise<PmClient> {
  const client = await Client.connect({
    apiId: API_ID,
    apiHash: API_HASH,
    server: { host: tg.host, port: tg.port },
    storage: 'memory',
    ...opts,
  });
  if (token) await client.loginAsBot(token);
  if (start && client.loggedIn) await client.start();
  return client;
}

/** Waits until `check` passes (updates travel over TCP), polling briefly. */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 5000): Promise<T> {
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      last = e;
    }
    if (Date.now() - start > timeoutMs) throw last;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Counts the commits a storage provider makes: its transactions, and the dialog and update state writes made
 * outside one (each its own transaction). Installed on the provider itself (own properties over its methods).
 */
export function countCommits(storage: StorageProvider): () => number {
  let commits = 0;
  const transaction = storage.transaction.bind(storage);
  const upsertDialogs = storage.dialogs.upsertMany.bind(storage.dialogs);
  const setState = storage.state.set.bind(storage.state);
  Object.assign(storage, {
    transaction: async (op: Parameters<StorageProvider['transaction']>[0]) => {
      const r = await transaction(op);
      commits++;
      return r;
    },
  });
  Object.assign(storage.dialogs, {
    upsertMany: async (...a: Parameters<typeof upsertDialogs>) => {
      await upsertDialogs(...a);
      commits++;
    },
  });
  Object.assign(storage.state, {
    set: async (...a: Parameters<typeof setState>) => {
      await setState(...a);
      commits++;
    },
  });
  return () => commits;
}
