import bigInt from 'big-integer';
import { Api } from 'telegram';
import { describe, expect, it } from 'vitest';
import { harness, outcome } from './harness.js';

const big = (v: { toString(): string }) => BigInt(v.toString());

describe('groups, channels and min users', () => {
  it('shows a user who never started the bot as a min user when they post in a group', async () => {
    const h = await harness({ flood: false });
    const bot = h.tg.createBot();
    await h.login(bot);
    const group = h.tg.createGroup({ title: 'Club' });
    const bob = h.tg.createUser({ firstName: 'Bob', username: 'bob_the_user', langCode: 'fr' });
    bob.joinGroup(group);
    bob.sendToGroup(group, 'hello all');
    const last = h.pushed[h.pushed.length - 1]!.updates;
    const msg = last.updates[0].message;
    expect(msg.message).toBe('hello all');
    expect(msg.peerId).toBeInstanceOf(Api.PeerChat);
    expect(big(msg.fromId.userId)).toBe(bob.id);
    const user = last.users[0];
    expect(user.min).toBe(true);
    expect(user.langCode).toBeUndefined();
    expect(big(user.accessHash)).toBe(bob.minAccessHashFor(bot));
    expect(last.chats[0]).toBeInstanceOf(Api.Chat);

    // The min hash does not work in private...
    const minPeer = new Api.InputPeerUser({ userId: user.id, accessHash: user.accessHash });
    const typing = new Api.messages.SetTyping({ peer: minPeer, action: new Api.SendMessageTypingAction() });
    expect(await outcome(h.call(typing))).toBe('400 PEER_ID_INVALID');
    // ... and getUsers does not turn it into a full user.
    expect(
      await h.call(
        new Api.users.GetUsers({ id: [new Api.InputUser({ userId: user.id, accessHash: user.accessHash })] }),
      ),
    ).toEqual([]);
    // The user can be addressed through the message they posted, but the dialog is still not started.
    const fromMsg = new Api.InputPeerUserFromMessage({
      peer: group.inputPeer(bot),
      msgId: msg.id,
      userId: user.id,
    });
    const send = new Api.messages.SendMessage({ peer: fromMsg, message: 'psst', randomId: bigInt(1) });
    expect(await outcome(h.call(send))).toBe('400 PEER_ID_INVALID');
  });

  it('shows a user who started the bot as a full user in groups', async () => {
    const h = await harness({ flood: false });
    const bot = h.tg.createBot();
    await h.login(bot);
    const group = h.tg.createGroup({ title: 'Club' });
    const bob = h.tg.createUser({ firstName: 'Bob' });
    bob.start();
    bob.joinGroup(group);
    bob.sendToGroup(group, 'hi');
    const user = h.pushed[h.pushed.length - 1]!.updates.users[0];
    expect(user.min).toBeFalsy();
    expect(big(user.accessHash)).toBe(bob.accessHashFor(bot));
  });

  it('delivers supergroup messages as updateNewChannelMessage with the channel pts', async () => {
    const h = await harness({ flood: false });
    const bot = h.tg.createBot();
    await h.login(bot);
    const sg = h.tg.createChannel({ title: 'Big', megagroup: true });
    const bob = h.tg.createUser({ firstName: 'Bob' });
    bob.joinGroup(sg);
    bob.sendToGroup(sg, 'in supergroup');
    const updates = h.pushedUpdates();
    expect(updates.every((u) => u instanceof Api.UpdateNewChannelMessage)).toBe(true);
    expect(updates.map((u) => u.pts)).toEqual([2, 3]);
    expect(updates[1].message.message).toBe('in supergroup');
  });

  it('lets a bot post in its group and its channel', async () => {
    const h = await harness({ flood: false });
    const bot = h.tg.createBot();
    await h.login(bot);
    const group = h.tg.createGroup({ title: 'Club' });
    const channel = h.tg.createChannel({ title: 'News' });
    const inGroup = await h.call(
      new Api.messages.SendMessage({ peer: group.inputPeer(bot), message: 'g', randomId: bigInt(1) }),
    );
    expect(inGroup).toBeInstanceOf(Api.UpdateShortSentMessage);
    const inChannel = await h.call(
      new Api.messages.SendMessage({ peer: channel.inputPeer(bot), message: 'c', randomId: bigInt(2) }),
    );
    expect(inChannel).toBeInstanceOf(Api.Updates);
    expect(inChannel.updates[0]).toBeInstanceOf(Api.UpdateMessageID);
    expect(big(inChannel.updates[0].randomId)).toBe(2n);
    expect(inChannel.updates[1].message.post).toBe(true);
  });

  it('rejects a channel peer with a wrong access hash (400 CHANNEL_INVALID)', async () => {
    const h = await harness({ flood: false });
    const bot = h.tg.createBot();
    await h.login(bot);
    const channel = h.tg.createChannel({ title: 'News' });
    const peer = new Api.InputPeerChannel({
      channelId: bigInt(channel.id.toString()),
      accessHash: bigInt(1),
    });
    const req = new Api.messages.SendMessage({ peer, message: 'c', randomId: bigInt(2) });
    expect(await outcome(h.call(req))).toBe('400 CHANNEL_INVALID');
  });

  it('approves a join request: the user joins and the bot gets the service message', async () => {
    const h = await harness({ flood: false });
    const bot = h.tg.createBot();
    await h.login(bot);
    const group = h.tg.createGroup({ title: 'Club' });
    const alice = h.tg.createUser({ firstName: 'Alice' });
    alice.requestJoin(group);
    const res = await h.call(
      new Api.messages.HideChatJoinRequest({
        approved: true,
        peer: group.inputPeer(bot),
        userId: alice.inputUser(),
      }),
    );
    expect(res).toBeInstanceOf(Api.Updates);
    expect(res.updates[0].message.action).toBeInstanceOf(Api.MessageActionChatJoinedByRequest);
    expect(group.record.members.has(alice.id.toString())).toBe(true);
    const again = new Api.messages.HideChatJoinRequest({
      approved: true,
      peer: group.inputPeer(bot),
      userId: alice.inputUser(),
    });
    expect(await outcome(h.call(again))).toBe('400 HIDE_REQUESTER_MISSING');
  });

  it('declines a join request: nothing joins', async () => {
    const h = await harness({ flood: false });
    const bot = h.tg.createBot();
    await h.login(bot);
    const channel = h.tg.createChannel({ title: 'News' });
    const alice = h.tg.createUser({ firstName: 'Alice' });
    alice.requestJoin(channel);
    const res = await h.call(
      new Api.messages.HideChatJoinRequest({ peer: channel.inputPeer(bot), userId: alice.inputUser() }),
    );
    expect(res.updates).toEqual([]);
    expect(channel.record.members.has(alice.id.toString())).toBe(false);
    expect(channel.record.joinRequests.size).toBe(0);
  });

  it('fetches messages of its own box and answers messageEmpty for the rest', async () => {
    const h = await harness({ flood: false });
    const bot = h.tg.createBot();
    await h.login(bot);
    const alice = h.tg.createUser({ firstName: 'Alice' });
    const m = alice.send('remember me');
    const res = await h.call(
      new Api.messages.GetMessages({
        id: [new Api.InputMessageID({ id: m.id }), new Api.InputMessageID({ id: 999 })],
      }),
    );
    expect(res.messages[0].message).toBe('remember me');
    expect(res.messages[1]).toBeInstanceOf(Api.MessageEmpty);
    expect(big(res.users[0].id)).toBe(alice.id);
  });

  it('serves updates.getChannelDifference for a supergroup, in pages', async () => {
    const h = await harness({ flood: false });
    const bot = h.tg.createBot();
    await h.login(bot);
    const sg = h.tg.createChannel({ title: 'Big', megagroup: true });
    const bob = h.tg.createUser({ firstName: 'Bob' });
    bob.joinGroup(sg);
    for (let i = 0; i < 3; i++) bob.sendToGroup(sg, `s${i}`);
    const peer = sg.inputPeer(bot) as Api.InputPeerChannel;
    const channel = new Api.InputChannel({ channelId: peer.channelId, accessHash: peer.accessHash });
    const ask = (pts: number, limit: number) =>
      h.call(
        new Api.updates.GetChannelDifference({
          channel,
          filter: new Api.ChannelMessagesFilterEmpty(),
          pts,
          limit,
        }),
      );
    const page = await ask(2, 2);
    expect(page.final).toBeFalsy();
    expect(page.newMessages.map((m: Api.Message) => m.message)).toEqual(['s0', 's1']);
    const rest = await ask(page.pts, 2);
    expect(rest.final).toBe(true);
    expect(rest.newMessages.map((m: Api.Message) => m.message)).toEqual(['s2']);
    expect(await ask(rest.pts, 2)).toBeInstanceOf(Api.updates.ChannelDifferenceEmpty);
  });
});
