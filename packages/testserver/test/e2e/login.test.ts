import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TelegramClient } from 'telegram';
import { Api } from 'telegram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestServer } from '../../src/test-server.js';
import { botClient, connectClient, rpcOutcome } from './client.js';

let tg: TestServer;
const clients: TelegramClient[] = [];

beforeEach(async () => {
  tg = await TestServer.start({ timeScale: 0.01 });
});

afterEach(async () => {
  for (const c of clients.splice(0)) await c.destroy();
  await tg.stop();
});

describe('GramJS logs in over TCP', () => {
  it('logs in with client.start({ botAuthToken }) and knows itself', async () => {
    const bot = tg.createBot({ username: 'hello_bot', firstName: 'Hello' });
    const client = await botClient(tg, bot.token);
    clients.push(client);
    const me = (await client.getMe()) as Api.User;
    expect(me.username).toBe('hello_bot');
    expect(me.bot).toBe(true);
    expect(await client.isBot()).toBe(true);
    const calls = tg.stats().rpc;
    expect(calls['help.GetConfig']).toBeGreaterThanOrEqual(1);
    expect(calls['updates.GetState']).toBeGreaterThanOrEqual(1);
    expect(calls['auth.ImportBotAuthorization']).toBe(1);
    expect(tg.stats().unhandled).toEqual({});
  });

  it('fails with 400 ACCESS_TOKEN_INVALID on a wrong token', async () => {
    const bot = tg.createBot();
    const client = await connectClient(tg);
    clients.push(client);
    const wrong = new Api.auth.ImportBotAuthorization({
      apiId: 12345,
      apiHash: 'x',
      botAuthToken: `${bot.id}:wrong-secret`,
    });
    expect(await rpcOutcome(client.invoke(wrong))).toBe('400 ACCESS_TOKEN_INVALID');
    expect(await rpcOutcome(client.invoke(new Api.updates.GetState()))).toBe('401 AUTH_KEY_UNREGISTERED');
  });

  it('keeps the login in the saved session (same auth key) across a server restart', async () => {
    const bot = tg.createBot();
    const first = await botClient(tg, bot.token);
    const saved = first.session.save() as unknown as string;
    await first.destroy();
    await tg.restart();
    const again = await connectClient(tg, { session: saved });
    clients.push(again);
    expect(await rpcOutcome(again.invoke(new Api.updates.GetState()))).toBe('ok');
    expect(tg.stats().rpc['auth.ImportBotAuthorization']).toBe(1);
  });

  it('keeps the world and the auth keys in the state file across server processes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pm-testserver-e2e-'));
    const stateFile = join(dir, 'state.json');
    try {
      const a = await TestServer.start({ stateFile, timeScale: 0.01 });
      const bot = a.createBot({ username: 'durable_bot' });
      a.createUser({ firstName: 'Alice', username: 'alice_d' }).start();
      const c1 = await botClient(a, bot.token);
      const saved = c1.session.save() as unknown as string;
      await c1.destroy();
      await a.stop();

      const b = await TestServer.start({ stateFile, timeScale: 0.01 });
      try {
        const c2 = await connectClient(b, { session: saved });
        clients.push(c2);
        const [alice] = b.users();
        const [sameBot] = b.bots();
        expect(sameBot?.token).toBe(bot.token);
        // Same auth key, still logged in, dialog still open, same access hash.
        const sent = await c2.sendMessage(alice!.inputPeer(sameBot), { message: 'still here' });
        expect(sent.message).toBe('still here');
        expect(b.stats().rpc['auth.ImportBotAuthorization']).toBeUndefined();
        await c2.destroy();
        clients.length = 0;
      } finally {
        await b.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('holds answers back with setDelay', async () => {
    const bot = tg.createBot();
    const client = await botClient(tg, bot.token);
    clients.push(client);
    tg.setDelay(60);
    const t = Date.now();
    await client.invoke(new Api.updates.GetState());
    expect(Date.now() - t).toBeGreaterThanOrEqual(55);
    tg.setDelay(0);
  });
});
