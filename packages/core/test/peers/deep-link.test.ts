import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeStartPayload,
  encodeStartPayload,
  InvalidStartPayloadError,
  parseStartCommand,
  startLink,
} from '../../src/peers/deep-link.js';

describe('deep links', () => {
  it('builds a start link with a payload', () => {
    expect(startLink('@pm_demo_bot', 'ref-42')).toBe('https://t.me/pm_demo_bot?start=ref-42');
    expect(startLink('pm_demo_bot')).toBe('https://t.me/pm_demo_bot');
  });

  it('refuses a payload Telegram would drop', () => {
    expect(() => startLink('pm_demo_bot', 'has space')).toThrow(InvalidStartPayloadError);
    expect(() => startLink('pm_demo_bot', 'x'.repeat(65))).toThrow(/1-64 characters/);
  });

  it('round-trips any text of up to 48 UTF-8 bytes through base64url', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 48, minLength: 1 }), (bytes) => {
        const p = encodeStartPayload(bytes);
        expect(p).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
        expect(Buffer.from(decodeStartPayload(p, 'bytes'))).toEqual(Buffer.from(bytes));
      }),
    );
    expect(decodeStartPayload(encodeStartPayload('привет'))).toBe('привет');
  });

  it('refuses data that does not fit in 64 characters', () => {
    expect(() => encodeStartPayload(new Uint8Array(49))).toThrow(InvalidStartPayloadError);
  });

  it.each([
    ['/start', {}],
    ['/start abc_DEF-1', { payload: 'abc_DEF-1' }],
    ['/start@pm_demo_bot abc', { payload: 'abc' }],
    ['/start bad!payload', {}],
    ['/start@other_bot abc', undefined],
    ['/starts', undefined],
    ['hello', undefined],
    ['/start a b', undefined],
  ])('parses %j', (text, want) => {
    expect(parseStartCommand(text, 'pm_demo_bot')).toEqual(want);
  });
});
