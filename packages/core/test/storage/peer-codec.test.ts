/**
 * The peer row codecs both SQL providers use, derived from the table description: every record field has its
 * column, and a record survives the trip through each dialect's row (as its driver hands values back).
 */
import { describe, expect, it, vi } from 'vitest';
import { PEER_COLUMNS, peerRowCodec } from '../../src/storage/schema/index.js';
import type { PeerRecord } from '../../src/storage/types.js';

const full: PeerRecord = {
  id: -1_000_000_000_123n,
  type: 'supergroup',
  accessHash: -9_223_372_036_854_775_808n,
  min: true,
  usernames: ['Group_A', 'group_b'],
  firstName: null,
  lastName: '',
  title: 'Ёлки «и» палки',
  phone: '79001234567',
  langCode: 'pt-br',
  langCodeSeenAt: 1_700_000_000_001,
  premium: false,
  verified: true,
  deleted: false,
  photoId: 9_223_372_036_854_775_807n,
  firstSeen: 1_700_000_000_000,
  lastSeen: 1_700_000_000_002,
  lastUpdated: 1_700_000_000_003,
};
const empty: PeerRecord = {
  ...full,
  usernames: [],
  premium: null,
  verified: null,
  accessHash: null,
  photoId: null,
};

describe('peer row codecs', () => {
  it('gives every field of a record its column, in the order of the table', () => {
    expect(PEER_COLUMNS.map((c) => c.field).sort()).toEqual(Object.keys(full).sort());
    expect(PEER_COLUMNS.map((c) => c.column).slice(0, 3)).toEqual(['id', 'type', 'access_hash']);
  });

  it('round-trips a record through a SQLite row: flags as 0/1, usernames space-separated, times as numbers', () => {
    const codec = peerRowCodec('sqlite', [
      { column: 'username', value: (r) => r.usernames[0]?.toLowerCase() ?? null },
    ]);
    for (const record of [full, empty]) {
      const values = codec.values(record);
      expect(codec.columns.at(-1)).toBe('username');
      expect(values.at(-1)).toBe(record.usernames[0]?.toLowerCase() ?? null);
      const row = Object.fromEntries(codec.columns.map((c, i) => [c, values[i]]));
      expect(row['min']).toBe(1);
      expect(row['usernames']).toBe(record.usernames.join(' '));
      // better-sqlite3 with safeIntegers hands INTEGERs back as bigint unless read as REAL.
      const read = { ...row, first_seen: BigInt(record.firstSeen), deleted: 0n, min: 1n };
      expect(codec.record(read)).toEqual(record);
    }
  });

  it('reads a SQLite row handed back as an array of values in column order, as a keyed row', () => {
    const codec = peerRowCodec('sqlite');
    for (const record of [full, empty]) {
      const values = codec.values(record);
      values[PEER_COLUMNS.findIndex((c) => c.column === 'first_seen')] = BigInt(record.firstSeen);
      values[PEER_COLUMNS.findIndex((c) => c.column === 'deleted')] = 0n;
      expect(codec.recordOf(values)).toEqual(record);
      expect(codec.recordOfArgs(...values)).toEqual(record); // as a SQL function of the row receives them
      const row = Object.fromEntries(codec.columns.map((c, i) => [c, values[i]]));
      expect(codec.recordOf(values)).toEqual(codec.record(row));
    }
  });

  it('round-trips a record through a PostgreSQL row: booleans, text[] usernames, int8 times as bigint', () => {
    const codec = peerRowCodec('postgres');
    for (const record of [full, empty]) {
      const values = codec.values(record);
      const row = Object.fromEntries(codec.columns.map((c, i) => [c, values[i]]));
      expect(row['min']).toBe(true);
      expect(row['usernames']).toBe(record.usernames.join(' ')); // split by SQL (string_to_array) on the way in
      const read = {
        ...row,
        usernames: [...record.usernames],
        first_seen: BigInt(record.firstSeen),
        last_seen: BigInt(record.lastSeen),
        last_updated: BigInt(record.lastUpdated),
        lang_code_seen_at: record.langCodeSeenAt === null ? null : BigInt(record.langCodeSeenAt),
      };
      expect(codec.record(read)).toEqual(record);
    }
  });

  it('builds the same values and records where the runtime refuses compiled code (loops instead)', () => {
    const extra = [{ column: 'username', value: (r: PeerRecord) => r.usernames[0]?.toLowerCase() ?? null }];
    const compiledCodecs = {
      sqlite: peerRowCodec('sqlite', extra),
      postgres: peerRowCodec('postgres', extra),
    };
    // As node --disallow-code-generation-from-strings refuses `new Function`.
    vi.stubGlobal('Function', function refused() {
      throw new EvalError('Code generation from strings disallowed for this context');
    });
    let looped: Record<'sqlite' | 'postgres', ReturnType<typeof peerRowCodec>>;
    try {
      looped = { sqlite: peerRowCodec('sqlite', extra), postgres: peerRowCodec('postgres', extra) };
    } finally {
      vi.unstubAllGlobals();
    }
    for (const dialect of ['sqlite', 'postgres'] as const) {
      const [a, b] = [compiledCodecs[dialect], looped[dialect]];
      expect(b.columns).toEqual(a.columns);
      for (const record of [full, empty]) {
        const values = a.values(record);
        expect(b.values(record)).toStrictEqual(values);
        const row = Object.fromEntries(a.columns.map((c, i) => [c, values[i]]));
        expect(b.record(row)).toStrictEqual(a.record(row));
        expect(Object.keys(b.record(row))).toEqual(Object.keys(a.record(row)));
        expect(b.recordOf(values)).toStrictEqual(a.recordOf(values));
        expect(b.recordOfArgs(...values)).toStrictEqual(a.recordOfArgs(...values));
      }
    }
  });
});
