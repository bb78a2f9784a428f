/**
 * `pm user` says when the dialog state is unknown (no bot process has consumed updates with the storage), and
 * `pm sync` catches up on missed updates (getDifference) into the storage without running a bot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, loginArgs, pm, startWorld, type World } from './helpers.js';

let w: World;
beforeAll(async () => {
  w = await startWorld();
  expect((await pm(loginArgs(w))).code).toBe(0);
});
afterAll(async () => {
  await w?.close();
});

describe('pm user and pm sync', () => {
  it('says the dialog state is unknown before any bot consumed updates, and knows it after pm sync', async () => {
    const ann = w.tg.createUser({ firstName: 'Ann', username: 'ann_sync' });
    ann.start('early'); // before anything ever consumed this bot's updates: Telegram keeps no history of it

    const before = await pm([...w.globals, 'user', '@ann_sync']);
    expect(before.code).toBe(0);
    expect(before.stdout).toContain('dialog: unknown: no bot process has consumed updates');
    expect(json(await pm([...w.globals, 'user', '@ann_sync', '--json']))).toMatchObject({
      dialogKnown: false,
      dialog: null,
    });

    const first = await pm([...w.globals, 'sync', '--json']);
    expect(first.code).toBe(0);
    expect(json(first)).toMatchObject({ ok: true, first: true });

    const ben = w.tg.createUser({ firstName: 'Ben', username: 'ben_sync' });
    ben.start('spring');
    ann.block();
    const second = await pm([...w.globals, 'sync', '--json']);
    expect(json(second)).toMatchObject({ ok: true, first: false, dialogsStarted: 1, blocked: 1 });

    const benUser = json(await pm([...w.globals, 'user', '@ben_sync', '--json']));
    expect(benUser).toMatchObject({
      dialogKnown: true,
      dialog: { started: true, via: 'start', payload: 'spring' },
    });
    const annText = await pm([...w.globals, 'user', '@ann_sync']);
    expect(annText.stdout).toMatch(/dialog: .*blocked since/);

    const third = await pm([...w.globals, 'sync']);
    expect(third.stdout.trim()).toBe('synced 0 updates: 0 dialogs started, 0 blocked');
  });
});
