import bigInt from 'big-integer';
import { Api, type TelegramClient } from 'telegram';
import { NewMessage, type NewMessageEvent } from 'telegram/events/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BotHandle } from '../../src/scenario.js';
import { TestServer } from '../../src/test-server.js';
import { botClient, collectUpdates, rpcOutcome, until } from './client.js';

let tg: TestServer;
let bot: BotHandle;
let client: TelegramClient;

beforeEach(async () => {
  tg = await TestServer.start({ timeScale: 0.01, flood: false });
  bot = tg.createBot({ username: 'dialog_bot' });
  client = await botClient(tg, bot.token);
});

afterEach(async () => {
  await client.destroy();
  await tg.stop();
});

const typing = (peer: Api.TypeInputPeer) =>
  client.invoke(new Api.messages.SetTyping({ peer, action: new Api.SendMessageTypingAction() }));

describe('private dialogs through GramJS', () => {
  it('receives /start <payload> as an update and can answer through the cached entity', async () => {
    const updates = collectUpdates(client);
    const alice = tg.createUser({ firstName: 'Alice', username: 'alice_a', langCode: 'en' });
    alice.start('promo-7');
    await until(() => updates.length > 0);
    const u = updates[0] as Api.UpdateNewMessage;
    expect(u).toBeInstanceOf(Api.UpdateNewMessage);
    expect((u.message as Api.Message).message).toBe('/start promo-7');
    // GramJS cached the user (with the full access hash) from the update's users.
    const peer = await client.getInputEntity(bigInt(alice.id.toString()));
    const sent = await client.sendMessage(peer, { message: 'Welcome!' });
    expect(sent.message).toBe('Welcome!');
    expect(tg.inbox(alice).map((m) => m.text)).toEqual(['Welcome!']);
  });

  it("feeds GramJS's NewMessage event with the sender", async () => {
    const events: NewMessageEvent[] = [];
    client.addEventHandler((e: NewMessageEvent) => {
      events.push(e);
    }, new NewMessage({}));
    const lena = tg.createUser({ firstName: 'Lena', langCode: 'ru' });
    lena.send('/help');
    await until(() => events.length > 0);
    expect(events[0]!.message.message).toBe('/help');
    expect(events[0]!.isPrivate).toBe(true);
    const sender = (await events[0]!.message.getSender()) as Api.User;
    expect(sender.firstName).toBe('Lena');
    expect(sender.langCode).toBe('ru');
  });

  it('refuses a user who never started the bot with PEER_ID_INVALID (typing probe too)', async () => {
    const bob = tg.createUser({ firstName: 'Bob' });
    expect(await rpcOutcome(client.sendMessage(bob.inputPeer(), { message: 'hi' }))).toBe(
      '400 PEER_ID_INVALID',
    );
    expect(await rpcOutcome(typing(bob.inputPeer()))).toBe('400 PEER_ID_INVALID');
    bob.start();
    expect(await rpcOutcome(typing(bob.inputPeer()))).toBe('ok');
  });

  it('answers USER_IS_BLOCKED after a block, and sees updateBotStopped', async () => {
    const updates = collectUpdates(client);
    const carol = tg.createUser({ firstName: 'Carol' });
    carol.start();
    carol.block();
    await until(() => updates.some((u) => u instanceof Api.UpdateBotStopped));
    const stopped = updates.find((u) => u instanceof Api.UpdateBotStopped) as Api.UpdateBotStopped;
    expect(stopped.stopped).toBe(true);
    expect(stopped.qts).toBe(1);
    expect(await rpcOutcome(client.sendMessage(carol.inputPeer(), { message: 'x' }))).toBe(
      '403 USER_IS_BLOCKED',
    );
    expect(await rpcOutcome(typing(carol.inputPeer()))).toBe('403 USER_IS_BLOCKED');
  });

  it('answers USER_IS_BOT for another bot and INPUT_USER_DEACTIVATED for a deleted account', async () => {
    const otherBot = tg.createUser({ firstName: 'Other', bot: true, username: 'other_one_bot' });
    expect(await rpcOutcome(client.sendMessage(otherBot.inputPeer(), { message: 'x' }))).toBe(
      '400 USER_IS_BOT',
    );
    const dan = tg.createUser({ firstName: 'Dan' });
    dan.start();
    dan.deleteAccount();
    expect(await rpcOutcome(client.sendMessage(dan.inputPeer(), { message: 'x' }))).toBe(
      '400 INPUT_USER_DEACTIVATED',
    );
  });

  it('answers PEER_ID_INVALID for a wrong access hash', async () => {
    const erin = tg.createUser({ firstName: 'Erin' });
    erin.start();
    const wrong = new Api.InputPeerUser({ userId: bigInt(erin.id.toString()), accessHash: bigInt(-42) });
    expect(await rpcOutcome(client.sendMessage(wrong, { message: 'x' }))).toBe('400 PEER_ID_INVALID');
  });

  it('answers RANDOM_ID_DUPLICATE to a repeated random_id', async () => {
    const fay = tg.createUser({ firstName: 'Fay' });
    fay.start();
    const req = () =>
      new Api.messages.SendMessage({ peer: fay.inputPeer(), message: 'once', randomId: bigInt(99) });
    const first = await client.invoke(req());
    expect(first).toBeInstanceOf(Api.UpdateShortSentMessage);
    expect(await rpcOutcome(client.invoke(req()))).toBe('400 RANDOM_ID_DUPLICATE');
    expect(tg.inbox(fay)).toHaveLength(1);
    expect(tg.inbox(fay)[0]?.randomId).toBe(99n);
  });

  it('rejects empty and too long messages', async () => {
    const gil = tg.createUser({ firstName: 'Gil' });
    gil.start();
    const send = (message: string) =>
      rpcOutcome(
        client.invoke(
          new Api.messages.SendMessage({ peer: gil.inputPeer(), message, randomId: bigInt(Date.now()) }),
        ),
      );
    expect(await send('x'.repeat(4097))).toBe('400 MESSAGE_TOO_LONG');
    expect(await send('')).toBe('400 MESSAGE_EMPTY');
  });

  it('opens the dialog with the Login Widget (messageActionBotAllowed)', async () => {
    const updates = collectUpdates(client);
    const hal = tg.createUser({ firstName: 'Hal' });
    hal.loginWithWidget(bot, { domain: 'example.org' });
    await until(() => updates.length > 0);
    const msg = (updates[0] as Api.UpdateNewMessage).message as Api.MessageService;
    expect(msg).toBeInstanceOf(Api.MessageService);
    expect((msg.action as Api.MessageActionBotAllowed).domain).toBe('example.org');
    expect(await rpcOutcome(client.sendMessage(hal.inputPeer(), { message: 'thanks for logging in' }))).toBe(
      'ok',
    );
  });

  it('announces a rename with updateUserName', async () => {
    const updates = collectUpdates(client);
    const ivy = tg.createUser({ firstName: 'Ivy' });
    ivy.start();
    ivy.rename({ firstName: 'Ivy', lastName: 'League' });
    await until(() => updates.some((u) => u instanceof Api.UpdateUserName));
    const u = updates.find((x) => x instanceof Api.UpdateUserName) as Api.UpdateUserName;
    expect(u.lastName).toBe('League');
  });

  it('resolves usernames and reports the two resolve errors', async () => {
    tg.createUser({ firstName: 'Jo', username: 'jo_public' });
    const res = await client.invoke(new Api.contacts.ResolveUsername({ username: 'JO_PUBLIC' }));
    expect((res.users[0] as Api.User).firstName).toBe('Jo');
    const resolve = (username: string) =>
      rpcOutcome(client.invoke(new Api.contacts.ResolveUsername({ username })));
    expect(await resolve('no')).toBe('400 USERNAME_INVALID');
    expect(await resolve('nobody_here')).toBe('400 USERNAME_NOT_OCCUPIED');
    const full = await client.invoke(new Api.users.GetFullUser({ id: new Api.InputUserSelf() }));
    expect(full.fullUser.botInfo).toBeDefined();
  });

  it('sets bot commands and fetches messages by id', async () => {
    const ok = await client.invoke(
      new Api.bots.SetBotCommands({
        scope: new Api.BotCommandScopeDefault(),
        langCode: '',
        commands: [new Api.BotCommand({ command: 'start', description: 'Begin' })],
      }),
    );
    expect(ok).toBe(true);
    const kim = tg.createUser({ firstName: 'Kim' });
    const m = kim.send('find me');
    const got = await client.invoke(
      new Api.messages.GetMessages({ id: [new Api.InputMessageID({ id: m.id })] }),
    );
    expect(((got as Api.messages.Messages).messages[0] as Api.Message).message).toBe('find me');
  });
});
