import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidPeerRecordError, InvalidUsernameError } from '../../src/errors.js';
import { normalizeText, normalizeUsernameQuery, validatePeerInput } from '../../src/storage/validate.js';

/** The username rule as Telegram's TDLib states it (see USERNAME_RULE). */
const RULE = (name: string): boolean =>
  /^[A-Za-z][A-Za-z0-9_]{1,30}[A-Za-z0-9]$/.test(name) && !name.includes('__');

describe('username validation', () => {
  it('accepts exactly what the rule accepts', () => {
    const char = fc.constantFrom(...'aZz0_9-é @.'.split(''), 'A', 'b', '_', '1');
    fc.assert(
      fc.property(
        fc.array(char, { maxLength: 36 }).map((cs) => cs.join('')),
        (name) => {
          let accepted = true;
          try {
            validatePeerInput({ id: 1n, usernames: [name] }, 'r');
          } catch (e) {
            expect(e).toBeInstanceOf(InvalidUsernameError);
            accepted = false;
          }
          expect(accepted).toBe(RULE(name));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('lets a lookup start with one @', () => {
    expect(normalizeUsernameQuery('@Ann_x')).toBe('ann_x');
    expect(() => normalizeUsernameQuery('@@ann_x')).toThrow(InvalidUsernameError);
  });

  it('names the refused username and its place in a sighting', () => {
    for (const bad of ['ab', 'a'.repeat(33), '_abc', '1abc', 'abc_', 'ab__c', 'abc d', 'ábc']) {
      expect(RULE(bad)).toBe(false);
      expect(() => validatePeerInput({ id: 1n, usernames: ['fine_name', bad] }, 'records[0]')).toThrow(
        expect.objectContaining({ field: 'records[0].usernames[1]' }),
      );
    }
    for (const good of ['abc', 'a'.repeat(32), 'a_b_c', 'A1', 'Gif', 'x9_y8']) {
      if (RULE(good)) expect(validatePeerInput({ id: 1n, usernames: [good] }, 'r').usernames).toEqual([good]);
    }
  });

  it('keeps the first of names equal but for case, and one name as given', () => {
    expect(validatePeerInput({ id: 1n, usernames: ['Ann_x', 'ann_X', 'bob'] }, 'r').usernames).toEqual([
      'Ann_x',
      'bob',
    ]);
    expect(validatePeerInput({ id: 1n, usernames: ['Ann_x'] }, 'r').usernames).toEqual(['Ann_x']);
  });
});

describe('text normalisation', () => {
  it('drops NUL and replaces lone surrogates, and leaves every other string as it is', () => {
    const unit = fc.constantFrom('a', 'é', '\0', '\uD83D', '\uDE00', '\uD83D\uDE00', ' ', '中');
    fc.assert(
      fc.property(
        fc.array(unit, { maxLength: 12 }).map((us) => us.join('')),
        (text) => {
          const expected = text
            .replaceAll('\0', '')
            .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
          expect(normalizeText(text)).toBe(expected);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses a name that is not text', () => {
    expect(() => validatePeerInput({ id: 1n, firstName: 42 as unknown as string }, 'r')).toThrow(
      InvalidPeerRecordError,
    );
  });
});
