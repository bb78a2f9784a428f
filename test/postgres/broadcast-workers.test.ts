/**
 * Three worker processes split one broadcast through a shared PostgreSQL store (claims with FOR UPDATE SKIP
 * LOCKED and a 500 ms lease); one is SIGKILLed mid-way. Every recipient must get the message exactly once: the
 * dead worker's claims expire and are taken over, and a message it sent without recording is caught by its
 * random_id on resend.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBotSession, PmClient } from '@pm/core';
import { openPostgresStorage } from '@pm/storage-postgres';
import { TestServer } from '@pm/testserver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_HASH, API_ID, eventually } from '../e2e/helpers.js';
import { exited, PG_URL, SKIP_MESSAGE, spawnFixture } from './helpers.js';

const USERS = 240;
const WORKERS = 3;
const TIME_SCALE = 0.5; // 60 msg/s per worker
const LEASE_MS = 500;
const schema = `pm_broadcast_${randomBytes(4).toString('hex')}`;

describe.skipIf(!PG_URL)(PG_URL ? 'broadcast split across worker processes' : SKIP_MESSAGE, () => {
  let tg: TestServer;
  let dir: string;
  beforeAll(async () => {
    tg = await TestServer.start({ timeScale: TIME_SCALE, flood: false });
    dir = await mkdtemp(join(tmpdir(), 'pm-pg-broadcast-'));
  });
  afterAll(async () => {
    await tg?.stop();
    await rm(dir, { recursive: true, force: true });
    const store = await openPostgresStorage({ url: PG_URL as string, schema });
    await store.driver.read(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await store.close();
  });

  it(`sends each of ${USERS} recipients exactly once with ${WORKERS} workers, one killed`, async () => {
    const bot = tg.createBot({ username: 'pm_pg_workers_bot' });
    const sessions = Array.from({ length: WORKERS + 1 }, (_, i) => join(dir, `bot-${i}.session`));
    for (const sessionPath of sessions) {
      await createBotSession({
        apiId: API_ID,
        apiHash: API_HASH,
        botToken: bot.token,
        sessionPath,
        server: { host: tg.host, port: tg.port },
      });
    }
    // The bot sees its users start it, so the shared store knows them before the broadcast.
    const client = await PmClient.connect({
      apiId: API_ID,
      apiHash: API_HASH,
      session: sessions[WORKERS] as string,
      storage: await openPostgresStorage({ url: PG_URL as string, schema }),
      server: { host: tg.host, port: tg.port },
    });
    await client.start();
    const users = Array.from({ length: USERS }, (_, i) => tg.createUser({ firstName: `W${i}` }));
    for (const u of users) u.start();
    await eventually(async () => expect((await client.dialogs.counts()).started).toBe(USERS), 20_000);
    await client.disconnect();

    const workers = sessions
      .slice(0, WORKERS)
      .map((session) =>
        spawnFixture('broadcast-worker.ts', [
          session,
          schema,
          String(tg.port),
          'job-pg',
          String(TIME_SCALE),
          String(LEASE_MS),
        ]),
      );
    const victim = workers[0]!;
    await eventually(
      () => expect((victim.output().match(/^sent /gm) ?? []).length).toBeGreaterThanOrEqual(15),
      20_000,
    );
    victim.child.kill('SIGKILL');
    const codes = await Promise.all(workers.map(({ child }) => exited(child)));
    expect(codes.slice(1), workers.map((w) => w.output()).join('\n---\n')).toEqual([0, 0]);
    const sends = workers.map((w) => (w.output().match(/^sent /gm) ?? []).length);
    const duplicates = workers.map((w) => (w.output().match(/^sent \d+ duplicate$/gm) ?? []).length);

    const counts = users.map((u) => tg.inbox(u).length);
    console.log(
      `postgres broadcast: sends per worker ${sends.join('/')} (worker 0 killed), resends caught as duplicates ${duplicates.join('/')}, recipients ${USERS}`,
    );
    expect(counts.filter((n) => n > 1)).toEqual([]);
    expect(counts.filter((n) => n === 0)).toEqual([]);
    expect(sends[1]! + sends[2]!).toBeGreaterThan(0);
    const store = await openPostgresStorage({ url: PG_URL as string, schema });
    expect(await store.broadcasts.counts('job-pg')).toMatchObject({ total: USERS, sent: USERS, pending: 0 });
    await store.close();
  }, 60_000);
});
