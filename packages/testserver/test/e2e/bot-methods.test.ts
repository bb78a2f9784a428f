import bigInt from 'big-integer';
import { Api, type TelegramClient } from 'telegram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BotHandle, UserHandle } from '../../src/scenario.js';
import { TestServer } from '../../src/test-server.js';
import { ManualClock } from '../../src/world/clock.js';
import { botClient, collectUpdates, rpcOutcome, until } from './client.js';

let tg: TestServer;
let clock: ManualClock;
let bot: BotHandle;
let client: TelegramClient;
let alice: UserHandle;
let peer: Api.InputPeerUser;

const keyboard = (...data: string[]) =>
  new Api.ReplyInlineMarkup({
    rows: [
      new Api.KeyboardButtonRow({
        buttons: data.map(
          (d) => new Api.KeyboardButtonCallback({ text: d.toUpperCase(), data: Buffer.from(d) }),
        ),
      }),
    ],
  });

async function send(text: string, replyMarkup?: Api.TypeReplyMarkup): Promise<number> {
  const sent = await client.invoke(
    new Api.messages.SendMessage({
      peer,
      message: text,
      randomId: bigInt(Math.floor(Math.random() * 1e15)),
      ...(replyMarkup ? { replyMarkup } : {}),
    }),
  );
  return (sent as Api.UpdateShortSentMessage).id;
}

beforeEach(async () => {
  clock = new ManualClock(Date.now());
  tg = await TestServer.start({ clock, flood: false });
  bot = tg.createBot({ username: 'edits_bot' });
  client = await botClient(tg, bot.token);
  alice = tg.createUser({ firstName: 'Alice', username: 'alice_edits' });
  alice.start();
  peer = alice.inputPeer(bot);
});

afterEach(async () => {
  await client.destroy();
  await tg.stop();
});

describe('messages.editMessage through GramJS', () => {
  it("edits the bot's own message and answers updateEditMessage with the new text and edit date", async () => {
    const id = await send('Pick one', keyboard('yes', 'no'));
    clock.advance(5000);
    const res = (await client.invoke(
      new Api.messages.EditMessage({ peer, id, message: 'Picked', replyMarkup: keyboard('undo') }),
    )) as Api.Updates;
    const edit = res.updates.find((u) => u instanceof Api.UpdateEditMessage) as Api.UpdateEditMessage;
    const message = edit.message as Api.Message;
    expect(message.message).toBe('Picked');
    expect(message.editDate).toBe(Math.floor(clock.now() / 1000));
    expect(
      ((message.replyMarkup as Api.ReplyInlineMarkup).rows[0]!.buttons[0] as Api.KeyboardButtonCallback).text,
    ).toBe('UNDO');
    expect(tg.inbox(alice).map((m) => [m.text, m.editDate !== undefined])).toEqual([['Picked', true]]);
  });

  it("answers Telegram's errors: not modified, unknown id, someone else's message, text after 48 h", async () => {
    const id = await send('Hello', keyboard('a'));
    const edit = (fields: Partial<ConstructorParameters<typeof Api.messages.EditMessage>[0]>) =>
      rpcOutcome(client.invoke(new Api.messages.EditMessage({ peer, id, ...fields })));
    expect(await edit({ message: 'Hello', replyMarkup: keyboard('a') })).toBe('400 MESSAGE_NOT_MODIFIED');
    expect(await edit({ id: 999, message: 'x' })).toBe('400 MESSAGE_ID_INVALID');
    expect(await edit({ id: 1, message: 'x' })).toBe('403 MESSAGE_AUTHOR_REQUIRED'); // Alice's /start
    expect(await edit({ message: ' ' })).toBe('400 MESSAGE_EMPTY');
    clock.advance(48 * 3600 * 1000 + 1000);
    expect(await edit({ message: 'Too late' })).toBe('400 MESSAGE_EDIT_TIME_EXPIRED');
    expect(await edit({ message: 'Hello' })).toBe('ok'); // the keyboard alone may still change (here: removed)
    expect(tg.inbox(alice).map((m) => m.text)).toEqual(['Hello']);
  });
});

describe('messages.deleteMessages through GramJS', () => {
  it('deletes what the bot has, skips what it has not, and a later edit finds nothing', async () => {
    const id = await send('Soon gone');
    const affected = await client.invoke(new Api.messages.DeleteMessages({ id: [id, 999], revoke: true }));
    expect(affected.ptsCount).toBe(1);
    expect(tg.inbox(alice)).toEqual([]);
    expect(await rpcOutcome(client.invoke(new Api.messages.EditMessage({ peer, id, message: 'x' })))).toBe(
      '400 MESSAGE_ID_INVALID',
    );
    const none = await client.invoke(new Api.messages.DeleteMessages({ id: [999] }));
    expect([none.ptsCount, none.pts]).toEqual([0, affected.pts]);
  });

  it('puts edits and deletions in getDifference for a session that missed them', async () => {
    const state = await client.invoke(new Api.updates.GetState());
    const id = await send('v1');
    await client.invoke(new Api.messages.EditMessage({ peer, id, message: 'v2' }));
    await client.invoke(new Api.messages.DeleteMessages({ id: [id] }));
    const diff = (await client.invoke(
      new Api.updates.GetDifference({ pts: state.pts, qts: state.qts, date: state.date }),
    )) as Api.updates.Difference;
    const kinds = diff.otherUpdates.map((u) => u.className);
    expect(kinds).toEqual(['UpdateEditMessage', 'UpdateDeleteMessages']);
    expect((diff.otherUpdates[1] as Api.UpdateDeleteMessages).messages).toEqual([id]);
    expect(diff.state.pts).toBe(state.pts + 3);
  });
});

describe('callback buttons through GramJS', () => {
  it('delivers updateBotCallbackQuery when a user presses, and takes one answer per query', async () => {
    const updates = collectUpdates(client);
    await send('Vote', keyboard('yes', 'no'));
    const [message] = tg.inbox(alice);
    const press = alice.press(message!, 'no');
    await until(() => updates.some((u) => u instanceof Api.UpdateBotCallbackQuery));
    const query = updates.find((u) => u instanceof Api.UpdateBotCallbackQuery) as Api.UpdateBotCallbackQuery;
    expect(query.queryId.toString()).toBe(press.id.toString());
    expect(query.userId.toString()).toBe(alice.id.toString());
    expect(query.msgId).toBe(message!.id);
    expect(Buffer.from(query.data!).toString()).toBe('no');
    expect(press.answer).toBeUndefined();

    const answer = new Api.messages.SetBotCallbackAnswer({
      queryId: query.queryId,
      message: 'Noted',
      cacheTime: 0,
    });
    expect(await client.invoke(answer)).toBe(true);
    expect(press.answer).toEqual({ text: 'Noted', alert: false, cacheTime: 0 });
    expect(await rpcOutcome(client.invoke(answer))).toBe('400 QUERY_ID_INVALID');
    expect(
      await rpcOutcome(
        client.invoke(new Api.messages.SetBotCallbackAnswer({ queryId: bigInt(12345), cacheTime: 0 })),
      ),
    ).toBe('400 QUERY_ID_INVALID');
  });

  it('refuses a press of a button the message does not have', async () => {
    const id = await send('Plain text');
    expect(() => alice.press(id, 'yes')).toThrow(/no callback button with data "yes" \(it has none\)/);
    const voted = await send('Vote', keyboard('yes'));
    expect(() => alice.press(voted, 'no')).toThrow(/it has "yes"/);
  });
});
