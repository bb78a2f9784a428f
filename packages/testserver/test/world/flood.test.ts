import bigInt from 'big-integer';
import { Api } from 'telegram';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/world/clock.js';
import { FloodControl } from '../../src/world/flood.js';
import { harness, outcome } from './harness.js';

describe('flood control', () => {
  it('allows a small burst into one private chat, then about one message per second', () => {
    const clock = new ManualClock();
    const flood = new FloodControl(clock, {});
    const chat = { kind: 'private' as const, key: 'u1' };
    expect([1, 2, 3].map(() => flood.checkSend(1n, chat))).toEqual([0, 0, 0]);
    expect(flood.checkSend(1n, chat)).toBe(1);
    clock.advance(1000);
    expect(flood.checkSend(1n, chat)).toBe(0);
    expect(flood.checkSend(1n, chat)).toBe(1);
  });

  it('limits a bot to about 30 messages per second over all chats', () => {
    const clock = new ManualClock();
    const flood = new FloodControl(clock, {});
    const waits = Array.from({ length: 31 }, (_, i) =>
      flood.checkSend(1n, { kind: 'private', key: `u${i}` }),
    );
    expect(waits.slice(0, 30).every((w) => w === 0)).toBe(true);
    expect(waits[30]).toBe(1);
    expect(flood.checkSend(2n, { kind: 'private', key: 'u0' })).toBe(0);
  });

  it('limits a group to 20 messages per minute', () => {
    const clock = new ManualClock();
    const flood = new FloodControl(clock, {});
    const chat = { kind: 'group' as const, key: 'c1' };
    for (let i = 0; i < 20; i++) {
      expect(flood.checkSend(1n, chat)).toBe(0);
      clock.advance(40);
    }
    expect(flood.checkSend(1n, chat)).toBe(3);
  });

  it('answers 420 FLOOD_WAIT_n to a bot that sends too fast and counts it', async () => {
    const h = await harness({ flood: { privateBurst: 1, privatePerSecond: 0.5 } });
    await h.login(h.tg.createBot());
    const alice = h.tg.createUser({ firstName: 'Alice' });
    alice.start();
    const send = (i: number) =>
      outcome(
        h.call(
          new Api.messages.SendMessage({ peer: alice.inputPeer(), message: `m${i}`, randomId: bigInt(i) }),
        ),
      );
    expect(await send(1)).toBe('ok');
    expect(await send(2)).toBe('420 FLOOD_WAIT_2');
    h.clock.advance(2000);
    expect(await send(3)).toBe('ok');
    expect(h.tg.stats().floodWaits).toBe(1);
    expect(h.tg.inbox(alice).map((m) => m.text)).toEqual(['m1', 'm3']);
  });

  it('forces flood waits on the next n calls, sparing connection housekeeping', async () => {
    const h = await harness({ flood: false });
    await h.login(h.tg.createBot());
    const alice = h.tg.createUser({ firstName: 'Alice' });
    alice.start();
    h.tg.forceFloodWait(2, 7);
    expect(await outcome(h.call(new Api.updates.GetState()))).toBe('ok');
    expect(await outcome(h.call(new Api.users.GetUsers({ id: [new Api.InputUserSelf()] })))).toBe('ok');
    const send = (i: number) =>
      outcome(
        h.call(
          new Api.messages.SendMessage({ peer: alice.inputPeer(), message: `m${i}`, randomId: bigInt(i) }),
        ),
      );
    expect(await send(1)).toBe('420 FLOOD_WAIT_7');
    expect(await send(2)).toBe('420 FLOOD_WAIT_7');
    expect(await send(3)).toBe('ok');
    expect(h.tg.stats().floodWaits).toBe(2);
    expect(h.tg.stats().errors['FLOOD_WAIT_7']).toBe(2);
  });

  it('can aim forced flood waits at one method', async () => {
    const h = await harness({ flood: false });
    await h.login(h.tg.createBot());
    const alice = h.tg.createUser({ firstName: 'Alice' });
    alice.start();
    h.tg.forceFloodWait(1, 3, ['messages.SendMessage']);
    const typing = new Api.messages.SetTyping({
      peer: alice.inputPeer(),
      action: new Api.SendMessageTypingAction(),
    });
    expect(await outcome(h.call(typing))).toBe('ok');
    const send = new Api.messages.SendMessage({ peer: alice.inputPeer(), message: 'x', randomId: bigInt(1) });
    expect(await outcome(h.call(send))).toBe('420 FLOOD_WAIT_3');
  });
});
