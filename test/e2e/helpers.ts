import { PmClient as Client, type PmClient, type PmClientOptions } from '@pm/core';
import { registerTestServerKey, TestServer, type TestServerOptions } from '@pm/testserver';

export { countCommits } from './count-commits.js';

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
