import { describe, expect, it } from 'vitest';
import { RepeatedNames } from '../../src/storage/sqlite/repeated-names.js';

describe('RepeatedNames', () => {
  it('names every name that comes again, however many came between', () => {
    const names = new RepeatedNames();
    for (let i = 0; i < 200_000; i++) names.add(`user_${i}`);
    names.add('user_7');
    names.add('user_199999');
    names.add('user_7');
    names.add('ünïcode_name');
    names.add('ünïcode_name');
    for (const name of ['user_7', 'user_199999', 'ünïcode_name'])
      expect(names.candidates.has(name)).toBe(true);
  });

  it('names few of the names that came once', () => {
    const names = new RepeatedNames();
    for (let i = 0; i < 200_000; i++) names.add(`name_${i.toString(36)}`);
    // 32-bit hashes: about n² / 2³³ ≈ 5 pairs expected at 200k.
    expect(names.candidates.size).toBeLessThan(50);
  });
});
