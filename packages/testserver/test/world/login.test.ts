import { Api } from 'telegram';
import { describe, expect, it } from 'vitest';
import { AUTH_KEY, harness, outcome } from './harness.js';

describe('connecting and logging in', () => {
  it('points every DC of help.getConfig at the server itself', async () => {
    const h = await harness({ port: 4567 });
    const config = await h.call(new Api.help.GetConfig());
    expect(config).toBeInstanceOf(Api.Config);
    expect(config.dcOptions.map((o: Api.DcOption) => o.id)).toEqual([1, 2, 3, 4, 5]);
    for (const o of config.dcOptions) expect([o.ipAddress, o.port]).toEqual(['127.0.0.1', 4567]);
    expect(config.messageLengthMax).toBe(4096);
  });

  it('answers help.getNearestDc with the DC it plays', async () => {
    const h = await harness();
    const dc = await h.call(new Api.help.GetNearestDc());
    expect([dc.thisDc, dc.nearestDc]).toEqual([2, 2]);
  });

  it('logs a bot in with its token and returns the bot as self', async () => {
    const h = await harness();
    const bot = h.tg.createBot({ username: 'shop_bot', firstName: 'Shop' });
    const auth = await h.login(bot);
    expect(auth).toBeInstanceOf(Api.auth.Authorization);
    expect(auth.user.self).toBe(true);
    expect(auth.user.bot).toBe(true);
    expect(auth.user.username).toBe('shop_bot');
    expect(BigInt(auth.user.id.toString())).toBe(bot.id);
  });

  it('rejects a wrong token with 400 ACCESS_TOKEN_INVALID', async () => {
    const h = await harness();
    const bot = h.tg.createBot();
    const wrong = { ...bot, token: `${bot.id}:nope` };
    expect(await outcome(h.login(wrong))).toBe('400 ACCESS_TOKEN_INVALID');
    expect(await outcome(h.login({ ...bot, token: 'garbage' }))).toBe('400 ACCESS_TOKEN_INVALID');
    expect(await outcome(h.login({ ...bot, token: `1${bot.token}` }))).toBe('400 ACCESS_TOKEN_INVALID');
  });

  it('answers 401 AUTH_KEY_UNREGISTERED before login, which is how GramJS decides to sign in', async () => {
    const h = await harness();
    expect(await outcome(h.call(new Api.updates.GetState()))).toBe('401 AUTH_KEY_UNREGISTERED');
    expect(await outcome(h.call(new Api.users.GetUsers({ id: [new Api.InputUserSelf()] })))).toBe(
      '401 AUTH_KEY_UNREGISTERED',
    );
  });

  it('binds the login to the auth key, not to the connection', async () => {
    const h = await harness();
    const bot = h.tg.createBot();
    await h.login(bot, 'key-a');
    expect(await outcome(h.call(new Api.updates.GetState(), 'key-a'))).toBe('ok');
    expect(await outcome(h.call(new Api.updates.GetState(), 'key-b'))).toBe('401 AUTH_KEY_UNREGISTERED');
  });

  it('returns the bot for users.getUsers([inputUserSelf]) (GramJS getMe)', async () => {
    const h = await harness();
    const bot = h.tg.createBot({ username: 'me_bot' });
    await h.login(bot);
    const [me] = await h.call(new Api.users.GetUsers({ id: [new Api.InputUserSelf()] }));
    expect(me.self).toBe(true);
    expect(me.username).toBe('me_bot');
  });

  it('forgets the login on auth.logOut', async () => {
    const h = await harness();
    await h.login(h.tg.createBot());
    expect(await h.call(new Api.auth.LogOut())).toBeInstanceOf(Api.auth.LoggedOut);
    expect(await outcome(h.call(new Api.updates.GetState(), AUTH_KEY))).toBe('401 AUTH_KEY_UNREGISTERED');
  });

  it('answers a method it does not emulate with 400 INPUT_METHOD_INVALID and counts it', async () => {
    const h = await harness();
    await h.login(h.tg.createBot());
    expect(await outcome(h.call(new Api.messages.GetStickers({ emoticon: 'x', hash: h.bigZero() })))).toBe(
      '400 INPUT_METHOD_INVALID',
    );
    expect(h.tg.stats().unhandled['messages.GetStickers']).toBe(1);
  });

  it('refuses user-only methods with 400 BOT_METHOD_INVALID', async () => {
    const h = await harness();
    await h.login(h.tg.createBot());
    const req = new Api.contacts.GetContacts({ hash: h.bigZero() });
    expect(await outcome(h.call(req))).toBe('400 BOT_METHOD_INVALID');
  });

  it('counts calls by method', async () => {
    const h = await harness();
    await h.call(new Api.help.GetConfig());
    await h.call(new Api.help.GetConfig());
    expect(h.tg.stats().rpc['help.GetConfig']).toBe(2);
  });
});
