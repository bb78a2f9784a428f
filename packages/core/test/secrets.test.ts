import { describe, expect, it } from 'vitest';
import { maskBotToken, redactSecrets } from '../src/secrets.js';

describe('redactSecrets', () => {
  it('redacts a 32-hex api hash, in any case and inside other text', () => {
    expect(redactSecrets('api_hash=0123456789abcdef0123456789abcdef failed')).toBe(
      'api_hash=<redacted api hash> failed',
    );
    expect(redactSecrets('{"apiHash":"0123456789ABCDEF0123456789ABCDEF"}')).toBe(
      '{"apiHash":"<redacted api hash>"}',
    );
  });

  it('leaves shorter and longer hex runs that are not an api hash to the other rules', () => {
    expect(redactSecrets('commit 0123456789abcdef0123456789abcdef01234567')).toBe(
      'commit 0123456789abcdef0123456789abcdef01234567',
    );
    expect(redactSecrets(`key ${'ab'.repeat(256)}`)).toBe('key <redacted key>');
  });

  it('redacts bot tokens and session strings', () => {
    expect(redactSecrets('token 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw here')).toBe(
      'token <redacted bot token> here',
    );
    // The secret's alphabet has `-` and `_`: all of it goes, also at its end, where no word boundary is.
    for (const token of [
      '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDs--',
      '123456789:-AHdqTcvCH1vGWJxfSeofSAs0K5PALDs_-',
    ]) {
      expect(redactSecrets(`boom for ${token}`)).toBe('boom for <redacted bot token>');
      expect(redactSecrets(`"${token}".`)).toBe('"<redacted bot token>".');
    }
    const sessionString = `1${Buffer.alloc(300, 7).toString('base64')}`;
    expect(redactSecrets(`session ${sessionString}`)).not.toContain(sessionString.slice(0, 20));
  });

  it('keeps ordinary text', () => {
    expect(redactSecrets('user 100000007 @alice sent 3 messages')).toBe(
      'user 100000007 @alice sent 3 messages',
    );
  });

  it('masks a bot token to its public bot id', () => {
    expect(maskBotToken('123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw')).toBe('123456789:***');
  });
});
