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
    await eventually(async () => expect((await client.dialogs.counts()).started).toBe(USERS), 60_000);
    await client.disconnect();

    const spawnWorker = (session: string) =>
      spawnFixture('broadcast-worker.ts', [
        session,
        schema,
        String(tg.port),
        'job-pg',
        String(TIME_SCALE),
        String(LEASE_MS),
      ]);
    const sentBy = (w: { output(): string }) => (w.output().match(/^sent /gm) ?? []).length;
    // All three run at once; the first to have sent 15 is killed, mid-broadcast whatever the machine's load (a
    // fixed victim could be starved by the others and never reach 15).
    const workers = sessions.slice(0, WORKERS).map(spawnWorker);
    let victimIndex = -1;
    await eventually(() => {
      victimIndex = workers.findIndex((w) => sentBy(w) >= 15);
      expect(victimIndex).toBeGreaterThanOrEqual(0);
    }, 60_000);
    const victim = workers[victimIndex]!;
    const survivors = workers.filter((w) => w !== victim);
    expect(victim.child.exitCode).toBeNull(); // still running: the kill lands mid-broadcast
    victim.child.kill('SIGKILL');
    const codes = await Promise.all(survivors.map(({ child }) => exited(child)));
    await exited(victim.child);
    expect(codes, workers.map((w) => w.output()).join('\n---\n')).toEqual([0, 0]);
    expect(victim.child.signalCode).toBe('SIGKILL');
    const sends = workers.map(sentBy);
    const duplicates = workers.map((w) => (w.output().match(/^sent \d+ duplicate$/gm) ?? []).length);

    const counts = users.map((u) => tg.inbox(u).length);
    console.log(
      `postgres broadcast: sends per worker ${sends.join('/')} (worker ${victimIndex} killed), resends caught as duplicates ${duplicates.join('/')}, recipients ${USERS}`,
    );
    expect(counts.filter((n) => n > 1)).toEqual([]);
    expect(counts.filter((n) => n === 0)).toEqual([]);
    expect(survivors.map(sentBy).reduce((a, b) => a + b)).toBeGreaterThan(0);
    const store = await openPostgresStorage({ url: PG_URL as string, schema });
    expect(await store.broadcasts.counts('job-pg')).toMatchObject({ total: USERS, sent: USERS, pending: 0 });
    await store.close();
  }, 240_000); // generous: under a loaded machine the processes start slowly
});
