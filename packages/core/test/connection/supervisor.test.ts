import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  type ConnectionState,
  type Link,
  LinkDeath,
  type LinkFailure,
  resolveConnectionOptions,
  Supervisor,
  withTimeout,
} from '../../src/connection/index.js';
import { ConnectionLostError, SessionInvalidError } from '../../src/errors.js';

/** A link driven by the test: it answers calls and pings until told to drop or to go silent. */
class TestLink implements Link {
  silent = false;
  private readonly death = new LinkDeath();
  constructor(readonly n: number) {}
  get closed(): Promise<LinkFailure> {
    return this.death.closed;
  }
  get dead(): boolean {
    return this.death.dead;
  }
  watch(listener: (f: LinkFailure) => void): () => void {
    return this.death.watch(listener);
  }
  fail(f: LinkFailure): void {
    this.death.die(f);
  }
  ping(): Promise<void> {
    return this.silent ? new Promise(() => {}) : Promise.resolve();
  }
  async close(): Promise<void> {
    this.fail({ reason: 'closed' });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function setup(opts: { dial?: (n: number) => Promise<TestLink> | TestLink; ping?: boolean } = {}) {
  const links: TestLink[] = [];
  const states: ConnectionState[] = [];
  let reconnected = 0;
  let reachable = true;
  const sup = new Supervisor<TestLink>({
    options: resolveConnectionOptions({
      callTimeoutMs: 2000,
      connectTimeoutMs: 200,
      pingIntervalMs: opts.ping ? 30 : 0,
      pingTimeoutMs: 30,
      backoffInitialMs: 20,
      backoffMaxMs: 80,
    }),
    clock: { now: () => Date.now() },
    target: 'test',
    dial: async () => {
      if (!reachable) throw new Error('ECONNREFUSED');
      const link = await (opts.dial?.(links.length + 1) ?? new TestLink(links.length + 1));
      links.push(link);
      return link;
    },
    onState: (s) => states.push(s),
    onReconnected: () => {
      reconnected++;
    },
  });
  return {
    sup,
    links,
    states,
    reconnects: () => reconnected,
    setReachable: (r: boolean) => {
      reachable = r;
    },
  };
}

describe('backoff', () => {
  it('grows exponentially from the initial wait up to the cap, shortened by at most the jitter', () => {
    const o = resolveConnectionOptions();
    expect(backoffDelay(0, o, () => 0)).toBe(0);
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, o, () => 0))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffDelay(20, o, () => 0)).toBe(30_000);
    expect(backoffDelay(20, o, () => 1)).toBe(24_000);
    expect(resolveConnectionOptions({ timeScale: 0.01 }).backoffMaxMs).toBe(300);
  });
});

describe('Supervisor', () => {
  it('reconnects after a drop, reporting waiting with the next attempt, and asks for a catch-up', async () => {
    const t = setup();
    await t.sup.start();
    t.setReachable(false);
    t.links[0]!.fail({ reason: 'socket closed' });
    await sleep(60);
    t.setReachable(true);
    await withTimeout(2000, () => t.sup.waitReady({ at: performance.now() + 2000, timeoutMs: 2000 }, 'x'));
    const names = t.states.map((s) => s.state);
    expect(names.slice(0, 2)).toEqual(['connecting', 'ready']);
    expect(names).toContain('waiting');
    expect(names.at(-1)).toBe('ready');
    const waiting = t.states.find((s) => s.state === 'waiting');
    expect(waiting).toMatchObject({ reason: 'ECONNREFUSED', nextAttemptAt: expect.any(Number) });
    expect(t.reconnects()).toBe(1);
    expect(t.sup.state).toMatchObject({ state: 'ready', reconnects: 1 });
    await t.sup.stop();
  });

  it('settles a call made while unreachable with ConnectionLostError at its deadline', async () => {
    const t = setup();
    await t.sup.start();
    t.setReachable(false);
    t.links[0]!.fail({ reason: 'socket closed' });
    const started = performance.now();
    const err = await withTimeout(150, () => t.sup.call('m', async () => 1, { retry: true })).catch((e) => e);
    expect(err).toBeInstanceOf(ConnectionLostError);
    expect(err).toMatchObject({ reason: 'timeout', timeoutMs: 150 });
    expect(performance.now() - started).toBeLessThan(1000);
    await t.sup.stop();
  });

  it('sends a call again on the next link when its link drops with it in flight, only if that is safe', async () => {
    const t = setup();
    await t.sup.start();
    const seen: number[] = [];
    const safe = t.sup.call(
      'safe',
      async (link) => {
        seen.push(link.n);
        if (link.n === 1) {
          link.fail({ reason: 'dropped' });
          return new Promise<number>(() => {}); // GramJS: never settles
        }
        return link.n;
      },
      { retry: true },
    );
    expect(await safe).toBe(2);
    expect(seen).toEqual([1, 2]);
    const unsafe = await t.sup
      .call(
        'unsafe',
        async (link) => {
          link.fail({ reason: 'dropped' });
          return new Promise<number>(() => {});
        },
        { retry: false },
      )
      .catch((e) => e);
    expect(unsafe).toBeInstanceOf(ConnectionLostError);
    expect(unsafe).toMatchObject({ reason: 'dropped' });
    await t.sup.stop();
  });

  it('replaces a link that stops answering pings', async () => {
    const t = setup({ ping: true });
    await t.sup.start();
    t.links[0]!.silent = true;
    const failure = await t.links[0]!.closed;
    expect(failure.reason).toMatch(/no answer to a ping/);
    await withTimeout(2000, () => t.sup.waitReady({ at: performance.now() + 2000, timeoutMs: 2000 }, 'x'));
    expect(t.links).toHaveLength(2);
    await t.sup.stop();
  });

  it('stops for good on SessionInvalidError: waiting and later calls reject with it', async () => {
    const t = setup();
    await t.sup.start();
    const invalid = new SessionInvalidError('-404 (auth key not found)');
    const waiting = t.sup.call(
      'm',
      async (link) => {
        link.fail({ reason: invalid.reason, sessionInvalid: invalid });
        return new Promise<number>(() => {});
      },
      { retry: true },
    );
    await expect(waiting).rejects.toBe(invalid);
    expect(t.sup.state).toEqual({ state: 'stopped', error: invalid });
    await expect(t.sup.call('later', async () => 1, { retry: true })).rejects.toBe(invalid);
  });

  it('leaves no listener behind on a live link after many calls', async () => {
    const t = setup();
    await t.sup.start();
    for (let i = 0; i < 1000; i++) await t.sup.call('m', async () => i, { retry: true });
    expect((t.links[0] as unknown as { death: { listeners: Set<unknown> } }).death.listeners.size).toBe(0);
    await t.sup.stop();
  });

  it('settles calls waiting for a connection at once when stopped', async () => {
    const t = setup();
    await t.sup.start();
    t.setReachable(false);
    t.links[0]!.fail({ reason: 'socket closed' });
    const waiting = t.sup.call('m', async () => 1, { retry: true });
    await sleep(20);
    await t.sup.stop();
    await expect(waiting).rejects.toMatchObject({ reason: 'stopped' });
  });

  it('gives up the first connection with a typed error naming the target when it never succeeds', async () => {
    const t = setup();
    t.setReachable(false);
    const sup = new Supervisor<TestLink>({
      options: resolveConnectionOptions({ callTimeoutMs: 100, connectTimeoutMs: 50, backoffInitialMs: 10 }),
      clock: { now: () => Date.now() },
      target: '127.0.0.1:1',
      dial: async () => {
        throw new Error('ECONNREFUSED');
      },
      onState: () => {},
      onReconnected: () => {},
    });
    const err = await sup.start().catch((e) => e);
    expect(err).toBeInstanceOf(ConnectionLostError);
    expect(String(err.message)).toContain('127.0.0.1:1');
    expect(String(err.message)).toContain('ECONNREFUSED');
    expect(sup.state.state).toBe('stopped');
  });
});
