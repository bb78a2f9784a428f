import { describe, expect, it } from 'vitest';
import { InvalidPeerIdError } from '../../src/errors.js';
import {
  CHANNEL_ID_OFFSET,
  INT64_MAX,
  INT64_MIN,
  markPeerId,
  parsePeerId,
  peerKindOf,
  unmarkPeerId,
} from '../../src/storage/peer-ids.js';
import { normalizePhone, normalizeUsernameQuery } from '../../src/storage/validate.js';

describe('marked peer ids', () => {
  it('marks users as is, basic chats negated and channels below -10^12', () => {
    expect(markPeerId('user', 42n)).toBe(42n);
    expect(markPeerId('chat', 42n)).toBe(-42n);
    expect(markPeerId('channel', 42n)).toBe(-1_000_000_000_042n);
  });

  it('unmarks every kind back to its bare id, up to the 64-bit edges', () => {
    for (const [kind, id] of [
      ['user', INT64_MAX],
      ['chat', CHANNEL_ID_OFFSET - 1n],
      ['channel', -INT64_MIN - CHANNEL_ID_OFFSET],
      ['channel', 1n],
    ] as const) {
      const marked = markPeerId(kind, id);
      expect(peerKindOf(marked)).toBe(kind);
      expect(unmarkPeerId(marked)).toEqual({ kind, id });
    }
    expect(markPeerId('channel', -INT64_MIN - CHANNEL_ID_OFFSET)).toBe(INT64_MIN);
  });

  it('refuses bare ids whose marked form would not fit', () => {
    expect(() => markPeerId('chat', CHANNEL_ID_OFFSET)).toThrow(InvalidPeerIdError);
    expect(() => markPeerId('channel', -INT64_MIN - CHANNEL_ID_OFFSET + 1n)).toThrow(InvalidPeerIdError);
    expect(() => markPeerId('user', 0n)).toThrow(InvalidPeerIdError);
  });

  it('parses bigints and decimal strings, naming anything else', () => {
    expect(parsePeerId('-1000000000777')).toBe(-1_000_000_000_777n);
    expect(parsePeerId(INT64_MIN)).toBe(INT64_MIN);
    expect(() => parsePeerId(12)).toThrow(/12.*JS number/);
    expect(() => parsePeerId(-CHANNEL_ID_OFFSET)).toThrow(InvalidPeerIdError);
    expect(() => parsePeerId(null)).toThrow(/null/);
  });
});

describe('lookup normalisation', () => {
  it('lower-cases usernames and drops one leading @', () => {
    expect(normalizeUsernameQuery('@Some_User')).toBe('some_user');
    expect(() => normalizeUsernameQuery('@@some_user')).toThrow(/"@some_user"/);
  });

  it('reduces phones to digits', () => {
    expect(normalizePhone('+1 (555) 010-0000')).toBe('15550100000');
    expect(() => normalizePhone('+1 555 x')).toThrow(/"\+1 555 x"/);
  });
});
