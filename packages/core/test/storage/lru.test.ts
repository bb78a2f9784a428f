import { describe, expect, it } from 'vitest';
import { Lru } from '../../src/storage/lru.js';

/** mulberry32: the same sequence every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const filled = (max: number, keys: readonly number[]): Lru<number, string> => {
  const lru = new Lru<number, string>(max);
  for (const k of keys) lru.set(k, `v${k}`);
  return lru;
};

describe('Lru', () => {
  it('never holds more than max entries', () => {
    for (const max of [1, 2, 3, 10, 101]) {
      const lru = new Lru<number, number>(max);
      for (let i = 0; i < 5 * max; i++) {
        lru.set(i, i);
        lru.get(i - 3);
        expect(lru.size).toBeLessThanOrEqual(max);
      }
    }
  });

  it('keeps the most recently used half of its capacity, whatever was used or set before', () => {
    const random = seeded(7);
    for (const max of [2, 5, 10, 64]) {
      const lru = new Lru<number, number>(max);
      const recent: number[] = []; // most recent first
      const touch = (k: number): void => {
        const at = recent.indexOf(k);
        if (at >= 0) recent.splice(at, 1);
        recent.unshift(k);
      };
      for (let step = 0; step < 2000; step++) {
        const k = Math.floor(random() * 3 * max);
        if (random() < 0.5) {
          lru.set(k, k);
          touch(k);
        } else if (lru.get(k) !== undefined) touch(k);
        const lost = recent.slice(0, Math.floor(max / 2)).filter((kept) => !lru.has(kept));
        if (lost.length > 0) expect({ max, step, lost }).toEqual({ max, step, lost: [] });
      }
    }
  });

  it('drops an entry once half its capacity of other entries was used after it', () => {
    const lru = filled(4, [1, 2, 3, 4, 5, 6]);
    expect(lru.has(1)).toBe(false);
    expect(lru.get(1)).toBeUndefined();
    expect(lru.get(6)).toBe('v6');
  });

  it('brings an old entry back when it is used, so it outlives entries set after it', () => {
    const lru = filled(4, [1, 2, 3]);
    expect(lru.get(1)).toBe('v1'); // 1 was in the older half; now it is young again
    lru.set(4, 'v4');
    lru.set(5, 'v5');
    expect(lru.get(1)).toBe('v1');
    expect(lru.has(2)).toBe(false);
  });

  it('with room for one entry holds exactly the last one', () => {
    const lru = filled(1, [1, 2]);
    expect(lru.size).toBe(1);
    expect(lru.get(1)).toBeUndefined();
    expect(lru.get(2)).toBe('v2');
  });

  it('replaces a value in place, deletes and clears', () => {
    const lru = filled(4, [1, 2, 3]);
    lru.set(1, 'new');
    expect(lru.get(1)).toBe('new');
    lru.delete(1);
    lru.delete(3);
    expect(lru.has(1)).toBe(false);
    expect(lru.has(3)).toBe(false);
    expect(lru.size).toBe(1);
    lru.clear();
    expect(lru.size).toBe(0);
    expect(lru.get(2)).toBeUndefined();
  });

  it('has() does not count as a use', () => {
    const lru = filled(4, [1, 2, 3]);
    expect(lru.has(1)).toBe(true);
    lru.set(4, 'v4');
    lru.set(5, 'v5');
    expect(lru.has(1)).toBe(false);
  });
});
