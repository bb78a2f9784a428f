import bigInt from 'big-integer';
import { Api } from 'telegram';
import { describe, expect, it } from 'vitest';
import { harness } from './harness.js';

const big = (v: { toString(): string }) => BigInt(v.toString());

describe('updates pushed to the bot', () => {
  it('delivers /start <payload> as updateNewMessage with the user (and lang_code) in users', async () => {
    const h = await harness();
    const bot = h.tg.createBot();
    await h.login(bot);
    const alice = h.tg.createUser({ firstName: 'Alice', langCode: 'de' });
    alice.start('ref42');
    expect(h.pushed).toHaveLength(1);
    const { updates } = h.pushed[0]!;
    expect(updates).toBeInstanceOf(Api.Updates);
    const [u] = updates.updates;
    expect(u).toBeInstanceOf(Api.UpdateNewMessage);
    expect(u.message.message).toBe('/start ref42');
    expect(u.message.out).toBeFalsy();
    expect(u.message.entities[0]).toBeInstanceOf(Api.MessageEntityBotCommand);
    expect([u.message.entities[0].offset, u.message.entities[0].length]).toEqual([0, 6]);
    expect(u.pts).toBe(2);
    expect(u.ptsCount).toBe(1);
    const user = updates.users[0];
    expect(big(user.id)).toBe(alice.id);
    expect(user.min).toBeFalsy();
    expect(user.langCode).toBe('de');
    expect(big(user.accessHash)).toBe(alice.accessHashFor(bot));
  });

  it('omits lang_code when the scenario says so, and from block updates by default', async () => {
    const h = await harness();
    const bot = h.tg.createBot();
    await h.login(bot);
    const alice = h.tg.createUser({ firstName: 'Alice', langCode: 'en' });
    alice.send('hi', { withLangCode: false });
    alice.block();
    alice.unblock({ withLangCode: true });
    const langs = h.pushed.map((p) => p.updates.users[0].langCode);
    expect(langs).toEqual([undefined, undefined, 'en']);
  });

  it('sends updateBotStopped with a fresh qts on block and unblock', async () => {
    const h = await harness();
    const bot = h.tg.createBot();
    await h.login(bot);
    const alice = h.tg.createUser({ firstName: 'Alice' });
    alice.start();
    alice.block();
    alice.unblock();
    const stops = h.pushedUpdates().filter((u) => u instanceof Api.UpdateBotStopped);
    expect(stops.map((u) => [u.stopped, u.qts])).toEqual([
      [true, 1],
      [false, 2],
    ]);
    const state = await h.call(new Api.updates.GetState());
    expect([state.pts, state.qts]).toEqual([2, 2]);
  });

  it('sends updateBotChatInviteRequester (qts) with the chat and invite to admin bots', async () => {
    const h = await harness();
    const bot = h.tg.createBot();
    await h.login(bot);
    const channel = h.tg.createChannel({ title: 'News', megagroup: true });
    const alice = h.tg.createUser({ firstName: 'Alice', langCode: 'it' });
    alice.requestJoin(channel, { about: 'let me in' });
    const { updates } = h.pushed[0]!;
    const [u] = updates.updates;
    expect(u).toBeInstanceOf(Api.UpdateBotChatInviteRequester);
    expect(u.qts).toBe(1);
    expect(u.about).toBe('let me in');
    expect(u.invite.link).toBe(channel.inviteLink);
    expect(u.peer).toBeInstanceOf(Api.PeerChannel);
    expect(updates.chats[0]).toBeInstanceOf(Api.Channel);
    expect(updates.users[0].min).toBeFalsy();
  });

  it('delivers a Login Widget authorisation as messageService with messageActionBotAllowed', async () => {
    const h = await harness();
    const bot = h.tg.createBot();
    await h.login(bot);
    const alice = h.tg.createUser({ firstName: 'Alice' });
    alice.loginWithWidget(bot, { domain: 'shop.example' });
    const [u] = h.pushedUpdates();
    expect(u.message).toBeInstanceOf(Api.MessageService);
    expect(u.message.action).toBeInstanceOf(Api.MessageActionBotAllowed);
    expect(u.message.action.domain).toBe('shop.example');
  });

  it('tells bots that know a user about a rename, and no one else', async () => {
    const h = await harness();
    const a = h.tg.createBot({ username: 'knows_bot' });
    const b = h.tg.createBot({ username: 'stranger_bot' });
    await h.login(a, 'ka');
    await h.login(b, 'kb');
    const alice = h.tg.createUser({ firstName: 'Alice' });
    alice.start(undefined, { bot: a });
    alice.rename({ firstName: 'Alicia', lastName: 'Smith' });
    const renames = h.pushed.filter((p) => p.updates.updates[0] instanceof Api.UpdateUserName);
    expect(renames.map((p) => p.authKeyId)).toEqual(['ka']);
    const u = renames[0]!.updates.updates[0];
    expect([u.firstName, u.lastName]).toEqual(['Alicia', 'Smith']);
  });

  it('moves a username: the old owner loses it and both changes are announced', async () => {
    const h = await harness();
    const bot = h.tg.createBot();
    await h.login(bot);
    const alice = h.tg.createUser({ firstName: 'Alice', username: 'starname' });
    const bob = h.tg.createUser({ firstName: 'Bob', username: 'bobby' });
    alice.start();
    bob.start();
    bob.setUsernames(['bobby', 'StarName']);
    expect(alice.usernames).toEqual([]);
    expect(bob.usernames).toEqual(['bobby', 'StarName']);
    const names = h.pushedUpdates().filter((u) => u instanceof Api.UpdateUserName);
    expect(names.map((u) => [big(u.userId), u.usernames.map((x: Api.Username) => x.username)])).toEqual([
      [alice.id, []],
      [bob.id, ['bobby', 'StarName']],
    ]);
  });

  it('sends updateUser when an account is deleted', async () => {
    const h = await harness();
    const bot = h.tg.createBot();
    await h.login(bot);
    const alice = h.tg.createUser({ firstName: 'Alice' });
    alice.start();
    alice.deleteAccount();
    const { updates } = h.pushed[h.pushed.length - 1]!;
    expect(updates.updates[0]).toBeInstanceOf(Api.UpdateUser);
    expect(updates.users[0].deleted).toBe(true);
  });

  it('orders pts/qts updates by their counters (seq 0) and the rest by seq', async () => {
    const h = await harness();
    const bot = h.tg.createBot();
    await h.login(bot);
    const alice = h.tg.createUser({ firstName: 'Alice' });
    alice.start();
    alice.block();
    alice.rename({ firstName: 'Al' });
    alice.setPremium(true);
    expect(h.pushed.map((p) => [p.updates.updates[0].className, p.updates.seq])).toEqual([
      ['UpdateNewMessage', 0],
      ['UpdateBotStopped', 0],
      ['UpdateUserName', 1],
      ['UpdateUser', 2],
    ]);
    expect((await h.call(new Api.updates.GetState())).seq).toBe(2);
    expect(h.pushed[3]!.updates.users[0].premium).toBe(true);
  });

  it("pushes a bot's own message to its other sessions but not to the caller", async () => {
    const h = await harness({ flood: false });
    const bot = h.tg.createBot();
    await h.login(bot, 'k1');
    await h.login(bot, 'k2');
    const alice = h.tg.createUser({ firstName: 'Alice' });
    alice.start();
    h.pushed.length = 0;
    await h.call(
      new Api.messages.SendMessage({ peer: alice.inputPeer(), message: 'yo', randomId: bigInt(5) }),
      'k1',
    );
    expect(h.pushed.map((p) => p.authKeyId)).toEqual(['k2']);
    expect(h.pushed[0]!.updates.updates[0].message.out).toBe(true);
  });
});

describe('updates.getDifference', () => {
  async function started() {
    const h = await harness({ flood: false, difference: { sliceSize: 3, tooLongAfter: 20 } });
    const bot = h.tg.createBot();
    await h.login(bot);
    const alice = h.tg.createUser({ firstName: 'Alice' });
    return { h, bot, alice };
  }

  const diff = (h: Awaited<ReturnType<typeof started>>['h'], s: { pts: number; qts: number; date: number }) =>
    h.call(new Api.updates.GetDifference({ pts: s.pts, qts: s.qts, date: s.date }));

  it('is empty when nothing happened since the state', async () => {
    const { h } = await started();
    const state = await h.call(new Api.updates.GetState());
    expect(await diff(h, state)).toBeInstanceOf(Api.updates.DifferenceEmpty);
  });

  it('returns what happened since the state: messages, bot-stopped and the users', async () => {
    const { h, alice } = await started();
    const state = await h.call(new Api.updates.GetState());
    h.clock.advance(1000);
    alice.start('p');
    alice.block();
    const d = await diff(h, state);
    expect(d).toBeInstanceOf(Api.updates.Difference);
    expect(d.newMessages.map((m: Api.Message) => m.message)).toEqual(['/start p']);
    expect(d.otherUpdates[0]).toBeInstanceOf(Api.UpdateBotStopped);
    expect(d.users.map((u: Api.User) => big(u.id))).toEqual([alice.id]);
    expect([d.state.pts, d.state.qts]).toEqual([state.pts + 1, state.qts + 1]);
    expect(await diff(h, d.state)).toBeInstanceOf(Api.updates.DifferenceEmpty);
  });

  it('includes what the bot itself sent', async () => {
    const { h, alice } = await started();
    alice.start();
    const state = await h.call(new Api.updates.GetState());
    await h.call(
      new Api.messages.SendMessage({ peer: alice.inputPeer(), message: 'mine', randomId: bigInt(1) }),
    );
    const d = await diff(h, state);
    expect(d.newMessages.map((m: Api.Message) => [m.message, m.out])).toEqual([['mine', true]]);
  });

  it('cuts a long difference into slices that end where the next call continues', async () => {
    const { h, alice } = await started();
    const state = await h.call(new Api.updates.GetState());
    for (let i = 0; i < 7; i++) alice.send(`m${i}`);
    const texts: string[] = [];
    let s = state;
    for (let i = 0; i < 10; i++) {
      const d = await diff(h, s);
      texts.push(...d.newMessages.map((m: Api.Message) => m.message));
      if (d instanceof Api.updates.DifferenceSlice) {
        expect(d.newMessages).toHaveLength(3);
        s = d.intermediateState;
        continue;
      }
      expect(d).toBeInstanceOf(Api.updates.Difference);
      break;
    }
    expect(texts).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6']);
  });

  it('answers differenceTooLong when the client is too far behind', async () => {
    const { h, alice } = await started();
    const state = await h.call(new Api.updates.GetState());
    for (let i = 0; i < 21; i++) alice.send(`m${i}`);
    const d = await diff(h, state);
    expect(d).toBeInstanceOf(Api.updates.DifferenceTooLong);
    expect(d.pts).toBe(state.pts + 21);
  });

  it('honours pts_total_limit', async () => {
    const { h, alice } = await started();
    const state = await h.call(new Api.updates.GetState());
    for (let i = 0; i < 5; i++) alice.send(`m${i}`);
    const d = await h.call(
      new Api.updates.GetDifference({ pts: state.pts, qts: state.qts, date: state.date, ptsTotalLimit: 2 }),
    );
    expect(d).toBeInstanceOf(Api.updates.DifferenceTooLong);
  });

  it('answers differenceTooLong once the entries a client needs were dropped from the log', async () => {
    const h = await harness({ flood: false, difference: { logLimit: 5 } });
    const bot = h.tg.createBot();
    await h.login(bot);
    const alice = h.tg.createUser({ firstName: 'Alice' });
    const state = await h.call(new Api.updates.GetState());
    for (let i = 0; i < 8; i++) alice.send(`m${i}`);
    expect(await diff(h as never, state)).toBeInstanceOf(Api.updates.DifferenceTooLong);
  });

  it('does not lose a rename (no pts) that happened after the state', async () => {
    const { h, alice } = await started();
    alice.start();
    const state = await h.call(new Api.updates.GetState());
    alice.rename({ firstName: 'Alicia' });
    const d = await diff(h, state);
    expect(d.otherUpdates.map((u: Api.TypeUpdate) => u.className)).toEqual(['UpdateUserName']);
  });
});
