import type { CallbackQueryEvent, PmClient } from '@pm/core';
import { ManualClock, type TestServer } from '@pm/testserver';
import { afterEach, describe, expect, it } from 'vitest';
import { connectBot, eventually, startWorld } from './helpers.js';

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!().catch(() => {});
});

async function setup(clock?: ManualClock): Promise<{ tg: TestServer; client: PmClient }> {
  const { tg, bot } = await startWorld(clock ? { clock } : { timeScale: 0.01 });
  cleanup.push(() => tg.stop());
  const client = await connectBot(tg, bot.token);
  cleanup.push(() => client.disconnect());
  return { tg, client };
}

describe('PmClient: editing, deleting, callback buttons', () => {
  it('edits its message (text and keyboard) and answers typed refusals', async () => {
    const clock = new ManualClock(Date.now());
    const { tg, client } = await setup(clock);
    const ann = tg.createUser({ firstName: 'Ann', username: 'ann_edit' });
    ann.start();
    await eventually(async () => expect(await client.resolveUser('@ann_edit')).toBeDefined());
    const sent = await client.send('@ann_edit', { text: 'Pick', buttons: [[{ text: 'Yes', data: 'yes' }]] });
    if (!sent.ok) throw new Error(sent.reason);

    const edited = await client.edit('@ann_edit', sent.messageId, {
      text: '<b>Picked</b>',
      parseMode: 'html',
    });
    expect(edited).toMatchObject({ ok: true, messageId: sent.messageId });
    expect(tg.inbox(ann).map((m) => m.text)).toEqual(['Picked']);
    expect(
      await client.edit('@ann_edit', sent.messageId, { text: '<b>Picked</b>', parseMode: 'html' }),
    ).toEqual({
      ok: false,
      reason: 'notModified',
    });
    expect(await client.edit('@ann_edit', 999, 'x')).toEqual({ ok: false, reason: 'messageInvalid' });
    expect(await client.edit('@ann_edit', 1, 'x')).toEqual({ ok: false, reason: 'notAuthor' }); // her /start
    expect(await client.edit('@ann_edit', sent.messageId, ' ')).toEqual({ ok: false, reason: 'empty' });
    clock.advance(48 * 3600 * 1000 + 1000);
    expect(await client.edit('@ann_edit', sent.messageId, 'Late')).toEqual({
      ok: false,
      reason: 'editTimeExpired',
    });
    expect(await client.edit('@never_seen_user', 1, 'x')).toEqual({ ok: false, reason: 'notFound' });
    expect(await client.edit(123456789n, 1, 'x')).toEqual({ ok: false, reason: 'notSeen' });
  });

  it('deletes its messages and says how many went', async () => {
    const { tg, client } = await setup();
    const bo = tg.createUser({ firstName: 'Bo', username: 'bo_delete' });
    bo.start();
    await eventually(async () => expect(await client.resolveUser('@bo_delete')).toBeDefined());
    const a = await client.send('@bo_delete', 'one');
    const b = await client.send('@bo_delete', 'two');
    if (!a.ok || !b.ok) throw new Error('send failed');
    expect(await client.deleteMessages([a.messageId, 9999])).toEqual({ ok: true, deleted: 1 });
    expect(tg.inbox(bo).map((m) => m.text)).toEqual(['two']);
    expect(await client.deleteMessages([-1])).toEqual({ ok: false, reason: 'messageInvalid' });
  });

  it('emits callbackQuery when a user presses a button, and answers it once', async () => {
    const { tg, client } = await setup();
    const cy = tg.createUser({ firstName: 'Cy', username: 'cy_press' });
    const presses: CallbackQueryEvent[] = [];
    client.on('callbackQuery', (e) => {
      presses.push(e);
    });
    cy.start();
    await eventually(async () => expect(await client.resolveUser('@cy_press')).toBeDefined());
    const sent = await client.send('@cy_press', {
      text: 'Vote',
      buttons: [
        [
          { text: 'Up', data: 'vote:up' },
          { text: 'Down', data: 'vote:down' },
        ],
      ],
    });
    if (!sent.ok) throw new Error(sent.reason);
    const press = cy.press(sent.messageId, 'vote:down');
    await eventually(() => expect(presses).toHaveLength(1));
    const [event] = presses;
    expect(event).toMatchObject({
      queryId: press.id,
      userId: cy.id,
      messageId: sent.messageId,
      data: 'vote:down',
    });
    expect(event!.user?.firstName).toBe('Cy');

    expect(await client.answerCallback(event!.queryId, { text: 'Counted', alert: true })).toEqual({
      ok: true,
    });
    expect(press.answer).toEqual({ text: 'Counted', alert: true, cacheTime: 0 });
    expect(await client.answerCallback(event!.queryId, { text: 'Again' })).toEqual({
      ok: false,
      reason: 'queryInvalid',
    });
    expect(await client.answerCallback(event!.queryId, { text: 'x'.repeat(201) })).toEqual({
      ok: false,
      reason: 'tooLong',
    });
  });
});
