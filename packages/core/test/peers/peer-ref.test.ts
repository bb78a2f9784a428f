import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidPeerRefError, parsePeerRef } from '../../src/peers/peer-ref.js';

describe('parsePeerRef', () => {
  it.each([
    [123n, { kind: 'id', id: 123n }],
    [42, { kind: 'id', id: 42n }],
    ['9223372036854775807', { kind: 'id', id: 9223372036854775807n }],
    ['-1001234567890', { kind: 'id', id: -1001234567890n }],
    ['tg://user?id=777000', { kind: 'id', id: 777000n }],
    ['@Durov', { kind: 'username', username: 'durov' }],
    ['durov', { kind: 'username', username: 'durov' }],
    ['t.me/durov', { kind: 'username', username: 'durov' }],
    ['https://t.me/Durov', { kind: 'username', username: 'durov' }],
    ['http://telegram.me/durov/', { kind: 'username', username: 'durov' }],
    ['https://durov.t.me', { kind: 'username', username: 'durov' }],
    [
      'https://t.me/pm_demo_bot?start=abc',
      { kind: 'username', username: 'pm_demo_bot', startPayload: 'abc' },
    ],
    [
      'tg://resolve?domain=pm_demo_bot&start=x-1',
      { kind: 'username', username: 'pm_demo_bot', startPayload: 'x-1' },
    ],
    ['  @durov  ', { kind: 'username', username: 'durov' }],
    ['https://t.me/pm_demo_bot?start=not%20valid!', { kind: 'username', username: 'pm_demo_bot' }],
  ] as const)('parses %s', (input, expected) => {
    expect(parsePeerRef(input)).toEqual(expected);
  });

  it.each([
    [''],
    ['@'],
    ['@ab'], // too short
    ['@a_very_long_username_that_is_way_over_32'],
    ['@1abc5'], // starts with a digit
    ['@abcde_'], // ends with underscore
    ['@abc-def'],
    ['@имя_пользователя'],
    ['t.me/+AbCdEf'],
    ['https://t.me/joinchat/AbCdEf'],
    ['tg://resolve'],
    ['tg://msg?id=1'],
    ['9223372036854775808'], // > int64
    [0n],
    [2 ** 53 + 2],
    [1.5],
  ])('refuses %s with a typed error naming the value', (input) => {
    let err: unknown;
    try {
      parsePeerRef(input as never);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidPeerRefError);
    expect((err as InvalidPeerRefError).code).toBe('INVALID_PEER_REF');
    expect((err as Error).message).toContain('Invalid peer reference');
  });

  it('calls a reference of digits alone outside the 64-bit range an id out of range, not a bad username', () => {
    for (const ref of [
      '9223372036854775808',
      '99999999999999999999999',
      '-9223372036854775809',
      '1'.repeat(400),
    ]) {
      expect(() => parsePeerRef(ref), ref).toThrow('ids are non-zero 64-bit signed integers');
    }
  });

  it('round-trips every 64-bit id through its decimal string', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).filter((n) => n !== 0n),
        (id) => {
          expect(parsePeerRef(id.toString())).toEqual({ kind: 'id', id });
        },
      ),
    );
  });

  it('resolves every valid username in every link form to the same lower-cased name', () => {
    const name = fc
      .tuple(
        fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCXYZ'),
        fc.string({ unit: fc.constantFrom(...'abcz09_XY'), minLength: 2, maxLength: 30 }),
        fc.constantFrom(...'az09QZ'),
      )
      .map(([a, b, c]) => a + b + c)
      .filter((n) => !n.includes('__'));
    fc.assert(
      fc.property(name, (n) => {
        const want = { kind: 'username', username: n.toLowerCase() };
        for (const form of [`@${n}`, n, `t.me/${n}`, `https://t.me/${n}`, `tg://resolve?domain=${n}`]) {
          expect(parsePeerRef(form)).toEqual(want);
        }
      }),
    );
  });

  it('never throws anything but InvalidPeerRefError on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        try {
          parsePeerRef(s);
        } catch (e) {
          expect(e).toBeInstanceOf(InvalidPeerRefError);
        }
      }),
    );
  });
});
