import { describe, expect, it } from 'vitest';
import { ambientDeadline, withTimeout } from '../../src/connection/deadline.js';

const tick = () => new Promise<void>((r) => setTimeout(r, 2));

describe('withTimeout', () => {
  it('keeps each pending call under its deadline while others with theirs settle, and none outside', async () => {
    const seen: (number | undefined)[] = [];
    let releaseLong!: () => void;
    const long = withTimeout(5000, async () => {
      await new Promise<void>((r) => (releaseLong = r));
      await tick();
      seen.push(ambientDeadline()?.timeoutMs);
    });
    await withTimeout(1000, async () => {
      await tick();
      seen.push(ambientDeadline()?.timeoutMs);
    });
    // The short call settled; the long one is still pending and keeps its deadline across its awaits.
    releaseLong();
    await long;
    seen.push(ambientDeadline()?.timeoutMs);
    expect(seen).toEqual([1000, 5000, undefined]);
    // Later calls get theirs again.
    expect(await withTimeout(300, async () => ambientDeadline()?.timeoutMs)).toBe(300);
  });

  it('settles the count when the work throws, synchronously or not', async () => {
    expect(() =>
      withTimeout(100, () => {
        throw new Error('sync');
      }),
    ).toThrow('sync');
    await expect(withTimeout(100, async () => Promise.reject(new Error('async')))).rejects.toThrow('async');
    expect(await withTimeout(200, async () => ambientDeadline()?.timeoutMs)).toBe(200);
  });
});
