import bigInt from 'big-integer';
import { Api, errors, type TelegramClient } from 'telegram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BotHandle } from '../../src/scenario.js';
import { TestServer } from '../../src/test-server.js';
import { botClient, collectUpdates, connectClient, rpcOutcome, until } from './client.js';

let tg: TestServer;
let bot: BotHandle;
const clients: TelegramClient[] = [];

beforeEach(async () => {
  tg = await TestServer.start({ timeScale: 0.01, flood: false });
  bot = tg.createBot({ username: 'catchup_bot' });
});

afterEach(async () => {
  for (const c of clients.splice(0)) await c.destroy();
  await tg.stop();
});

async function login(session?: string, autoReconnect = false): Promise<TelegramClient> {
  const c = session
    ? await connectClient(tg, { session, autoReconnect })
    : await botClient(tg, bot.token, { autoReconnect });
  clients.push(c);
  return c;
}

describe('catching up with getDifference', () => {
  it('loses no update while the bot was offline', async () => {
    const first = await login();
    const state = await first.invoke(new Api.updates.GetState());
    const session = first.session.save() as unknown as string;
    await first.destroy();
    clients.length = 0;

    const alice = tg.createUser({ firstName: 'Alice', langCode: 'en' });
    alice.start('offline');
    alice.send('are you there?');
    alice.block();
    const group = tg.createGroup({ title: 'G' });
    const bob = tg.createUser({ firstName: 'Bob' });
    bob.requestJoin(group);

    const second = await login(session);
    const d = await second.invoke(
      new Api.updates.GetDifference({ pts: state.pts, qts: state.qts, date: state.date }),
    );
    expect(d).toBeInstanceOf(Api.updates.Difference);
    const diff = d as Api.updates.Difference;
    expect(diff.newMessages.map((m) => (m as Api.Message).message)).toEqual([
      '/start offline',
      'are you there?',
    ]);
    expect(diff.otherUpdates.map((u) => u.className)).toEqual([
      'UpdateBotStopped',
      'UpdateBotChatInviteRequester',
    ]);
    expect(diff.state.pts).toBe(state.pts + 2);
    expect(diff.state.qts).toBe(state.qts + 2);
    const empty = await second.invoke(
      new Api.updates.GetDifference({ pts: diff.state.pts, qts: diff.state.qts, date: diff.state.date }),
    );
    expect(empty).toBeInstanceOf(Api.updates.DifferenceEmpty);
  });

  it('serves what was missed during a dropped connection after GramJS reconnects', async () => {
    const client = await login(undefined, true);
    const live = collectUpdates(client);
    const alice = tg.createUser({ firstName: 'Alice' });
    alice.start();
    await until(() => live.length === 1);
    const state = await client.invoke(new Api.updates.GetState());

    tg.dropAllConnections();
    alice.send('sent while you were away'); // no live session: only the log has it
    await until(() => (tg.gatewayCounters?.connectionsOpen ?? 0) > 0, 5000);
    const d = (await client.invoke(
      new Api.updates.GetDifference({ pts: state.pts, qts: state.qts, date: state.date }),
    )) as Api.updates.Difference;
    expect(d.newMessages.map((m) => (m as Api.Message).message)).toEqual(['sent while you were away']);
  });

  it('slices a long difference', async () => {
    await tg.stop();
    tg = await TestServer.start({ timeScale: 0.01, flood: false, difference: { sliceSize: 2 } });
    bot = tg.createBot({ username: 'slice_bot' });
    const client = await login();
    const state = await client.invoke(new Api.updates.GetState());
    const alice = tg.createUser({ firstName: 'Alice' });
    for (let i = 0; i < 5; i++) alice.send(`m${i}`);
    const first = await client.invoke(
      new Api.updates.GetDifference({ pts: state.pts, qts: state.qts, date: state.date }),
    );
    expect(first).toBeInstanceOf(Api.updates.DifferenceSlice);
    const s = (first as Api.updates.DifferenceSlice).intermediateState;
    const next = await client.invoke(new Api.updates.GetDifference({ pts: s.pts, qts: s.qts, date: s.date }));
    expect((next as Api.updates.DifferenceSlice).newMessages.map((m) => (m as Api.Message).message)).toEqual([
      'm2',
      'm3',
    ]);
  });
});

describe('flood waits through GramJS', () => {
  it('surfaces a forced FLOOD_WAIT as FloodWaitError and counts it', async () => {
    const client = await login();
    const alice = tg.createUser({ firstName: 'Alice' });
    alice.start();
    tg.forceFloodWait(1, 5);
    const err = await client.sendMessage(alice.inputPeer(), { message: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(errors.FloodWaitError);
    expect((err as errors.FloodWaitError).seconds).toBe(5);
    expect(await rpcOutcome(client.sendMessage(alice.inputPeer(), { message: 'y' }))).toBe('ok');
    expect(tg.stats().floodWaits).toBe(1);
  });

  it('earns a FLOOD_WAIT by sending too fast into one chat', async () => {
    await tg.stop();
    tg = await TestServer.start({ timeScale: 1, flood: { privateBurst: 2, privatePerSecond: 1 } });
    bot = tg.createBot({ username: 'fast_bot' });
    const client = await login();
    const alice = tg.createUser({ firstName: 'Alice' });
    alice.start();
    const results: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      const req = new Api.messages.SendMessage({
        peer: alice.inputPeer(),
        message: `${i}`,
        randomId: bigInt(i + 1),
      });
      results.push(
        await client.invoke(req).then(
          () => 'ok',
          (e: unknown) => e,
        ),
      );
    }
    expect(results.slice(0, 2)).toEqual(['ok', 'ok']);
    // GramJS turns FLOOD_WAIT_<n> into FloodWaitError { seconds: n } (errorMessage 'FLOOD').
    expect(results[2]).toBeInstanceOf(errors.FloodWaitError);
    expect((results[2] as errors.FloodWaitError).seconds).toBe(1);
    expect(tg.stats().errors['FLOOD_WAIT_1']).toBe(1);
  });
});
