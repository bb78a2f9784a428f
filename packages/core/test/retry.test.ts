import { describe, expect, it } from 'vitest';
import { backoffDelay, retry } from '../src/internal.js';

describe('retry', () => {
  it('runs again after the wait retryAfter names, and resolves with the first success', async () => {
    const slept: number[] = [];
    const seen: [string, number][] = [];
    const result = await retry(
      async (n) => {
        if (n < 4) throw new Error(`fail ${n}`);
        return `done on ${n}`;
      },
      {
        sleep: async (ms) => {
          slept.push(ms);
        },
        retryAfter: (error, attempt) => {
          seen.push([(error as Error).message, attempt]);
          return attempt === 2 ? 0 : attempt * 10;
        },
      },
    );
    expect(result).toBe('done on 4');
    expect(seen).toEqual([
      ['fail 1', 1],
      ['fail 2', 2],
      ['fail 3', 3],
    ]);
    expect(slept).toEqual([10, 30]); // no sleep for a wait of 0
  });

  it('rejects with what retryAfter throws, and makes no further attempt', async () => {
    let attempts = 0;
    const error = await retry(
      async () => {
        attempts++;
        throw new Error('refused');
      },
      {
        sleep: async () => {},
        retryAfter: (e, attempt) => {
          if (attempt >= 3) throw new RangeError(`gave up after ${attempt}: ${(e as Error).message}`);
          return 1;
        },
      },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toBe('gave up after 3: refused');
    expect(attempts).toBe(3);
  });

  it('waits in real time by default', async () => {
    const started = performance.now();
    let n = 0;
    await retry(
      async () => {
        if (++n === 1) throw new Error('once');
      },
      { retryAfter: () => 30 },
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('is exported with backoffDelay for pm’s other packages', () => {
    expect(
      [1, 2, 3, 4].map((n) =>
        backoffDelay(n, { backoffInitialMs: 50, backoffFactor: 2, backoffMaxMs: 200, backoffJitter: 0 }),
      ),
    ).toEqual([50, 100, 200, 200]);
  });
});
