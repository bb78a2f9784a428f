import bigInt from 'big-integer';
import { Api } from 'telegram';
import { describe, expect, it } from 'vitest';
import type { BotHandle, UserHandle } from '../../src/scenario.js';
import { type Harness, harness, outcome } from './harness.js';

let rid = 1;

function send(h: Harness, peer: Api.TypeInputPeer, message = 'hello', randomId = rid++, authKeyId?: string) {
  return h.call(new Api.messages.SendMessage({ peer, message, randomId: bigInt(randomId) }), authKeyId);
}

function typing(h: Harness, peer: Api.TypeInputPeer) {
  return h.call(new Api.messages.SetTyping({ peer, action: new Api.SendMessageTypingAction() }));
}

async function setup(): Promise<{ h: Harness; bot: BotHandle; alice: UserHandle }> {
  const h = await harness({ flood: false });
  const bot = h.tg.createBot();
  await h.login(bot);
  const alice = h.tg.createUser({ firstName: 'Alice', langCode: 'en' });
  return { h, bot, alice };
}

describe('who a bot may write to', () => {
  it('answers 400 PEER_ID_INVALID to a user who never started the bot', async () => {
    const { h, alice } = await setup();
    expect(await outcome(send(h, alice.inputPeer()))).toBe('400 PEER_ID_INVALID');
    expect(await outcome(typing(h, alice.inputPeer()))).toBe('400 PEER_ID_INVALID');
  });

  it('lets the bot write once the user pressed Start, with updateShortSentMessage', async () => {
    const { h, alice } = await setup();
    alice.start();
    const sent = await send(h, alice.inputPeer(), 'welcome');
    expect(sent).toBeInstanceOf(Api.UpdateShortSentMessage);
    expect(sent.out).toBe(true);
    expect(h.tg.inbox(alice).map((m) => m.text)).toEqual(['welcome']);
    expect(await typing(h, alice.inputPeer())).toBe(true);
  });

  it('counts any first message as a dialog start', async () => {
    const { h, alice } = await setup();
    alice.send('hi there');
    expect(await outcome(send(h, alice.inputPeer()))).toBe('ok');
  });

  it('answers 403 USER_IS_BLOCKED after the user blocked the bot, and lets it write again after unblock', async () => {
    const { h, alice } = await setup();
    alice.start();
    alice.block();
    expect(await outcome(send(h, alice.inputPeer()))).toBe('403 USER_IS_BLOCKED');
    expect(await outcome(typing(h, alice.inputPeer()))).toBe('403 USER_IS_BLOCKED');
    alice.unblock();
    expect(await outcome(send(h, alice.inputPeer()))).toBe('ok');
  });

  it('never lets a bot write to another bot (400 USER_IS_BOT)', async () => {
    const { h } = await setup();
    const other = h.tg.createUser({ firstName: 'Other', bot: true, username: 'other_bot' });
    expect(await outcome(send(h, other.inputPeer()))).toBe('400 USER_IS_BOT');
  });

  it('answers 400 INPUT_USER_DEACTIVATED for a deleted account', async () => {
    const { h, alice } = await setup();
    alice.start();
    alice.deleteAccount();
    expect(await outcome(send(h, alice.inputPeer()))).toBe('400 INPUT_USER_DEACTIVATED');
  });

  it('answers 400 PEER_ID_INVALID for a wrong access hash, even after start', async () => {
    const { h, alice } = await setup();
    alice.start();
    const wrong = new Api.InputPeerUser({ userId: alice.inputPeer().userId, accessHash: bigInt(12345) });
    expect(await outcome(send(h, wrong))).toBe('400 PEER_ID_INVALID');
  });

  it('treats a hash issued to another bot as wrong', async () => {
    const { h, bot, alice } = await setup();
    const other = h.tg.createBot({ username: 'other_bot' });
    alice.start(undefined, { bot });
    alice.start(undefined, { bot: other });
    expect(await outcome(send(h, alice.inputPeer(bot)))).toBe('ok');
    expect(await outcome(send(h, alice.inputPeer(other)))).toBe('400 PEER_ID_INVALID');
  });

  it('keeps dialogs per bot: starting bot A does not open bot B', async () => {
    const h = await harness({ flood: false });
    const a = h.tg.createBot({ username: 'a_one_bot' });
    const b = h.tg.createBot({ username: 'b_two_bot' });
    await h.login(a, 'ka');
    await h.login(b, 'kb');
    const alice = h.tg.createUser({ firstName: 'Alice' });
    alice.start(undefined, { bot: a });
    expect(await outcome(send(h, alice.inputPeer(a), 'x', rid++, 'ka'))).toBe('ok');
    expect(await outcome(send(h, alice.inputPeer(b), 'x', rid++, 'kb'))).toBe('400 PEER_ID_INVALID');
    expect(() => alice.start()).toThrow(/say which bot/);
  });

  it('opens the dialog through the Login Widget', async () => {
    const { h, alice } = await setup();
    alice.loginWithWidget(undefined, { domain: 'shop.example' });
    expect(await outcome(send(h, alice.inputPeer()))).toBe('ok');
  });

  it('lets the bot write to a join requester only within the window', async () => {
    const { h, alice } = await setup();
    const group = h.tg.createGroup({ title: 'Club' });
    alice.requestJoin(group);
    expect(await outcome(send(h, alice.inputPeer()))).toBe('ok');
    h.clock.advance(301_000);
    expect(await outcome(send(h, alice.inputPeer()))).toBe('400 PEER_ID_INVALID');
  });

  it('rejects empty and too long texts', async () => {
    const { h, alice } = await setup();
    alice.start();
    expect(await outcome(send(h, alice.inputPeer(), ''))).toBe('400 MESSAGE_EMPTY');
    expect(await outcome(send(h, alice.inputPeer(), '   '))).toBe('400 MESSAGE_EMPTY');
    expect(await outcome(send(h, alice.inputPeer(), 'x'.repeat(4097)))).toBe('400 MESSAGE_TOO_LONG');
    expect(await outcome(send(h, alice.inputPeer(), 'x'.repeat(4096)))).toBe('ok');
  });

  it('answers 400 RANDOM_ID_DUPLICATE to a repeated random_id, per bot', async () => {
    const { h, alice } = await setup();
    alice.start();
    expect(await outcome(send(h, alice.inputPeer(), 'one', 777))).toBe('ok');
    expect(await outcome(send(h, alice.inputPeer(), 'two', 777))).toBe('400 RANDOM_ID_DUPLICATE');
    expect(h.tg.inbox(alice).map((m) => m.text)).toEqual(['one']);
  });

  it('does not burn the random_id of a refused message', async () => {
    const { h, alice } = await setup();
    expect(await outcome(send(h, alice.inputPeer(), 'early', 888))).toBe('400 PEER_ID_INVALID');
    alice.start();
    expect(await outcome(send(h, alice.inputPeer(), 'now', 888))).toBe('ok');
  });

  it('counts the messages sent', async () => {
    const { h, alice } = await setup();
    alice.start();
    await send(h, alice.inputPeer());
    await send(h, alice.inputPeer());
    expect(h.tg.stats().messagesSent).toBe(2);
  });
});
