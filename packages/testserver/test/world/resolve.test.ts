import { Api } from 'telegram';
import { describe, expect, it } from 'vitest';
import { harness, outcome } from './harness.js';

const big = (v: { toString(): string }) => BigInt(v.toString());

describe('contacts.resolveUsername and users', () => {
  it('resolves case-insensitively to a full user with a working hash', async () => {
    const h = await harness();
    const bot = h.tg.createBot();
    await h.login(bot);
    const alice = h.tg.createUser({ firstName: 'Alice', username: 'Alice_W' });
    const res = await h.call(new Api.contacts.ResolveUsername({ username: 'alice_w' }));
    expect(res.peer).toBeInstanceOf(Api.PeerUser);
    expect(big(res.users[0].id)).toBe(alice.id);
    expect(res.users[0].min).toBeFalsy();
    expect(big(res.users[0].accessHash)).toBe(alice.accessHashFor(bot));
    expect(h.tg.world.relation(alice.record, h.tg.world.user(bot.id)!).seen).toBe('full');
  });

  it('answers USERNAME_INVALID for bad syntax and USERNAME_NOT_OCCUPIED for a free name', async () => {
    const h = await harness();
    await h.login(h.tg.createBot());
    const resolve = (username: string) => outcome(h.call(new Api.contacts.ResolveUsername({ username })));
    expect(await resolve('a')).toBe('400 USERNAME_INVALID');
    expect(await resolve('9lives')).toBe('400 USERNAME_INVALID');
    expect(await resolve('bad-name')).toBe('400 USERNAME_INVALID');
    expect(await resolve('free_name')).toBe('400 USERNAME_NOT_OCCUPIED');
  });

  it('stops resolving a username to its old owner once it moved', async () => {
    const h = await harness();
    await h.login(h.tg.createBot());
    const alice = h.tg.createUser({ firstName: 'Alice', username: 'shared' });
    const bob = h.tg.createUser({ firstName: 'Bob' });
    bob.setUsernames(['shared']);
    const res = await h.call(new Api.contacts.ResolveUsername({ username: 'shared' }));
    expect(big(res.users[0].id)).toBe(bob.id);
    expect(alice.username).toBeUndefined();
  });

  it('frees the usernames of a deleted account', async () => {
    const h = await harness();
    await h.login(h.tg.createBot());
    const alice = h.tg.createUser({ firstName: 'Alice', username: 'gone_soon' });
    alice.deleteAccount();
    expect(await outcome(h.call(new Api.contacts.ResolveUsername({ username: 'gone_soon' })))).toBe(
      '400 USERNAME_NOT_OCCUPIED',
    );
  });

  it('resolves a bot and a public channel', async () => {
    const h = await harness();
    const bot = h.tg.createBot({ username: 'first_bot' });
    h.tg.createBot({ username: 'second_bot' });
    await h.login(bot);
    h.tg.createChannel({ title: 'News', username: 'news_channel', bot });
    const other = await h.call(new Api.contacts.ResolveUsername({ username: 'Second_Bot' }));
    expect(other.users[0].bot).toBe(true);
    const ch = await h.call(new Api.contacts.ResolveUsername({ username: 'news_channel' }));
    expect(ch.peer).toBeInstanceOf(Api.PeerChannel);
    expect(ch.chats[0].title).toBe('News');
  });

  it('returns the full profile with users.getFullUser and the bot commands', async () => {
    const h = await harness();
    const bot = h.tg.createBot();
    await h.login(bot);
    const ok = await h.call(
      new Api.bots.SetBotCommands({
        scope: new Api.BotCommandScopeDefault(),
        langCode: '',
        commands: [new Api.BotCommand({ command: 'help', description: 'Show help' })],
      }),
    );
    expect(ok).toBe(true);
    const full = await h.call(new Api.users.GetFullUser({ id: new Api.InputUserSelf() }));
    expect(full.fullUser.botInfo.commands.map((c: Api.BotCommand) => c.command)).toEqual(['help']);
    const alice = h.tg.createUser({ firstName: 'Alice' });
    const af = await h.call(new Api.users.GetFullUser({ id: alice.inputUser(bot) }));
    expect(big(af.users[0].id)).toBe(alice.id);
    const wrong = new Api.InputUser({
      userId: alice.inputUser().userId,
      accessHash: alice.inputUser().userId,
    });
    expect(await outcome(h.call(new Api.users.GetFullUser({ id: wrong })))).toBe('400 USER_ID_INVALID');
  });

  it('validates bot commands', async () => {
    const h = await harness();
    await h.login(h.tg.createBot());
    const set = (command: string, description = 'd') =>
      outcome(
        h.call(
          new Api.bots.SetBotCommands({
            scope: new Api.BotCommandScopeDefault(),
            langCode: 'en',
            commands: [new Api.BotCommand({ command, description })],
          }),
        ),
      );
    expect(await set('Bad Command')).toBe('400 BOT_COMMAND_INVALID');
    expect(await set('ok', '')).toBe('400 BOT_COMMAND_DESCRIPTION_INVALID');
    expect(await set('ok')).toBe('ok');
    const got = await h.call(
      new Api.bots.GetBotCommands({ scope: new Api.BotCommandScopeDefault(), langCode: 'en' }),
    );
    expect(got.map((c: Api.BotCommand) => c.command)).toEqual(['ok']);
  });
});
