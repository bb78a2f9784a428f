import type { PmClient } from '@pm/core';
import type { TestServer } from '@pm/testserver';
import { afterEach, describe, expect, it } from 'vitest';
import { connectBot, eventually, startWorld } from './helpers.js';

let tg: TestServer;
let client: PmClient;

afterEach(async () => {
  await client?.disconnect().catch(() => {});
  await tg?.stop();
});

async function setup(
  opts: { timeScale?: number; flood?: false | undefined; maxFloodWaitSeconds?: number } = {},
) {
  const world = await startWorld({
    timeScale: opts.timeScale ?? 0.01,
    ...(opts.flood === false ? { flood: false } : { flood: {} }),
  });
  tg = world.tg;
  client = await connectBot(tg, world.bot.token, {
    limits: { timeScale: opts.timeScale ?? 0.01 },
    ...(opts.maxFloodWaitSeconds !== undefined ? { maxFloodWaitSeconds: opts.maxFloodWaitSeconds } : {}),
  });
  return world;
}

describe('send', () => {
  it('delivers a message to a user who started the bot, by id and by @username', async () => {
    await setup();
    const ann = tg.createUser({ firstName: 'Ann', username: 'ann_send' });
    ann.start();
    await eventually(async () => expect(await client.dialogs.get(ann.id)).toBeDefined());
    const r1 = await client.send(ann.id, 'hello');
    const r2 = await client.send('@ann_send', { text: '<b>bold</b> move', parseMode: 'html', silent: true });
    expect(r1).toMatchObject({ ok: true, peerId: ann.id });
    expect(r2.ok).toBe(true);
    const r3 = await client.send(ann.id, {
      text: 'menu',
      buttons: [
        [
          { text: 'Site', url: 'https://example.com' },
          { text: 'Yes', data: 'yes' },
        ],
      ],
    });
    expect(r3.ok).toBe(true);
    expect(tg.inbox(ann).map((m) => m.text)).toEqual(['hello', 'bold move', 'menu']);
  });

  it('answers typed reasons: blocked, notStarted, isBot, deactivated, notSeen', async () => {
    await setup();
    const blocker = tg.createUser({ firstName: 'B' });
    blocker.start();
    blocker.block();
    const stranger = tg.createUser({ firstName: 'S', username: 'stranger_pm' });
    const otherBot = tg.createUser({ firstName: 'O', username: 'other_send_bot', bot: true });
    const gone = tg.createUser({ firstName: 'G' });
    gone.start();
    await eventually(async () => expect((await client.dialogs.get(blocker.id))?.blocked).toBe(true));
    await eventually(async () => expect(await client.dialogs.get(gone.id)).toBeDefined());
    gone.deleteAccount();
    await client.resolveUser('@stranger_pm');
    await client.resolveUser('@other_send_bot');

    expect(await client.send(blocker.id, 'x')).toMatchObject({ ok: false, reason: 'blocked' });
    expect(await client.send(stranger.id, 'x')).toMatchObject({ ok: false, reason: 'notStarted' });
    const before = tg.stats().rpc['messages.SendMessage'] ?? 0;
    expect(await client.send(otherBot.id, 'x')).toMatchObject({ ok: false, reason: 'isBot' });
    expect(tg.stats().rpc['messages.SendMessage'] ?? 0).toBe(before);
    expect(await client.send(gone.id, 'x')).toMatchObject({ ok: false, reason: 'deactivated' });
    expect(await client.send(123456789n, 'x')).toEqual({ ok: false, reason: 'notSeen' });
    expect(await client.send('@nobody_has_this', 'x')).toEqual({ ok: false, reason: 'notFound' });
    expect(tg.inbox(blocker)).toHaveLength(0);
  });

  it('answers two refusals that arrive in one container (GramJS drops the second without pm)', async () => {
    await setup();
    const a = tg.createUser({ firstName: 'A', username: 'refuse_a' });
    const b = tg.createUser({ firstName: 'B', username: 'refuse_b' });
    await client.resolveUser('@refuse_a');
    await client.resolveUser('@refuse_b');
    const both = await Promise.all([
      client.send(a.id, 'x'),
      client.send(b.id, 'y'),
      client.canMessage(a.id),
      client.canMessage(b.id),
    ]);
    expect(both.map((r) => (r.ok ? 'ok' : r.reason))).toEqual([
      'notStarted',
      'notStarted',
      'notStarted',
      'notStarted',
    ]);
  });

  it('refuses a text over 4096 characters after entity parsing before the network', async () => {
    await setup();
    const u = tg.createUser({ firstName: 'L' });
    u.start();
    await eventually(async () => expect(await client.dialogs.get(u.id)).toBeDefined());
    const calls = tg.stats().rpc['messages.SendMessage'] ?? 0;
    expect(await client.send(u.id, 'x'.repeat(4097))).toEqual({ ok: false, reason: 'tooLong' });
    expect(await client.send(u.id, '   ')).toEqual({ ok: false, reason: 'empty' });
    expect(tg.stats().rpc['messages.SendMessage'] ?? 0).toBe(calls);
    // 4096 characters of text wrapped in tags is within the limit
    expect((await client.send(u.id, { text: `<i>${'y'.repeat(4096)}</i>`, parseMode: 'html' })).ok).toBe(
      true,
    );
  });

  it('makes a retry with the same random_id safe: the second send is reported as a duplicate', async () => {
    await setup();
    const u = tg.createUser({ firstName: 'R' });
    u.start();
    await eventually(async () => expect(await client.dialogs.get(u.id)).toBeDefined());
    const first = await client.send(u.id, { text: 'once', randomId: 42n });
    const again = await client.send(u.id, { text: 'once', randomId: 42n });
    expect(first).toMatchObject({ ok: true });
    expect(again).toMatchObject({ ok: true, duplicate: true });
    expect(tg.inbox(u)).toHaveLength(1);
  });

  it('honours a forced FLOOD_WAIT and sends after it, or reports floodWait beyond the maximum', async () => {
    await setup({ maxFloodWaitSeconds: 10 });
    const u = tg.createUser({ firstName: 'F' });
    u.start();
    await eventually(async () => expect(await client.dialogs.get(u.id)).toBeDefined());
    tg.forceFloodWait(1, 3, ['messages.SendMessage']);
    const t0 = Date.now();
    expect((await client.send(u.id, 'after wait')).ok).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25); // 3 Telegram-seconds at timeScale 0.01
    tg.forceFloodWait(1, 30, ['messages.SendMessage']);
    expect(await client.send(u.id, 'too long a wait')).toMatchObject({
      ok: false,
      reason: 'floodWait',
      retryAfter: 30,
    });
    expect(tg.inbox(u).map((m) => m.text)).toEqual(['after wait']);
  });

  it('keeps the testserver from ever answering FLOOD_WAIT under the default limits', async () => {
    // Time-scaled ×4 only: under heavier scaling an event-loop stall of a few ms is a Telegram-second.
    await setup({ timeScale: 0.25 });
    const users = Array.from({ length: 40 }, (_, i) => tg.createUser({ firstName: `U${i}` }));
    for (const u of users) u.start();
    await eventually(async () => expect((await client.dialogs.counts()).started).toBe(40));
    const results = await Promise.all(
      users.flatMap((u) => [client.send(u.id, 'a'), client.send(u.id, 'b'), client.send(u.id, 'c')]),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    expect(tg.stats().floodWaits).toBe(0);
    expect(tg.stats().messagesSent).toBe(120);
  });
});
