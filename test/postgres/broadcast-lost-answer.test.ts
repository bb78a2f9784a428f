/**
 * A claim whose answer never arrives: PostgreSQL runs the claim (the recipients are now this worker's), then the
 * connection dies before the answer reaches pm. pm retries the statement on a new connection and gets other
 * recipients; the first ones stay claimed by this worker, which never sends to them. The broadcast must still send
 * to every recipient exactly once, and end: it used to poll for them forever (its own claims are never taken over
 * by itself, and another worker would wait out the lease).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBotSession, PmClient } from '@pm/core';
import { openPostgresStorage } from '@pm/storage-postgres';
import { TestServer } from '@pm/testserver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_HASH, API_ID, eventually } from '../e2e/helpers.js';
import { PG_URL, SKIP_MESSAGE } from './helpers.js';

const USERS = 12;
const schema = `pm_lost_claim_${randomBytes(4).toString('hex')}`;
/** The end of a server's answer: ReadyForQuery ('Z', length 5); PostgreSQL has committed by the time it sends it. */
const READY = Buffer.from([0x5a, 0, 0, 0, 5]);

/**
 * A TCP proxy to PostgreSQL that, once armed, lets the next statement containing `armedOn` reach the server, lets
 * it run to its end, and cuts the connection instead of passing the answer on.
 */
class AnswerEater {
  armedOn: string | null = null;
  eaten = 0;
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  constructor(target: { host: string; port: number }) {
    this.#server = net.createServer((socket) => {
      const upstream = net.connect(target.port, target.host);
      for (const s of [socket, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => {});
      }
      let eating: Buffer | null = null;
      socket.on('data', (chunk: Buffer) => {
        if (this.armedOn !== null && chunk.includes(this.armedOn)) {
          this.armedOn = null;
          eating = Buffer.alloc(0);
        }
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => {
        if (eating === null) {
          socket.write(chunk);
          return;
        }
        eating = Buffer.concat([eating, chunk]);
        if (eating.includes(READY)) {
          this.eaten++;
          socket.destroy();
          upstream.destroy();
        }
      });
    });
  }
  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return (this.#server.address() as net.AddressInfo).port;
  }
  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

describe.skipIf(!PG_URL)(PG_URL ? 'a broadcast claim whose answer is lost' : SKIP_MESSAGE, () => {
  let tg: TestServer;
  let dir: string;
  let proxy: AnswerEater;
  beforeAll(async () => {
    tg = await TestServer.start({ flood: false });
    dir = await mkdtemp(join(tmpdir(), 'pm-pg-lost-claim-'));
    const url = new URL(PG_URL as string);
    proxy = new AnswerEater({ host: url.hostname, port: Number(url.port || 5432) });
  });
  afterAll(async () => {
    await proxy?.close();
    await tg?.stop();
    await rm(dir, { recursive: true, force: true });
    const store = await openPostgresStorage({ url: PG_URL as string, schema });
    await store.driver.read(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await store.close();
  });

  it('sends to every recipient exactly once and ends', async () => {
    const via = new URL(PG_URL as string);
    via.port = String(await proxy.listen());
    const bot = tg.createBot({ username: 'pm_pg_lost_claim_bot' });
    const session = join(dir, 'bot.session');
    await createBotSession({
      apiId: API_ID,
      apiHash: API_HASH,
      botToken: bot.token,
      sessionPath: session,
      server: { host: tg.host, port: tg.port },
    });
    const client = await PmClient.connect({
      apiId: API_ID,
      apiHash: API_HASH,
      session,
      storage: await openPostgresStorage({ url: via.toString(), schema, retryBaseDelayMs: 10 }),
      server: { host: tg.host, port: tg.port },
    });
    try {
      await client.start();
      const users = Array.from({ length: USERS }, (_, i) => tg.createUser({ firstName: `L${i}` }));
      for (const u of users) u.start();
      await eventually(async () => expect((await client.dialogs.counts()).started).toBe(USERS), 60_000);

      proxy.armedOn = 'SKIP LOCKED'; // the first claim runs, and its answer is lost
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
      expect(proxy.eaten).toBe(1);
      expect(report).toMatchObject({ total: USERS, sent: USERS, pending: 0, interrupted: false });
      expect(users.map((u) => tg.inbox(u).length)).toEqual(users.map(() => 1));
    } finally {
      await client.disconnect();
    }
  }, 120_000);
});
