import { BroadcastError, type BroadcastProgress, FloodWaitError, type PmClient } from '@pm/core';
import type { TestServer } from '@pm/testserver';
import { afterEach, describe, expect, it } from 'vitest';
import { connectBot, eventually, startWorld } from './helpers.js';

let tg: TestServer;
let client: PmClient;

afterEach(async () => {
  await client?.disconnect().catch(() => {});
  await tg?.stop();
});

async function world(n: number, opts: { usernameTrustWindowMs?: number; usernames?: string } = {}) {
  const w = await startWorld({ timeScale: 0.01, flood: {} });
  tg = w.tg;
  client = await connectBot(tg, w.bot.token, {
    limits: { timeScale: 0.01 },
    usernameTrustWindowMs: opts.usernameTrustWindowMs,
  });
  const users = Array.from({ length: n }, (_, i) =>
    tg.createUser({ firstName: `B${i}`, username: opts.usernames && `${opts.usernames}${i}` }),
  );
  for (const u of users) u.start();
  await eventually(async () => expect((await client.dialogs.counts()).started).toBe(n));
  return users;
}

describe('broadcast', () => {
  it('sends to everyone who started and has not blocked, once each, with progress and a report', async () => {
    const users = await world(30);
    users[3]!.block();
    await eventually(async () => expect((await client.dialogs.get(users[3]!.id))?.blocked).toBe(true));
    const b = client.broadcast({
      id: 'news-1',
      text: 'Big news',
      recipients: { dialogs: { started: true, blocked: false } },
    });
    const progress: BroadcastProgress[] = [];
    b.on('progress', (p) => {
      progress.push(p);
    });
    const report = await b.done;
    expect(report).toMatchObject({ total: 29, sent: 29, skipped: 0, pending: 0, interrupted: false });
    expect(users.map((u) => tg.inbox(u).length)).toEqual(users.map((_, i) => (i === 3 ? 0 : 1)));
    expect(progress.at(-1)).toMatchObject({ total: 29, sent: 29, pending: 0 });
    expect(tg.stats().floodWaits).toBe(0);
  });

  it('reports skipped recipients by reason', async () => {
    const users = await world(3);
    const bot = tg.createUser({ firstName: 'Other', username: 'other_bc_bot', bot: true });
    const stranger = tg.createUser({ firstName: 'Stranger', username: 'stranger_bc' });
    users[0]!.block();
    await eventually(async () => expect((await client.dialogs.get(users[0]!.id))?.blocked).toBe(true));
    const b = client.broadcast({
      id: 'mixed',
      text: 'hi',
      recipients: [...users.map((u) => u.id), '@other_bc_bot', '@stranger_bc', '@nobody_at_all', 999999n],
    });
    const report = await b.done;
    expect(report.sent).toBe(2);
    expect(report.skippedByReason).toEqual({ blocked: 1, isBot: 1, notStarted: 1, notSeen: 1 });
    expect(report.unresolved).toEqual(['@nobody_at_all']);
    expect(tg.inbox(stranger)).toHaveLength(0);
    expect(bot.id).toBeDefined();
  });

  it('sits out a flood wait on looking up a recipient, and stops, resumable, at one past the limit', async () => {
    // Every username looked up with Telegram (no trust in the cache), so each recipient is a contacts.resolveUsername.
    const users = await world(2, { usernameTrustWindowMs: 0, usernames: 'flood_bc_' });
    const named = users.map((_, i) => `@flood_bc_${i}`);
    // Within maxFloodWaitSeconds (60): waited out (0.3 s real at this time scale), nobody left out.
    tg.forceFloodWait(1, 30, ['contacts.ResolveUsername']);
    const first = await client.broadcast({ id: 'flood-ok', text: 'one', recipients: [named[0]!] }).done;
    expect(first).toMatchObject({ sent: 1, unresolved: [] });
    // Past it: the preparation stops with a typed error naming the recipient; nobody is marked unresolved or sent to.
    tg.forceFloodWait(1, 3600, ['contacts.ResolveUsername']);
    const stopped = client.broadcast({ id: 'flood-long', text: 'two', recipients: named }).done;
    await expect(stopped).rejects.toBeInstanceOf(BroadcastError);
    await expect(stopped).rejects.toThrow(
      /looking up recipient @flood_bc_\d failed \(FloodWaitError: .*run it again/,
    );
    const cause = await stopped.catch((e: Error) => e.cause);
    expect(cause).toBeInstanceOf(FloodWaitError);
    expect(tg.inbox(users[1]!).map((m) => m.text)).toEqual([]);
    // A concurrency that is not a count is refused at once, naming it (NaN polled for good, sending nothing).
    expect(() =>
      client.broadcast({ id: 'nan', text: 'x', recipients: named, concurrency: Number.NaN }),
    ).toThrow(new RangeError('concurrency must be a whole number >= 1, got NaN'));
    // Run again with the same recipients: each gets it once.
    const again = await client.broadcast({ id: 'flood-long', text: 'two', recipients: named }).done;
    expect(again).toMatchObject({ total: 2, sent: 2, unresolved: [] });
    expect(users.map((u) => tg.inbox(u).filter((m) => m.text === 'two').length)).toEqual([1, 1]);
  });

  it('resumes an interrupted broadcast without sending anyone twice', async () => {
    const users = await world(60);
    const ac = new AbortController();
    const b = client.broadcast({
      id: 'resume-me',
      text: 'part two',
      recipients: { dialogs: { started: true } },
      concurrency: 4,
      signal: ac.signal,
    });
    let n = 0;
    b.on('sent', () => {
      if (++n === 20) ac.abort();
    });
    const first = await b.done;
    expect(first.interrupted).toBe(true);
    expect(first.sent).toBeGreaterThanOrEqual(20);
    expect(first.sent).toBeLessThan(60);
    const again = await (await client.resumeBroadcast('resume-me')).done;
    expect(again).toMatchObject({ total: 60, sent: 60, pending: 0, interrupted: false });
    expect(users.every((u) => tg.inbox(u).length === 1)).toBe(true);
  });

  it('refuses to reuse a job id for a different text', async () => {
    await world(1);
    await client.broadcast({ id: 'same', text: 'one', recipients: [] }).done;
    await expect(client.broadcast({ id: 'same', text: 'two', recipients: [] }).done).rejects.toThrow(
      /different text/,
    );
  });
});
