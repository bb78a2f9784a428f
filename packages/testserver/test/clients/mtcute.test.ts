/**
 * Unmodified mtcute (layer 227, intermediate transport, RSA_PAD, its own session rules) against the test server:
 * the only changes are its DC list and the test RSA key. Everything it reads is transcoded from the world's
 * internal layer (GramJS's) and everything it sends is read in its own.
 */
import { type BotStoppedUpdate, MemoryStorage, type Message, TelegramClient } from '@mtcute/node';
import { addPublicKey, NodeCryptoProvider } from '@mtcute/node/utils.js';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testServerPublicKeyPem } from '../../src/keys.js';
import type { BotHandle } from '../../src/scenario.js';
import { TestServer } from '../../src/test-server.js';

beforeAll(async () => {
  const crypto = new NodeCryptoProvider();
  await crypto.initialize?.();
  addPublicKey(crypto, testServerPublicKeyPem()); // mtcute's counterpart of registerTestServerKey()
});

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!().catch(() => {});
});

function mtcuteClient(tg: TestServer, storage: MemoryStorage): TelegramClient {
  const dc = { id: 2, ipAddress: tg.host, port: tg.port };
  const client = new TelegramClient({
    apiId: 1,
    apiHash: '0123456789abcdef0123456789abcdef',
    storage,
    defaultDcs: { main: dc, media: dc },
    logLevel: 0,
    updates: { catchUp: true },
  });
  cleanup.push(() => client.destroy());
  return client;
}

/** Logs in and waits until mtcute caught up and listens (its updates loop starts after `start()` returns). */
async function startBot(client: TelegramClient, token: string) {
  const states: string[] = [];
  client.onConnectionState.add((s) => states.push(s));
  const me = await client.start({ botToken: token });
  await until(() => states.includes('updating') && states.at(-1) === 'connected', 'catching up');
  return me;
}

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`mtcute test: ${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('mtcute against the test server', () => {
  let tg: TestServer;
  let bot: BotHandle;

  it('logs in as a bot, resolves, sends, receives /start with a payload and a block, and catches up', async () => {
    tg = await TestServer.start({ timeScale: 0.01, flood: false });
    cleanup.push(() => tg.stop());
    bot = tg.createBot({ username: 'mtcute_bot', firstName: 'Mt Bot' });
    const alice = tg.createUser({ firstName: 'Alice', username: 'alice_mt', langCode: 'en' });
    const bob = tg.createUser({ firstName: 'Bob', username: 'bob_mt' });
    const storage = new MemoryStorage();

    const client = mtcuteClient(tg, storage);
    const me = await startBot(client, bot.token);
    expect(me.id).toBe(Number(bot.id));
    expect(me.isBot).toBe(true);
    expect((await client.getMe()).username).toBe('mtcute_bot');

    const messages: Message[] = [];
    const stops: BotStoppedUpdate[] = [];
    client.onNewMessage.add((m) => messages.push(m));
    client.onBotStopped.add((u) => stops.push(u));

    alice.start('promo_42');
    await until(() => messages.length === 1, '/start promo_42');
    expect(messages[0]!.text).toBe('/start promo_42');
    expect(messages[0]!.sender.id).toBe(Number(alice.id));
    expect(messages[0]!.sender.username).toBe('alice_mt');

    const resolved = await client.resolveUser('bob_mt');
    expect(resolved._).toBe('inputUser');
    expect(String((resolved as { userId: number }).userId)).toBe(bob.id.toString());

    const sent = await client.sendText(Number(alice.id), 'Hello from mtcute');
    expect(sent.text).toBe('Hello from mtcute');
    expect(tg.inbox(alice).map((m) => m.text)).toEqual(['Hello from mtcute']);

    alice.block();
    await until(() => stops.length === 1, 'updateBotStopped');
    expect(stops[0]!.user.id).toBe(Number(alice.id));
    expect(stops[0]!.stopped).toBe(true);

    // The connection drops and Bob's /start is pushed to nobody. mtcute reconnects by itself; the next live update
    // shows it a pts gap, and getDifference brings the missed one first.
    const sessionsBefore = tg.gatewayCounters!.newSessions;
    tg.dropAllConnections();
    alice.unblock();
    bob.start();
    // Reconnected once the server saw the session again (mtcute pings on the new connection).
    await until(() => tg.gatewayCounters!.newSessions > sessionsBefore, 'the reconnect');
    alice.send('back online?');
    await until(() => messages.length === 3, 'the update missed during the drop, then the live one');
    expect(messages.slice(1).map((m) => [m.text, m.sender.id])).toEqual([
      ['/start', Number(bob.id)],
      ['back online?', Number(alice.id)],
    ]);

    // The bot goes away; meanwhile Alice comes back and writes. The next start catches up (getDifference).
    await client.destroy();
    alice.start('again'); // she had unblocked already: no second updateBotStopped
    alice.send('are you there?');
    const later = mtcuteClient(tg, storage);
    const seen: string[] = [];
    later.onNewMessage.add((m) => seen.push(m.text));
    await startBot(later, bot.token);
    await until(() => seen.length >= 2, 'the missed messages');
    expect(seen).toEqual(['/start again', 'are you there?']);
  });
});
