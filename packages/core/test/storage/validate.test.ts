import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidPeerRecordError, InvalidPhoneError, InvalidUsernameError } from '../../src/errors.js';
import { normalizeText, normalizeUsernameQuery, validatePeerInput } from '../../src/storage/validate.js';

/** The username rule as Telegram's TDLib states it (see USERNAME_RULE). */
const RULE = (name: string): boolean =>
  /^[A-Za-z][A-Za-z0-9_]{1,30}[A-Za-z0-9]$/.test(name) && !name.includes('__');

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

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
  it('replaces lone surrogates and leaves every other string as it is', () => {
    const unit = fc.constantFrom('a', 'é', '\uD83D', '\uDE00', '\uD83D\uDE00', ' ', '中', '\u0001');
    fc.assert(
      fc.property(
        fc.array(unit, { maxLength: 12 }).map((us) => us.join('')),
        (text) => {
          const expected = text.replace(
            /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
            '\uFFFD',
          );
          expect(normalizeText(text)).toBe(expected);
          expect(validatePeerInput({ id: 1n, firstName: text }, 'r').firstName).toBe(expected);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses NUL in any name or title, naming the field and the peer, wherever it stands', () => {
    const unit = fc.constantFrom('a', 'é', '\0', '\uD83D', '\uDE00', ' ');
    fc.assert(
      fc.property(
        fc.array(unit, { maxLength: 12 }).map((us) => us.join('')),
        fc.constantFrom('firstName', 'lastName', 'title'),
        (text, field) => {
          const input = { id: -1001234567890n, [field]: text };
          if (!text.includes('\0')) {
            expect(() => validatePeerInput(input, 'records[2]')).not.toThrow();
            return;
          }
          const error = catchError(() => validatePeerInput(input, 'records[2]'));
          expect(error).toBeInstanceOf(InvalidPeerRecordError);
          expect(error).toMatchObject({ code: 'INVALID_PEER_RECORD', field: `records[2].${field}` });
          expect((error as Error).message).toContain(`at records[2].${field}: expected text without U+0000`);
          expect((error as Error).message).toContain('(peer -1001234567890)');
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses NUL in every other text of a record (usernames, phone, language code), naming the field and the peer', () => {
    const cases = [
      [{ usernames: ['ann_x', 'bo\0b'] }, InvalidUsernameError, 'records[0].usernames[1]'],
      [{ phone: '+1 555\u00000001' }, InvalidPhoneError, 'records[0].phone'],
      [{ langCode: 'e\0n' }, InvalidPeerRecordError, 'records[0].langCode'],
    ] as const;
    for (const [fields, type, field] of cases) {
      const error = catchError(() => validatePeerInput({ id: 42n, ...fields }, 'records[0]'));
      expect(error, field).toBeInstanceOf(type);
      expect(error, field).toMatchObject({ field });
      expect((error as Error).message, field).toContain(`at ${field}: expected text without U+0000`);
      expect((error as Error).message, field).toContain('(peer 42)');
    }
  });

  it('refuses a name that is not text', () => {
    expect(() => validatePeerInput({ id: 1n, firstName: 42 as unknown as string }, 'r')).toThrow(
      InvalidPeerRecordError,
    );
  });
});
