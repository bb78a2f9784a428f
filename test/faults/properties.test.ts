/**
 * Property tests that complete the ones beside the code (packages/core/test/peers/peer-ref.test.ts,
 * peers/deep-link.test.ts and the storage conformance suite's properties): links built by pm parse back,
 * `/start` payloads survive every form a user can send them in, and the pure merge rules of merge.ts hold for any
 * pair of records and sightings. Every property runs with a fixed seed so a failure reproduces.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeStartPayload,
  encodeStartPayload,
  InvalidStartPayloadError,
  isValidStartPayload,
  parseStartCommand,
  startGroupLink,
  startLink,
} from '../../packages/core/src/peers/deep-link.js';
import { InvalidPeerRefError, parsePeerRef } from '../../packages/core/src/peers/peer-ref.js';
import {
  createRecord,
  diffRecords,
  historyRows,
  mergeRecord,
} from '../../packages/core/src/storage/merge.js';
import { HISTORY_FIELDS, type PeerInput, type PeerRecord } from '../../packages/core/src/storage/types.js';
import { validatePeerInput } from '../../packages/core/src/storage/validate.js';

const SEED = 424_242;
const RUNS = 300;
let trials = 0;
let properties = 0;
let failed = 0;
const check = <T>(prop: fc.IPropertyWithHooks<T>): void => {
  properties++;
  trials += RUNS;
  try {
    fc.assert(prop, { seed: SEED, numRuns: RUNS });
  } catch (e) {
    failed++;
    throw e;
  }
};

afterAll(() => {
  console.log(
    `property fault test: ${properties} properties, ${trials} generated cases (seed ${SEED}), ${failed} with a counterexample`,
  );
});

/** Usernames Telegram allows: a letter, then letters, digits and single underscores, no trailing _, 5-32. */
const username = fc
  .tuple(
    fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'),
    fc.string({ unit: fc.constantFrom(...'abcxyz019_QRZ'), minLength: 3, maxLength: 30 }),
    fc.constantFrom(...'az09QZ'),
  )
  .map(([a, b, c]) => a + b + c)
  .filter((n) => !n.includes('__'));
const payload = fc.string({
  unit: fc.constantFrom(...'abcXYZ0189_-'),
  minLength: 1,
  maxLength: 64,
});

describe('reference parsing (properties)', () => {
  it('parses every start link pm builds back to its bot and payload', () => {
    check(
      fc.property(username, payload, fc.boolean(), (bot, p, at) => {
        const link = startLink(at ? `@${bot}` : bot, p);
        expect(parsePeerRef(link)).toEqual({
          kind: 'username',
          username: bot.toLowerCase(),
          startPayload: p,
        });
        expect(parsePeerRef(startLink(bot))).toEqual({ kind: 'username', username: bot.toLowerCase() });
        expect(startGroupLink(bot, p)).toBe(`https://t.me/${bot}?startgroup=${p}`);
      }),
    );
  });

  it('reads every positive id in a tg://user link, and spaces around a reference change nothing', () => {
    check(
      fc.property(
        fc.bigInt({ min: 1n, max: 2n ** 63n - 1n }),
        fc.string({ unit: fc.constantFrom(' ', '\t', '\n'), maxLength: 3 }),
        (id, pad) => {
          expect(parsePeerRef(`${pad}tg://user?id=${id}${pad}`)).toEqual({ kind: 'id', id });
          expect(parsePeerRef(`${pad}${id}${pad}`)).toEqual({ kind: 'id', id });
        },
      ),
    );
  });

  it('answers a link-shaped string either with a valid username or with InvalidPeerRefError', () => {
    const prefix = fc.constantFrom(
      '',
      '@',
      't.me/',
      'https://t.me/',
      'http://telegram.me/',
      'telegram.dog/',
      'tg://resolve?domain=',
      'tg://user?id=',
      'tg://',
      'https://t.me/+',
      'https://t.me/joinchat/',
      'https://x.t.me/',
    );
    const tail = fc.string({ unit: fc.constantFrom(...'aZ9_-./?=&+@:%# \u0000é'), maxLength: 40 });
    check(
      fc.property(prefix, tail, (p, t) => {
        let parsed: ReturnType<typeof parsePeerRef>;
        try {
          parsed = parsePeerRef(p + t);
        } catch (e) {
          expect(e).toBeInstanceOf(InvalidPeerRefError);
          return;
        }
        if (parsed.kind === 'username') {
          expect(parsed.username).toMatch(/^[a-z][a-z0-9_]{1,30}[a-z0-9]$/);
          // What came out is itself a valid reference naming the same user.
          expect(parsePeerRef(`@${parsed.username}`)).toEqual({
            kind: 'username',
            username: parsed.username,
          });
        } else expect(parsed.id).not.toBe(0n);
      }),
    );
  });
});

describe('deep-link payloads (properties)', () => {
  it('finds the payload of /start in every form a user can send it', () => {
    check(
      fc.property(payload, username, fc.constantFrom(' ', '  ', '\t'), (p, bot, sep) => {
        expect(parseStartCommand(`/start${sep}${p}`, bot)).toEqual({ payload: p });
        expect(parseStartCommand(`/start@${bot}${sep}${p}`, bot)).toEqual({ payload: p });
        expect(parseStartCommand(`/start@${bot.toUpperCase()} ${p}`, `@${bot}`)).toEqual({ payload: p });
        expect(parseStartCommand(`  /start ${p}  `, bot)).toEqual({ payload: p });
      }),
    );
  });

  it('never throws on any text and only ever trusts a valid payload', () => {
    const text = fc.oneof(
      fc.string(),
      fc.string().map((s) => `/start ${s}`),
      fc.string().map((s) => `/start@${s}`),
    );
    check(
      fc.property(text, fc.option(username, { nil: undefined }), (t, bot) => {
        const r = parseStartCommand(t, bot);
        if (r?.payload !== undefined) expect(isValidStartPayload(r.payload)).toBe(true);
      }),
    );
  });

  it('round-trips any text of up to 48 UTF-8 bytes and refuses any other payload with a typed error', () => {
    const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter((s) => {
      const n = Buffer.byteLength(s, 'utf8');
      return n >= 1 && n <= 48 && Buffer.from(s, 'utf8').toString('utf8') === s;
    });
    check(
      fc.property(text, fc.string({ maxLength: 80 }), (s, junk) => {
        const p = encodeStartPayload(s);
        expect(isValidStartPayload(p)).toBe(true);
        expect(decodeStartPayload(p)).toBe(s);
        try {
          decodeStartPayload(junk);
        } catch (e) {
          expect(e).toBeInstanceOf(InvalidStartPayloadError);
        }
      }),
    );
  });
});

describe('merge rules (properties)', () => {
  const ID = 4242n;
  const names = fc.subarray(['alpha_one', 'Bravo', 'charlie_2', 'delta'], { maxLength: 3 });
  const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
  const sighting: fc.Arbitrary<PeerInput> = fc.record({
    id: fc.constant(ID),
    type: opt(fc.constantFrom('user' as const, 'bot' as const)),
    accessHash: opt(fc.option(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { nil: null })),
    min: opt(fc.boolean()),
    usernames: opt(names),
    firstName: opt(fc.option(fc.constantFrom('Ann', 'Anna', 'Bob'), { nil: null })),
    lastName: opt(fc.option(fc.constantFrom('Lee', 'Li'), { nil: null })),
    phone: opt(fc.option(fc.constantFrom('15551230000', '+7 999 111-22-33'), { nil: null })),
    langCode: opt(fc.option(fc.constantFrom('en', 'de', 'pt-br'), { nil: null })),
    premium: opt(fc.option(fc.boolean(), { nil: null })),
    verified: opt(fc.option(fc.boolean(), { nil: null })),
    deleted: opt(fc.boolean()),
    photoId: opt(fc.option(fc.bigInt({ min: 1n, max: 2n ** 40n }), { nil: null })),
  });
  const valid = (s: PeerInput) => validatePeerInput(s, 'sighting');
  /** A stored record reached by a sequence of sightings over time. */
  const history = fc.array(sighting, { minLength: 1, maxLength: 6 }).map((seq) => {
    let t = 1_000;
    let r = createRecord(valid(seq[0]!), t);
    for (const s of seq.slice(1)) {
      t += 1000;
      r = mergeRecord(r, valid(s), t).record;
    }
    return { record: r, at: t };
  });

  it('is idempotent: the same sighting again changes nothing', () => {
    check(
      fc.property(history, sighting, ({ record, at }, s) => {
        const once = mergeRecord(record, valid(s), at + 10);
        const twice = mergeRecord(once.record, valid(s), at + 20);
        expect(twice.changes).toEqual([]);
        // Only the "last seen" timestamps move.
        const strip = (r: PeerRecord) => ({ ...r, lastSeen: 0, langCodeSeenAt: r.langCodeSeenAt === null });
        expect(strip(twice.record)).toEqual(strip(once.record));
      }),
    );
  });

  it('keeps firstSeen, never moves lastSeen back, and stamps lastUpdated exactly when something changed', () => {
    check(
      fc.property(history, sighting, fc.integer({ min: -5000, max: 5000 }), ({ record, at }, s, dt) => {
        const now = at + dt;
        const { record: next, changes } = mergeRecord(record, valid(s), now);
        expect(next.firstSeen).toBe(record.firstSeen);
        expect(next.lastSeen).toBe(Math.max(record.lastSeen, now));
        expect(next.lastUpdated).toBe(
          changes.length > 0 ? Math.max(record.lastUpdated, now) : record.lastUpdated,
        );
        expect(next.id).toBe(record.id);
      }),
    );
  });

  it('lets a min sighting change nothing a full record already has, and never its access hash', () => {
    check(
      fc.property(history, sighting, ({ record, at }, s) => {
        // (A full record seen without a hash takes a min one as a stopgap, marked min: the rule's one gap.)
        fc.pre(!record.min && record.accessHash !== null);
        const { record: next } = mergeRecord(record, valid({ ...s, min: true }), at + 1);
        expect(next.min).toBe(false);
        expect(next.accessHash).toBe(record.accessHash);
        expect(next.type).toBe(record.type);
        expect(next.deleted).toBe(record.deleted);
        for (const f of ['firstName', 'lastName', 'phone', 'premium', 'verified', 'photoId'] as const) {
          if (record[f] !== null) expect(next[f]).toBe(record[f]);
        }
        if (record.usernames.length > 0) expect(next.usernames).toEqual(record.usernames);
        if (record.langCode !== null) expect(next.langCode).toBe(record.langCode);
      }),
    );
  });

  it('never forgets a language or an account: langCode stays known and a record is only ever marked deleted', () => {
    check(
      fc.property(history, sighting, ({ record, at }, s) => {
        const { record: next } = mergeRecord(record, valid(s), at + 1);
        if (record.langCode !== null) expect(next.langCode).not.toBeNull();
        // A sighting without a lang code keeps the one known, exactly.
        if (s.langCode == null) expect(next.langCode).toBe(record.langCode);
        // The account: same id, and an access hash once known is never dropped (a sighting without one keeps it
        // and its min flag exactly).
        expect(next.id).toBe(record.id);
        if (record.accessHash !== null) expect(next.accessHash).not.toBeNull();
        if (typeof s.accessHash !== 'bigint') {
          expect(next.accessHash).toBe(record.accessHash);
          expect(next.min).toBe(record.min);
        }
        if (next.deleted !== record.deleted) expect(s.deleted).toBe(next.deleted);
      }),
    );
  });

  it('reports exactly the fields that differ, and one history row per changed history field', () => {
    check(
      fc.property(history, sighting, ({ record, at }, s) => {
        const { record: next, changes } = mergeRecord(record, valid(s), at + 1);
        expect(diffRecords(record, next)).toEqual(changes);
        for (const c of changes) expect(c.before).toEqual(record[c.field]);
        for (const c of changes) expect(c.after).toEqual(next[c.field]);
        const rows = historyRows(record.id, changes, at + 1);
        expect(rows.map((r) => r.field)).toEqual(
          changes.map((c) => c.field).filter((f) => (HISTORY_FIELDS as readonly string[]).includes(f)),
        );
        const same: PeerRecord = { ...next };
        expect(diffRecords(next, same)).toEqual([]);
      }),
    );
  });
});
