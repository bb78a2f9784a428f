import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBotSession, openSqliteStorage, PmClient } from '@pm/core';
import { TestServer } from '@pm/testserver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_HASH, API_ID, eventually } from '../e2e/helpers.js';

const CHILD = join(import.meta.dirname, 'fixtures', 'broadcast-child.ts');
const TIME_SCALE = 0.2; // Telegram's 30 msg/s becomes 150/s on both sides: 300 recipients take 2 s
const USERS = 300;
const KILLS = 8;

let tg: TestServer;
let dir: string;

beforeAll(async () => {
  tg = await TestServer.start({ timeScale: TIME_SCALE, flood: {} });
  dir = await mkdtemp(join(tmpdir(), 'pm-faults-'));
});
afterAll(async () => {
  await tg.stop();
  await rm(dir, { recursive: true, force: true });
});

/**
 * Runs the broadcasting child. With `kill`, SIGKILLs it at a random point: after `afterSends` recipients were
 * reported sent plus `jitterMs` (so the kill lands between a send and its bookkeeping), or after `atMs` from spawn
 * (during start-up or preparation).
 */
function runChild(
  args: string[],
  kill?: { afterSends: number; jitterMs: number } | { atMs: number },
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let sends = 0;
    let timer: NodeJS.Timeout | undefined;
    const killSoon = (ms: number) => {
      timer ??= setTimeout(() => child.kill('SIGKILL'), ms);
    };
    if (kill && 'atMs' in kill) killSoon(kill.atMs);
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      sends += (d.toString().match(/^sent /gm) ?? []).length;
      if (kill && 'afterSends' in kill && sends >= kill.afterSends) killSoon(kill.jitterMs);
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('exit', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('broadcast under kill -9', () => {
  it(`sends each of ${USERS} recipients exactly once across ${KILLS} kills at random moments`, async () => {
    const bot = tg.createBot({ username: 'pm_fault_bot' });
    const session = join(dir, 'bot.session');
    const db = join(dir, 'bot.db');
    await createBotSession({
      apiId: API_ID,
      apiHash: API_HASH,
      botToken: bot.token,
      sessionPath: session,
      server: { host: tg.host, port: tg.port },
    });

    // The bot sees its users start it, so the store knows them (and their access hashes) before broadcasting.
    const client = await PmClient.connect({
      apiId: API_ID,
      apiHash: API_HASH,
      session,
      storage: `sqlite:${db}`,
      server: { host: tg.host, port: tg.port },
    });
    await client.start();
    const users = Array.from({ length: USERS }, (_, i) => tg.createUser({ firstName: `R${i}` }));
    for (const u of users) u.start();
    await eventually(async () => expect((await client.dialogs.counts()).started).toBe(USERS), 20_000);
    await client.disconnect();

    const args = [session, db, String(tg.port), 'job-1', String(TIME_SCALE)];
    tg.resetStats();
    let killed = 0;
    let sentBeforeKills = 0;
    let dedupedByServer = 0;
    for (let i = 0; i < KILLS; i++) {
      const kill =
        Math.random() < 0.25
          ? { atMs: 100 + Math.floor(Math.random() * 700) }
          : { afterSends: Math.floor(Math.random() * 40), jitterMs: Math.floor(Math.random() * 15) };
      const r = await runChild(args, kill);
      if (r.code === null) killed++;
      sentBeforeKills += (r.out.match(/^sent /gm) ?? []).length;
      dedupedByServer += (r.out.match(/^sent \d+ duplicate$/gm) ?? []).length;
      if (r.out.includes('done ')) break;
    }
    const last = await runChild(args);
    dedupedByServer += (last.out.match(/^sent \d+ duplicate$/gm) ?? []).length;
    expect(last.code, last.out).toBe(0);
    expect(last.out).toMatch(/done \{"sent":300,"skipped":0,"pending":0\}/);

    const counts = users.map((u) => tg.inbox(u).length);
    const twice = counts.filter((n) => n > 1).length;
    const never = counts.filter((n) => n === 0).length;
    const stats = tg.stats();
    // What the server refused as a resend of a random_id it already had: the sends whose bookkeeping a kill
    // interrupted. Exactly-once rests on these; the children only report the ones they lived to see.
    const refusedByServer = stats.errors.RANDOM_ID_DUPLICATE ?? 0;
    console.log(
      `broadcast fault test: ${killed} kills, ${sentBeforeKills} sends reported before the final run, ${refusedByServer} resends refused by the server as RANDOM_ID_DUPLICATE (${dedupedByServer} reported by the bot), ${stats.messagesSent} messages accepted, ${USERS} recipients, duplicates ${twice}, missing ${never}, flood waits ${stats.floodWaits}`,
    );
    // The kills landed, and in the middle of the broadcast (sends happened before the final run).
    expect(killed).toBeGreaterThanOrEqual(KILLS - 1);
    expect(sentBeforeKills).toBeGreaterThan(0);
    expect(twice).toBe(0);
    expect(never).toBe(0);
    expect(stats.messagesSent).toBe(USERS);
    expect(refusedByServer).toBeGreaterThanOrEqual(dedupedByServer);
    // A restarted process starts with a fresh limiter, so a FLOOD_WAIT is possible here; it is honoured, not fatal.

    const store = await openSqliteStorage({ path: db });
    expect(await store.broadcasts?.counts('job-1')).toMatchObject({ total: USERS, sent: USERS, pending: 0 });
    await store.close();
  }, 120_000);
});
