import { describe, expect, it } from 'vitest';
import { PmClient } from '../src/client.js';
import { checkNumber } from '../src/options-check.js';

describe('numeric options', () => {
  it('takes what follows the rule and names the option and the value otherwise', () => {
    expect(checkNumber('x', 0, 'nonNegative')).toBe(0);
    expect(checkNumber('x', 0.5, 'positive')).toBe(0.5);
    expect(checkNumber('x', 3, 'count')).toBe(3);
    expect(checkNumber('x', Number.POSITIVE_INFINITY, 'positive', { infinity: true })).toBe(
      Number.POSITIVE_INFINITY,
    );
    const refused: [unknown, 'positive' | 'nonNegative' | 'count', string][] = [
      [Number.NaN, 'nonNegative', 'x must be a number >= 0, got NaN'],
      [-1, 'nonNegative', 'x must be a number >= 0, got -1'],
      [0, 'positive', 'x must be a number > 0, got 0'],
      [Number.POSITIVE_INFINITY, 'positive', 'x must be a number > 0, got Infinity'],
      [1.5, 'count', 'x must be a whole number >= 1, got 1.5'],
      ['4', 'count', 'x must be a whole number >= 1, got "4"'],
      [null, 'count', 'x must be a whole number >= 1, got null'],
    ];
    for (const [value, rule, message] of refused) {
      expect(() => checkNumber('x', value, rule)).toThrow(new RangeError(message));
    }
  });

  it('refuses a client option that would run as something else, before anything connects', async () => {
    const base = { apiId: 1, apiHash: '0'.repeat(32), server: { host: '127.0.0.1', port: 9 } };
    const bad: [Record<string, unknown>, string][] = [
      [{ limits: { globalPerSecond: 0 } }, 'limits.globalPerSecond must be a number > 0, got 0'],
      [
        { limits: { maxChatBuckets: Number.NaN } },
        'limits.maxChatBuckets must be a whole number >= 1, got NaN',
      ],
      [{ updates: { saveEvery: 0 } }, 'updates.saveEvery must be a whole number >= 1, got 0'],
      [{ updates: { saveDelayMs: -5 } }, 'updates.saveDelayMs must be a number >= 0, got -5'],
      [{ maxFloodWaitSeconds: Number.NaN }, 'maxFloodWaitSeconds must be a number >= 0, got NaN'],
      [{ usernameTrustWindowMs: -1 }, 'usernameTrustWindowMs must be a number >= 0, got -1'],
      [{ handlerTimeoutMs: 0 }, 'handlerTimeoutMs must be a number > 0 or Infinity, got 0'],
    ];
    for (const [opts, message] of bad) {
      await expect(PmClient.connect({ ...base, ...opts })).rejects.toThrow(new RangeError(message));
    }
  });
});
