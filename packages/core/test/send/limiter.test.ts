import { describe, expect, it, vi } from 'vitest';
import { RateLimiter, realSleep } from '../../src/send/limiter.js';

/** A virtual clock: sleep advances time instantly, so tests measure rates without waiting. */
function virtualTime() {
  let now = 1_000_000;
  /** Time that really passed (sleeps), whatever the clock was set to meanwhile. */
  let slept = 0;
  return {
    clock: { now: () => now },
    sleep: async (ms: number) => {
      now += ms;
      slept += ms;
    },
    get now() {
      return now;
    },
    get slept() {
      return slept;
    },
    /** The wall clock is set (an NTP step, a resumed VM): time reads differently, none passes. */
    setBy(ms: number) {
      now += ms;
    },
  };
}

describe('RateLimiter', () => {
  it('gives back the tokens of messages the connection lost, so an outage is not spent budget', async () => {
    const t = virtualTime();
    const l = new RateLimiter({}, t.clock, t.sleep);
    const chat = { kind: 'private' as const, id: 7n };
    // Two messages take the chat's burst; both are lost with the connection and refunded.
    await l.acquire(chat);
    await l.acquire(chat);
    l.refund(chat);
    l.refund(chat);
    const before = t.now;
    await l.acquire(chat); // sent again after the reconnect: no wait, as for a chat that sent nothing
    await l.acquire(chat);
    expect(t.now - before).toBe(0);
    expect(l.stats.refunded).toBe(2);
    // Without a refund the third message in a second waits for the per-chat rate.
    await l.acquire(chat);
    expect(t.now - before).toBeGreaterThanOrEqual(500);
  });

  it('never lets more than 30 messages a second out overall once the burst is spent', async () => {
    const t = virtualTime();
    const l = new RateLimiter({}, t.clock, t.sleep);
    const sentAt: number[] = [];
    for (let i = 0; i < 320; i++) {
      await l.acquire({ kind: 'private', id: BigInt(i) });
      sentAt.push(t.now);
    }
    // any window of one second after the burst holds at most 30 sends
    for (let i = 20; i + 30 < sentAt.length; i++)
      expect(sentAt[i + 30]! - sentAt[i]!).toBeGreaterThanOrEqual(1000);
    // and the sustained rate is the full 30/s
    const elapsed = (sentAt.at(-1)! - sentAt[20]!) / 1000;
    expect((sentAt.length - 21) / elapsed).toBeCloseTo(30, 0);
  });

  it('keeps one private chat at one message a second after a burst of two', async () => {
    const t = virtualTime();
    const l = new RateLimiter({}, t.clock, t.sleep);
    const start = t.now;
    const at: number[] = [];
    for (let i = 0; i < 5; i++) {
      await l.acquire({ kind: 'private', id: 7n });
      at.push(t.now - start);
    }
    expect(at).toEqual([0, 0, 1000, 2000, 3000]);
  });

  it('keeps a group at 20 messages a minute after its burst', async () => {
    const t = virtualTime();
    const l = new RateLimiter({}, t.clock, t.sleep);
    const start = t.now;
    for (let i = 0; i < 35; i++) await l.acquire({ kind: 'group', id: -5n });
    expect(t.now - start).toBe(60_000);
  });

  it('pauses the chat for a slow-mode wait and the whole bot for a flood wait on an idle chat', async () => {
    const t = virtualTime();
    const l = new RateLimiter({}, t.clock, t.sleep);
    await l.acquire({ kind: 'group', id: -9n });
    expect(l.pause({ kind: 'group', id: -9n }, 10, true)).toBe('chat');
    let start = t.now;
    await l.acquire({ kind: 'private', id: 1n });
    expect(t.now - start).toBe(0);
    await l.acquire({ kind: 'group', id: -9n });
    expect(t.now - start).toBe(10_000);

    await l.acquire({ kind: 'private', id: 2n });
    expect(l.pause({ kind: 'private', id: 2n }, 5, false)).toBe('global');
    start = t.now;
    await l.acquire({ kind: 'private', id: 3n });
    expect(t.now - start).toBe(5000);
  });

  it('scales every limit with timeScale', async () => {
    const t = virtualTime();
    const l = new RateLimiter({ timeScale: 0.01 }, t.clock, t.sleep);
    const start = t.now;
    for (let i = 0; i < 5; i++) await l.acquire({ kind: 'private', id: 7n });
    expect(t.now - start).toBe(30);
  });

  it('keeps its rates and pauses when the clock is set back an hour mid-run', async () => {
    const t = virtualTime();
    const l = new RateLimiter({}, t.clock, t.sleep);
    for (let i = 0; i < 40; i++) await l.acquire({ kind: 'private', id: BigInt(i) });
    const before = t.slept;
    t.setBy(-3_600_000);
    // 300 more at the full 30/s: 10 s, not a debt that grows until the clock is back where it was.
    for (let i = 40; i < 340; i++) await l.acquire({ kind: 'private', id: BigInt(i) });
    expect(t.slept - before).toBeGreaterThanOrEqual(9_900);
    expect(t.slept - before).toBeLessThanOrEqual(10_100);
    // A flood wait set before the clock goes back lasts what it said, not an hour more.
    await l.acquire({ kind: 'private', id: 1000n });
    expect(l.pause({ kind: 'private', id: 1000n }, 5, false)).toBe('global');
    t.setBy(-3_600_000);
    const paused = t.slept;
    await l.acquire({ kind: 'private', id: 1001n });
    expect(t.slept - paused).toBeGreaterThanOrEqual(4_900);
    expect(t.slept - paused).toBeLessThanOrEqual(5_100);
    // And one set after the clock went back: also its own length, not cut short by the jump.
    t.setBy(-3_600_000);
    await l.acquire({ kind: 'private', id: 1002n });
    expect(l.pause({ kind: 'private', id: 1002n }, 5, true)).toBe('chat');
    const again = t.slept;
    await l.acquire({ kind: 'private', id: 1002n });
    expect(t.slept - again).toBeGreaterThanOrEqual(5_000);
  });

  it('sleeps longer than one timer may wait in steps, instead of not at all', async () => {
    vi.useFakeTimers();
    try {
      let woke = false;
      const slept = realSleep(2 ** 31 + 10_000).then(() => {
        woke = true;
      });
      await vi.advanceTimersByTimeAsync(1000);
      expect(woke).toBe(false);
      await vi.advanceTimersByTimeAsync(2 ** 31 + 10_000);
      await slept;
      expect(woke).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
