/**
 * A claim whose answer never arrives: PostgreSQL runs the claim (the recipients are now this worker's), then the
 * connection dies before the answer reaches pm. pm retries the statement on a new connection and gets other
 * recipients; the first ones stay claimed by this worker, which never sends to them. The broadcast must still send
 * to every recipient exactly once, and end: it used to poll for them forever (its own claims are never taken over
 * by itself, and another worker would wait out the lease).
 */
import { randomBytes } from 'node:crypto';
import { openPostgresStorage } from '@pm/storage-postgres';
import { TestServer } from '@pm/testserver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, TcpProxy } from '../../packages/storage-postgres/test/tcp-proxy.js';
import { connectBot, eventually } from '../e2e/helpers.js';
import { PG_URL, SKIP_MESSAGE } from './helpers.js';

const USERS = 12;
const schema = `pm_lost_claim_${randomBytes(4).toString('hex')}`;
describe.skipIf(!PG_URL)(PG_URL ? 'a broadcast claim whose answer is lost' : SKIP_MESSAGE, () => {
  let tg: TestServer;
  let proxy: TcpProxy;
  beforeAll(async () => {
    tg = await TestServer.start({ flood: false });
    const url = new URL(PG_URL as string);
    proxy = new TcpProxy(await freePort(), { host: url.hostname, port: Number(url.port || 5432) });
    await proxy.up();
  });
  afterAll(async () => {
    await proxy?.down();
    await tg?.stop();
    const store = await openPostgresStorage({ url: PG_URL as string, schema });
    await store.driver.read(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await store.close();
  });

  it('sends to every recipient exactly once and ends', async () => {
    const via = new URL(PG_URL as string);
    via.port = String(proxy.port);
    const bot = tg.createBot({ username: 'pm_pg_lost_claim_bot' });
    const storage = await openPostgresStorage({ url: via.toString(), schema, retryBaseDelayMs: 10 });
    const client = await connectBot(tg, bot.token, { storage });
    try {
      const users = Array.from({ length: USERS }, (_, i) => tg.createUser({ firstName: `L${i}` }));
      for (const u of users) u.start();
      await eventually(async () => expect((await client.dialogs.counts()).started).toBe(USERS), 60_000);

      proxy.loseAnswerTo = 'SKIP LOCKED'; // the first claim runs, and its answer is lost
      // A lease far longer than the test: the lost claim's recipients can only come back by pm noticing them.
      const b = client.broadcast({
        id: 'lost-claim',
        text: 'hello once',
        recipients: { dialogs: { started: true } },
        concurrency: 2,
        leaseMs: 3_600_000,
      });
      let timer: NodeJS.Timeout | undefined;
      const report = await Promise.race([
        b.done,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('the broadcast did not end within 30 s')), 30_000);
        }),
      ]).finally(() => clearTimeout(timer));
      expect(proxy.answersLost).toBe(1);
      expect(report).toMatchObject({ total: USERS, sent: USERS, pending: 0, interrupted: false });
      expect(users.map((u) => tg.inbox(u).length)).toEqual(users.map(() => 1));
    } finally {
      await client.disconnect();
    }
  }, 120_000);
});
