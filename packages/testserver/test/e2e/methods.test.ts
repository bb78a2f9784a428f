import bigInt from 'big-integer';
import { Api, type TelegramClient } from 'telegram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BotHandle } from '../../src/scenario.js';
import { TestServer } from '../../src/test-server.js';
import { botClient, rpcOutcome } from './client.js';

let tg: TestServer;
let bot: BotHandle;
let client: TelegramClient;

beforeEach(async () => {
  tg = await TestServer.start({ timeScale: 0.01, flood: false });
  bot = tg.createBot({ username: 'methods_bot' });
  client = await botClient(tg, bot.token);
});

afterEach(async () => {
  await client.destroy();
  await tg.stop();
});

describe('the remaining handlers through GramJS', () => {
  it('answers help.getNearestDc', async () => {
    const dc = await client.invoke(new Api.help.GetNearestDc());
    expect(dc.thisDc).toBe(2);
  });

  it('reads input peers of users in users.getUsers (Kurigram) and refuses entries that name no user', async () => {
    const ann = tg.createUser({ firstName: 'Ann', username: 'ann_kuri' });
    ann.start();
    // As Kurigram sends it: GramJS would turn input peers into input users before sending, so skip that step.
    const getUsers = (id: unknown[]) => {
      const request = new Api.users.GetUsers({ id: id as Api.TypeInputUser[] });
      request.resolve = async () => {};
      return client.invoke(request);
    };
    const users = await getUsers([ann.inputPeer(bot), new Api.InputPeerSelf()]);
    expect(users.map((u) => (u as Api.User).firstName)).toEqual(['Ann', bot.firstName]);
    const wrongHash = new Api.InputPeerUser({ userId: bigInt(ann.id.toString()), accessHash: bigInt(7) });
    expect(await getUsers([wrongHash])).toEqual([]);
    const chat = new Api.InputPeerChat({ chatId: bigInt(5) });
    expect(await rpcOutcome(getUsers([chat]))).toBe('400 USER_ID_INVALID');
    expect(await rpcOutcome(getUsers([new Api.InputUserEmpty()]))).toBe('400 USER_ID_INVALID');
  });

  it('returns basic groups with messages.getChats and channels with channels.getChannels', async () => {
    const group = tg.createGroup({ title: 'Basic' });
    const channel = tg.createChannel({ title: 'Chan' });
    const chats = await client.invoke(new Api.messages.GetChats({ id: [bigInt(group.id.toString())] }));
    expect((chats.chats[0] as Api.Chat).title).toBe('Basic');
    const peer = channel.inputPeer(bot) as Api.InputPeerChannel;
    const input = new Api.InputChannel({ channelId: peer.channelId, accessHash: peer.accessHash });
    const channels = await client.invoke(new Api.channels.GetChannels({ id: [input] }));
    expect((channels.chats[0] as Api.Channel).title).toBe('Chan');
    const wrong = new Api.InputChannel({ channelId: peer.channelId, accessHash: bigInt(1) });
    expect(await rpcOutcome(client.invoke(new Api.channels.GetChannels({ id: [wrong] })))).toBe(
      '400 CHANNEL_INVALID',
    );
  });

  it('serves updates.getChannelDifference for a supergroup', async () => {
    const sg = tg.createChannel({ title: 'SG', megagroup: true });
    const user = tg.createUser({ firstName: 'Uma' });
    user.joinGroup(sg);
    user.sendToGroup(sg, 'first');
    const peer = sg.inputPeer(bot) as Api.InputPeerChannel;
    const diff = await client.invoke(
      new Api.updates.GetChannelDifference({
        channel: new Api.InputChannel({ channelId: peer.channelId, accessHash: peer.accessHash }),
        filter: new Api.ChannelMessagesFilterEmpty(),
        pts: 1,
        limit: 10,
      }),
    );
    expect(diff).toBeInstanceOf(Api.updates.ChannelDifference);
    const texts = (diff as Api.updates.ChannelDifference).newMessages.map((m) => (m as Api.Message).message);
    expect(texts).toContain('first');
  });

  it('reads back and resets bot commands', async () => {
    const scope = new Api.BotCommandScopeDefault();
    await client.invoke(
      new Api.bots.SetBotCommands({
        scope,
        langCode: 'en',
        commands: [new Api.BotCommand({ command: 'menu', description: 'Open the menu' })],
      }),
    );
    const got = await client.invoke(new Api.bots.GetBotCommands({ scope, langCode: 'en' }));
    expect(got.map((c) => c.command)).toEqual(['menu']);
    expect(await client.invoke(new Api.bots.ResetBotCommands({ scope, langCode: 'en' }))).toBe(true);
    expect(await client.invoke(new Api.bots.GetBotCommands({ scope, langCode: 'en' }))).toEqual([]);
  });

  it('answers an unemulated method with INPUT_METHOD_INVALID and a user-only one with BOT_METHOD_INVALID', async () => {
    expect(
      await rpcOutcome(client.invoke(new Api.messages.GetStickers({ emoticon: 'x', hash: bigInt(0) }))),
    ).toBe('400 INPUT_METHOD_INVALID');
    expect(
      await rpcOutcome(client.invoke(new Api.messages.GetDialogs({ offsetPeer: new Api.InputPeerEmpty() }))),
    ).toBe('400 BOT_METHOD_INVALID');
  });

  it('logs out with auth.logOut', async () => {
    expect(await client.invoke(new Api.auth.LogOut())).toBeInstanceOf(Api.auth.LoggedOut);
    expect(await rpcOutcome(client.invoke(new Api.updates.GetState()))).toBe('401 AUTH_KEY_UNREGISTERED');
  });
});
