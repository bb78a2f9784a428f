import bigInt from 'big-integer';
import { Api, type TelegramClient } from 'telegram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BotHandle } from '../../src/scenario.js';
import { TestServer } from '../../src/test-server.js';
import { botClient, collectUpdates, rpcOutcome, until } from './client.js';

let tg: TestServer;
let bot: BotHandle;
let client: TelegramClient;

beforeEach(async () => {
  tg = await TestServer.start({ timeScale: 0.01, flood: false });
  bot = tg.createBot({ username: 'group_bot' });
  client = await botClient(tg, bot.token);
});

afterEach(async () => {
  await client.destroy();
  await tg.stop();
});

describe('groups through GramJS', () => {
  it('sees a stranger posting in a group as a min user whose hash fails in private', async () => {
    const updates = collectUpdates(client);
    const group = tg.createGroup({ title: 'Lobby' });
    const zed = tg.createUser({ firstName: 'Zed', username: 'zed_z' });
    zed.joinGroup(group);
    zed.sendToGroup(group, 'anyone here?');
    await until(() => updates.length >= 2);
    const u = updates[1] as Api.UpdateNewMessage & { _entities: Map<string, Api.User> };
    expect((u.message as Api.Message).message).toBe('anyone here?');
    const user = [...u._entities.values()].find((e) => e instanceof Api.User) as Api.User;
    expect(user.min).toBe(true);
    const minPeer = new Api.InputPeerUser({ userId: user.id, accessHash: user.accessHash! });
    expect(await rpcOutcome(client.sendMessage(minPeer, { message: 'hi' }))).toBe('400 PEER_ID_INVALID');
    // The bot can still answer in the group.
    const sent = await client.sendMessage(group.inputPeer(bot), { message: 'welcome, Zed' });
    expect(sent.message).toBe('welcome, Zed');
  });

  it('gets a join request update and approves it with hideChatJoinRequest', async () => {
    const updates = collectUpdates(client);
    const channel = tg.createChannel({ title: 'VIP', megagroup: true });
    const yan = tg.createUser({ firstName: 'Yan', langCode: 'pt' });
    yan.requestJoin(channel, { about: 'please' });
    await until(() => updates.some((u) => u instanceof Api.UpdateBotChatInviteRequester));
    const req = updates.find(
      (u) => u instanceof Api.UpdateBotChatInviteRequester,
    ) as Api.UpdateBotChatInviteRequester;
    expect(req.qts).toBe(1);
    expect(req.about).toBe('please');
    // The requester may be written to (within the window) before the decision.
    const peer = await client.getInputEntity(req.userId);
    expect(await rpcOutcome(client.sendMessage(peer, { message: 'Answer the quiz first' }))).toBe('ok');
    const user = await client.getInputEntity(req.userId);
    const res = await client.invoke(
      new Api.messages.HideChatJoinRequest({
        approved: true,
        peer: channel.inputPeer(bot),
        userId: new Api.InputUser({
          userId: (user as Api.InputPeerUser).userId,
          accessHash: (user as Api.InputPeerUser).accessHash,
        }),
      }),
    );
    expect(res).toBeInstanceOf(Api.Updates);
    expect(channel.record.members.has(yan.id.toString())).toBe(true);
  });

  it('posts to a channel and gets updates with updateMessageID', async () => {
    const channel = tg.createChannel({ title: 'Announcements' });
    const res = await client.invoke(
      new Api.messages.SendMessage({ peer: channel.inputPeer(bot), message: 'news!', randomId: bigInt(5) }),
    );
    expect(res).toBeInstanceOf(Api.Updates);
    const sent = await client.sendMessage(channel.inputPeer(bot), { message: 'more news' });
    expect(sent.message).toBe('more news');
  });
});
