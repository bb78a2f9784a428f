import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sampleRecord } from '../../src/conformance/fixtures.js';
import { InvalidPeerRecordError } from '../../src/errors.js';
import {
  FieldError,
  recordFromJson,
  recordTimesConflict,
  recordToJson,
} from '../../src/import/export-schema.js';
import {
  type ExportFormat,
  exportPeers,
  ImportError,
  ImportRowError,
  importPeers,
  readExport,
} from '../../src/import/index.js';
import { packCanonicalLine, recordFromCanonicalLine } from '../../src/import/jsonl-line.js';
import { decodeRows, RowWriter } from '../../src/import/packed-rows.js';
import { ImportReport } from '../../src/import/row-report.js';
import { packRecord, unpack } from '../../src/storage/packed-peers.js';
import type { PeerRecord, PeerType } from '../../src/storage/types.js';
import { collect } from './collect.js';
import { INT64_MAX, INT64_MIN, tempDir } from './fixtures.js';

const CHANNEL_ID_OFFSET = 1_000_000_000_000n;

const int64 = fc.oneof(
  fc.bigInt({ min: INT64_MIN, max: INT64_MAX }),
  fc.constantFrom(INT64_MIN, INT64_MAX, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 0n, -1n),
);
const markedId = int64.filter((id) => id !== 0n && id !== -CHANNEL_ID_OFFSET);
const text = fc.oneof(
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.constantFrom(
    '',
    ' ',
    ',',
    '"',
    '""',
    '\n',
    '\r\n',
    '\r',
    'a,"b"\nc',
    '👨‍👩‍👧‍👦 Ünïcødé',
    '\u2028\u2029',
    '\uFEFF',
    'null',
  ),
);
const nullableText = fc.option(text, { nil: null });
const ms = fc.oneof(
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  fc.integer({ min: 0, max: 2 ** 31 }),
);

const peerRecord: fc.Arbitrary<PeerRecord> = fc
  .record({
    id: markedId,
    type: fc.constantFrom<PeerType>('user', 'bot', 'chat', 'channel', 'supergroup'),
    accessHash: fc.option(int64, { nil: null }),
    min: fc.boolean(),
    usernames: fc.array(fc.oneof(fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{2,31}$/), text), { maxLength: 4 }),
    firstName: nullableText,
    lastName: nullableText,
    title: nullableText,
    phone: nullableText,
    langCode: nullableText,
    langCodeSeenAt: fc.option(ms, { nil: null }),
    premium: fc.option(fc.boolean(), { nil: null }),
    verified: fc.option(fc.boolean(), { nil: null }),
    deleted: fc.boolean(),
    photoId: fc.option(int64, { nil: null }),
    firstSeen: ms,
    lastSeen: ms,
    lastUpdated: ms,
  })
  // fc.record builds null-prototype objects; records are plain ones. Times as a store holds them (timesConflict):
  // firstSeen first, a language code with the time it was seen, no later than lastSeen.
  .map((r) => ({
    ...r,
    langCodeSeenAt: r.langCode === null ? null : Math.min(r.langCodeSeenAt ?? r.lastSeen, r.lastSeen),
    firstSeen: Math.min(r.firstSeen, r.lastSeen, r.lastUpdated),
  }));

/** A clock past every time the arbitraries make. */
const LATE = (): number => Number.MAX_SAFE_INTEGER;
/** The import's clock in tests of the times' rules (2027-01-15), and its slack. */
const NOW = 1_800_000_000_000;
const DAY = 24 * 60 * 60 * 1000;

/**
 * A record's times as a bot's export holds them: below 2^40 (13 digits, which the fast path reads), in the same
 * order as before (so as consistent as they were).
 */
const plainTimes = (
  r: PeerRecord,
): Pick<PeerRecord, 'langCodeSeenAt' | 'firstSeen' | 'lastSeen' | 'lastUpdated'> => {
  const plain = (t: number): number => Math.floor(t / 2 ** 13);
  return {
    langCodeSeenAt: r.langCodeSeenAt === null ? null : plain(r.langCodeSeenAt),
    firstSeen: plain(r.firstSeen),
    lastSeen: plain(r.lastSeen),
    lastUpdated: plain(r.lastUpdated),
  };
};

/** Pieces that damage a JSON line where they land: quotes, escapes, separators, digits, control characters, NUL. */
const DAMAGE = ['"', '\\', ',', ' ', '0', '-', '}', 'null', '\u0001', '\u0000', '\\u0000', '.5'];

/** Up to two edits of a line, each cutting up to 3 characters at a place and putting a piece there. */
const lineEdits = (...morePieces: string[]): fc.Arbitrary<[number, number, string][]> =>
  fc.array(fc.tuple(fc.nat(), fc.nat(3), fc.constantFrom(...DAMAGE, ...morePieces)), { maxLength: 2 });

/** `line` with the edits of `lineEdits` made, in order. */
function edited(line: string, edits: readonly (readonly [number, number, string])[]): string {
  let out = line;
  for (const [at, cut, piece] of edits) {
    const i = at % (out.length + 1);
    out = out.slice(0, i) + piece + out.slice(i + cut);
  }
  return out;
}

/** Everything `exportPeers` wrote, as bytes. */
async function exportToBuffer(records: readonly PeerRecord[], format: ExportFormat): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await exportPeers(records, format, out);
  return Buffer.concat(chunks);
}

/** A stream handing out `bytes` in pieces of the given sizes (so UTF-8 sequences and CRLFs get split). */
function chunked(bytes: Buffer, sizes: readonly number[]): Readable {
  const pieces: Buffer[] = [];
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const size = sizes.length === 0 ? bytes.length : sizes[i % sizes.length]!;
    pieces.push(bytes.subarray(at, at + size));
    at += size;
  }
  return Readable.from(pieces);
}

const RECORD: PeerRecord = {
  id: 9007199254740993n,
  type: 'user',
  accessHash: INT64_MIN,
  min: false,
  usernames: ['Alice_B', 'alice_nft'],
  firstName: 'Alice, "Al"\nB',
  lastName: '',
  title: null,
  phone: '15550001',
  langCode: 'en',
  langCodeSeenAt: 2,
  premium: null,
  verified: false,
  deleted: false,
  photoId: INT64_MAX,
  firstSeen: 1,
  lastSeen: 2,
  lastUpdated: 3,
};

describe('pm export format', () => {
  it.each(['jsonl', 'csv'] as const)('round-trips arbitrary records through %s exactly', async (format) => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(peerRecord, { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 5 }),
        async (records, sizes) => {
          const bytes = await exportToBuffer(records, format);
          const back = await collect(readExport(chunked(bytes, sizes), format, { now: LATE }));
          expect(back).toStrictEqual(records);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('reads a line on the fast path only as the general JSON path reads it, mangled lines included', () => {
    /** What JSON.parse + recordFromJson make of a line: a record, or 'refused'. */
    const general = (line: string): unknown => {
      try {
        const record = recordFromJson(JSON.parse(line));
        return record instanceof Object && 'rule' in record ? 'refused' : record;
      } catch {
        return 'refused';
      }
    };
    // Records as bots mostly see them (plain text, times as integers), which take the fast path, and arbitrary ones.
    const plainText = fc.option(fc.stringMatching(/^[A-Za-z0-9 é👋]{0,12}$/u), { nil: null });
    const plainRecord = fc
      .tuple(peerRecord, plainText, plainText, fc.array(fc.stringMatching(/^[a-z_]{0,8}$/), { maxLength: 3 }))
      .map(([r, firstName, langCode, usernames]) => ({
        ...r,
        firstName,
        lastName: null,
        title: null,
        phone: null,
        langCode,
        usernames,
        ...plainTimes(r),
      }));
    let fast = 0;
    fc.assert(
      fc.property(
        fc.oneof({ arbitrary: plainRecord, weight: 3 }, { arbitrary: peerRecord, weight: 1 }),
        lineEdits('{', '1e3', '[', ']'),
        (record, edits) => {
          expect(general(recordToJson(record))).toStrictEqual(record);
          const line = edited(recordToJson(record), edits);
          const read = recordFromCanonicalLine(line);
          if (read !== undefined) {
            fast += 1;
            expect(read).toStrictEqual(general(line));
          }
        },
      ),
      { numRuns: 2000 },
    );
    // Not vacuous: plain records, as bots mostly see them, take the fast path.
    expect(fast).toBeGreaterThan(40);
    const plain = { ...RECORD, firstName: 'Alice', usernames: ['Alice_B'], photoId: -5n };
    expect(recordFromCanonicalLine(recordToJson(plain))).toStrictEqual(plain);
    for (const bad of ['"id":"0"', '"id":"-1000000000000"', '"accessHash":"9223372036854775808"']) {
      const line = recordToJson(plain).replace(/"id":"[^"]*"/, bad.startsWith('"id"') ? bad : '$&');
      const mangled = bad.startsWith('"id"') ? line : line.replace(/"accessHash":"[^"]*"/, bad);
      expect(recordFromCanonicalLine(mangled)).toBeUndefined();
      expect(general(mangled)).toBe('refused');
    }
  });

  it('packs a line without its record only when the checks would take that record as it is, and to the same row', () => {
    /** The record the record path hands out for a line (parsed, then checked), or 'refused'/'changed'. */
    const recordPath = (line: string): unknown => {
      let record: PeerRecord | FieldError;
      try {
        record = recordFromJson(JSON.parse(line));
      } catch {
        return 'refused';
      }
      if (record instanceof FieldError || recordTimesConflict(record, NOW) !== undefined) return 'refused';
      const accepted = new ImportReport('x', [], () => {}).accept(record, 'record 1');
      return accepted === undefined ? 'refused' : accepted === record ? record : 'changed';
    };
    const username = fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{2,12}$/);
    // Records as a bot's export holds them (plain names, kinds agreeing with ids), which the packer takes.
    const plainRecord = fc
      .tuple(
        peerRecord,
        fc.option(fc.stringMatching(/^[A-Za-z0-9 é👋]{0,12}$/u), { nil: null }),
        fc.array(username, { maxLength: 3 }),
      )
      .map(([r, firstName, usernames]): PeerRecord => {
        const type: PeerType = r.id > 0n ? 'user' : r.id > -CHANNEL_ID_OFFSET ? 'chat' : 'channel';
        return {
          ...r,
          type,
          accessHash: type === 'chat' ? null : r.accessHash,
          firstName,
          lastName: null,
          title: null,
          phone: null,
          langCode: r.langCode === null ? null : 'pt-br',
          usernames,
          ...plainTimes(r),
        };
      });
    // Times of every order, at the edges of the clock's day of slack: most of them no store can hold.
    const time = fc.constantFrom(0, 1, 2, NOW + DAY, NOW + DAY + 1);
    const anyTimes = fc
      .tuple(plainRecord, fc.option(time, { nil: null }), time, time, time)
      .map(([r, langCodeSeenAt, firstSeen, lastSeen, lastUpdated]) => ({
        ...r,
        langCodeSeenAt,
        firstSeen,
        lastSeen,
        lastUpdated,
      }));
    let packed = 0;
    fc.assert(
      fc.property(
        fc.oneof(
          { arbitrary: plainRecord, weight: 3 },
          { arbitrary: peerRecord, weight: 1 },
          { arbitrary: anyTimes, weight: 1 },
        ),
        lineEdits('9', '_', 'A'),
        (record, edits) => {
          const line = edited(recordToJson(record), edits);
          const writer = new RowWriter();
          const id = packCanonicalLine(line, writer, NOW);
          if (id === undefined) {
            expect([writer.count, writer.parts.length, writer.t, writer.n]).toEqual([0, 0, 0, 0]);
            return;
          }
          const row = decodeRows(writer.take(BigInt(id), BigInt(id))).values;
          packed += 1;
          const expected = recordPath(line) as PeerRecord;
          expect(expected).toBeTypeOf('object');
          const [unpacked] = unpack({ values: row, count: 1, firstId: BigInt(id), lastId: BigInt(id) });
          expect(unpacked).toStrictEqual(expected);
          expect(BigInt(id)).toBe(expected.id);
          const fromRecord: unknown[] = [];
          packRecord(expected, fromRecord);
          // 64-bit integers as text, the id as a number when it is a safe integer.
          expect(
            typeof row[0] === 'number' ? Number.isSafeInteger(row[0]) : /^-?\d{16,}$/.test(String(row[0])),
          ).toBe(true);
          const int64s = (v: unknown, i: number) =>
            i === 0 || (typeof v === 'string' && /^-?\d+$/.test(v)) ? BigInt(v as string) : v;
          expect(row.map(int64s)).toStrictEqual(fromRecord.map(int64s));
        },
      ),
      { numRuns: 3000 },
    );
    // Not vacuous: records as bots mostly see them are packed.
    expect(packed).toBeGreaterThan(300);
    const plain = { ...RECORD, firstName: 'Alice', phone: null, photoId: -5n };
    for (const [field, value] of [
      ['"id":"0"', 'the id 0'],
      ['"id":"-1000000000000"', 'channel 0'],
      ['"accessHash":"9223372036854775808"', 'a hash above the range'],
      ['"accessHash":"-9223372036854775809"', 'a hash below the range'],
      ['"accessHash":"0012"', 'a leading zero'],
      ['"type":"chat"', 'a type the id cannot have'],
      ['"usernames":["Alice_B","a"]', 'a username the checks leave out'],
      ['"usernames":["Alice_B","alice_b"]', 'a username listed twice in another case'],
      ['"usernames":["1abc"]', 'its only username one the checks leave out'],
      ['"usernames":["ab__c"]', 'a username with a double underscore'],
      ['"firstName":"' + 'x'.repeat(1025) + '"', 'a name longer than the checks allow'],
      ['"langCode":"e n"', 'a language code the checks refuse'],
      ['"phone":"+1 555"', 'a phone'],
    ] as const) {
      const key = field.slice(0, field.indexOf(':'));
      const line = recordToJson(plain).replace(new RegExp(`${key}:(?:"[^"]*"|\\[[^\\]]*\\]|null)`), field);
      expect(line, value).toContain(field);
      expect(packCanonicalLine(line, new RowWriter(), NOW), value).toBeUndefined();
    }
    // U+0000 in any text, escaped as JSON writes it or raw: the record path refuses the line, and so the packer.
    for (const [field, value] of [
      ['"firstName":"A\\u0000n"', 'NUL in a first name'],
      ['"lastName":"\\u0000"', 'NUL alone in a last name'],
      ['"title":"T\\u0000"', 'NUL in a title'],
      ['"firstName":"A\u0000n"', 'a raw NUL in a first name'],
      ['"langCode":"e\\u0000n"', 'NUL in a language code'],
    ] as const) {
      const key = field.slice(0, field.indexOf(':'));
      const line = recordToJson(plain).replace(new RegExp(`${key}:(?:"[^"]*"|null)`), field);
      expect(line, value).toContain(field);
      expect(packCanonicalLine(line, new RowWriter(), NOW), value).toBeUndefined();
      expect(recordPath(line), value).toBe('refused');
    }
    // Times no store can hold: refused by the record path too, which names what is wrong.
    for (const [field, value] of [
      ['"lastSeen":0', 'last seen before first seen (1)'],
      ['"lastUpdated":0', 'last updated before first seen (1)'],
      ['"langCodeSeenAt":3', 'a language seen after the last sighting (2)'],
      ['"langCodeSeenAt":null', 'a language code without the time it was seen'],
      [`"lastUpdated":${NOW + DAY + 1}`, 'a time more than a day past the clock'],
    ] as const) {
      const key = field.slice(0, field.indexOf(':'));
      const line = recordToJson(plain).replace(
        new RegExp(`${key}:(?:"[^"]*"|\\[[^\\]]*\\]|null|\\d+)`),
        field,
      );
      expect(line, value).toContain(field);
      expect(packCanonicalLine(line, new RowWriter(), NOW), value).toBeUndefined();
      expect(recordPath(line), value).toBe('refused');
    }
    for (const edge of ['9223372036854775807', '-9223372036854775808']) {
      const line = recordToJson({ ...plain, accessHash: BigInt(edge) });
      const writer = new RowWriter();
      expect(packCanonicalLine(line, writer, NOW)).toBe(String(plain.id));
      expect(decodeRows(writer.take(plain.id, plain.id)).values[2]).toBe(BigInt(edge));
    }
    // Times a store can hold: a language seen before the first sighting (a clock set back), a day of slack.
    for (const times of [
      { langCodeSeenAt: 0 },
      { lastUpdated: NOW + DAY },
      { langCode: null, langCodeSeenAt: null },
    ]) {
      const line = recordToJson({ ...plain, ...times });
      expect(packCanonicalLine(line, new RowWriter(), NOW), JSON.stringify(times)).toBe(String(plain.id));
    }
  });

  it('packs more rows than the writer was made with room for, every row kept', () => {
    const records = [1n, 2n, 3n, 2n ** 53n + 1n, -1001234567890n].map((id, i) =>
      sampleRecord(id, {
        accessHash: INT64_MIN + BigInt(i),
        usernames: i % 2 ? [`grow_${i}`, `Grow_b${i}`] : [],
      }),
    );
    const writer = new RowWriter(2);
    for (const r of records) writer.record(r);
    const rows = decodeRows(writer.take(records[0]!.id, records[4]!.id));
    expect(rows.count).toBe(records.length);
    expect(unpack(rows)).toStrictEqual(records);
  });

  it("rejects with the output's error, never waits forever, when the output fails or was destroyed", async () => {
    const many = Array.from({ length: 5000 }, (_, i) => ({ ...RECORD, id: BigInt(i + 1) }));
    // A disk that fails on the second batch, with no 'error' listener of the caller's own.
    let writes = 0;
    const failing = new Writable({
      highWaterMark: 1 << 20,
      write(_chunk, _encoding, callback) {
        writes += 1;
        callback(writes > 1 ? Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' }) : null);
      },
    });
    await expect(exportPeers(many, 'jsonl', failing)).rejects.toMatchObject({ code: 'EIO' });
    const destroyed = new Writable({ write: (_c, _e, callback) => callback() });
    destroyed.destroy();
    await expect(exportPeers(many, 'csv', destroyed, { end: false })).rejects.toMatchObject({
      code: 'ERR_STREAM_DESTROYED',
    });
  });

  it('writes 64-bit values as decimal strings in JSON lines', async () => {
    const line = (await exportToBuffer([RECORD], 'jsonl')).toString('utf8');
    expect(line.endsWith('\n')).toBe(true);
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(parsed.id).toBe('9007199254740993');
    expect(parsed.accessHash).toBe('-9223372036854775808');
    expect(parsed.photoId).toBe('9223372036854775807');
    expect(parsed.title).toBeNull();
    expect(parsed.lastName).toBe('');
  });

  it('quotes every CSV string and leaves null unquoted and empty', async () => {
    const csv = (await exportToBuffer([RECORD], 'csv')).toString('utf8');
    const [header, row, rest] = splitOnce(csv);
    expect(header).toBe(
      'id,type,accessHash,min,usernames,firstName,lastName,title,phone,langCode,langCodeSeenAt,premium,verified,deleted,photoId,firstSeen,lastSeen,lastUpdated',
    );
    expect(row).toBe(
      '9007199254740993,"user",-9223372036854775808,false,"[""Alice_B"",""alice_nft""]","Alice, ""Al""\nB","",,"15550001","en",2,,false,false,9223372036854775807,1,2,3',
    );
    expect(rest).toBe('');
  });

  it('reads a CSV edited into a different column order', async () => {
    const bytes = await exportToBuffer([RECORD], 'csv');
    const [header, row] = splitOnce(bytes.toString('utf8'));
    const cells = splitCsvLine(row);
    const names = header.split(',');
    const order = names.map((_, i) => i).reverse();
    const reordered = `${order.map((i) => names[i]).join(',')}\n${order.map((i) => cells[i]).join(',')}\n`;
    expect(await collect(readExport(Readable.from([reordered]), 'csv'))).toStrictEqual([RECORD]);
  });

  it('names the line of a malformed record, or skips it when asked', async () => {
    const good = (await exportToBuffer([RECORD], 'jsonl')).toString('utf8');
    const input = `${good}{"id":"12.5"}\nnot json\n${good}`;
    const error: unknown = await collect(readExport(Readable.from([input]), 'jsonl')).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ImportRowError);
    expect((error as ImportRowError).location).toBe('line 2');
    expect((error as ImportRowError).message).toContain('<stream>, line 2');

    const skipped: ImportRowError[] = [];
    const records = await collect(
      readExport(Readable.from([input]), 'jsonl', { onSkip: (e) => skipped.push(e) }),
    );
    expect(records).toStrictEqual([RECORD, RECORD]);
    expect(skipped.map((e) => e.location)).toEqual(['line 2', 'line 3']);
  });

  it('skips a record whose time is not ms since 1970 (negative, a fraction, beyond 2^53), naming the field', async () => {
    const good = (await exportToBuffer([RECORD], 'jsonl')).toString('utf8').trimEnd();
    const withLastSeen = (value: string) => good.replace(/"lastSeen":\d+/, `"lastSeen":${value}`);
    const bad = ['-1', '1.5', '9007199254740993', '-0'];
    // In pm's own form (the fast path) and with a space after each colon (the general JSON path).
    const lines = bad.flatMap((v) => [withLastSeen(v), withLastSeen(v).replaceAll('":', '": ')]);
    const skipped: ImportRowError[] = [];
    const records = await collect(
      readExport(Readable.from([`${[good, ...lines, good].join('\n')}\n`]), 'jsonl', {
        onSkip: (e) => skipped.push(e),
      }),
    );
    expect(records).toStrictEqual([RECORD, RECORD]);
    expect(skipped).toHaveLength(lines.length);
    for (const e of skipped) {
      expect(e.field).toBe('lastSeen');
      expect(e.message).toContain('ms since 1970');
    }
    const packed = new RowWriter();
    for (const line of lines) expect(packCanonicalLine(line, packed, Date.now())).toBeUndefined();
    expect(packed.count).toBe(0);

    const csv = (await exportToBuffer([RECORD], 'csv')).toString('utf8');
    const eol = csv.includes('\r\n') ? '\r\n' : '\n';
    const row = csv.slice(csv.indexOf(eol) + eol.length).trimEnd(); // ends with firstSeen,lastSeen,lastUpdated: 1,2,3
    const csvSkipped: ImportRowError[] = [];
    const csvBad = [...bad, '1e12']; // a CSV cell holds a time as digits alone
    const csvRows = csvBad.map((v) => row.replace(/,2,3$/, `,${v},3`));
    const fromCsv = await collect(
      readExport(Readable.from([`${csv.trimEnd()}${eol}${csvRows.join(eol)}${eol}`]), 'csv', {
        onSkip: (e) => csvSkipped.push(e),
      }),
    );
    expect(fromCsv).toStrictEqual([RECORD]);
    expect(csvSkipped.map((e) => e.field)).toEqual(csvBad.map(() => 'lastSeen'));
  });

  it('rejects lines that are records only when read together, each on its own line', async () => {
    const good = (await exportToBuffer([RECORD], 'jsonl')).toString('utf8').trimEnd();
    // Read as one JSON array these two lines would be two records; neither is a JSON object on its own.
    const cut = good.indexOf(',"type"');
    const input = `${good}\n${good.slice(0, cut)},"type":"user"}, {"id":"7"\n${good.slice(cut + 1)}\n${good}\n`;
    const skipped: ImportRowError[] = [];
    const records = await collect(
      readExport(Readable.from([input]), 'jsonl', { onSkip: (e) => skipped.push(e) }),
    );
    expect(records).toStrictEqual([RECORD, RECORD]);
    expect(skipped.map((e) => e.location)).toEqual(['line 2', 'line 3']);
  });

  it('reports a bad CSV cell with its line, counting newlines inside quotes', async () => {
    const csv = (await exportToBuffer([RECORD, RECORD], 'csv')).toString('utf8');
    // The second record's access hash, one past the 64-bit range.
    const at = csv.lastIndexOf('-9223372036854775808');
    const broken = `${csv.slice(0, at)}-9223372036854775809${csv.slice(at + 20)}`;
    const skipped: ImportRowError[] = [];
    const records = await collect(
      readExport(Readable.from([broken]), 'csv', { onSkip: (e) => skipped.push(e) }),
    );
    expect(records).toStrictEqual([RECORD]);
    expect(skipped).toHaveLength(1);
    expect(skipped[0]!.location).toBe('line 4');
    expect(skipped[0]!.field).toBe('accessHash');
  });

  it('refuses a CSV whose header is not pm’s', async () => {
    const error: unknown = await collect(readExport(Readable.from(['id,name\n1,"x"\n']), 'csv')).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ImportError);
    expect((error as ImportError).code).toBe('IMPORT_SCHEMA_MISMATCH');
    expect((error as ImportError).message).toContain('unknown column "name"');
  });

  it('refuses to write a record whose id is a JS number', async () => {
    const bad = { ...RECORD, id: 5 } as unknown as PeerRecord;
    await expect(exportPeers([RECORD, bad], 'jsonl', new PassThrough())).rejects.toThrow(
      InvalidPeerRecordError,
    );
    await expect(exportPeers([RECORD, bad], 'jsonl', new PassThrough())).rejects.toThrow('records[1].id');
  });

  it('waits for a slow writer instead of buffering everything', async () => {
    let written = 0;
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, callback) {
        written += chunk.length;
        setImmediate(callback);
      },
    });
    const many = Array.from({ length: 3000 }, (_, i) => ({ ...RECORD, id: BigInt(i + 1) }));
    expect(await exportPeers(many, 'csv', slow)).toBe(3000);
    expect(written).toBeGreaterThan(3000 * 100);
  });
});

describe('pm export files', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
  });
  afterEach(() => cleanup());

  it.each(['jsonl', 'csv'] as const)('round-trips a %s file and imports it as pm-%s', async (format) => {
    const path = join(dir, `peers.${format}`);
    const records = [
      RECORD,
      { ...RECORD, id: -1001234567890n, type: 'channel' as const, title: 'T', firstName: null },
    ];
    expect(await exportPeers(records, format, createWriteStream(path))).toBe(2);
    expect(await collect(readExport(path, format))).toStrictEqual(records);
    const result = await importPeers(path);
    expect(result.format).toBe(`pm-${format}`);
    expect(await collect(result.records)).toStrictEqual(records);
    expect(result.notes).toContain(`2 records read, 0 rows skipped from ${path}`);
  });

  it('sets aside a record whose times no store can hold, naming its line, the field and both values, in every form and on either thread', async () => {
    // As the peer cache sets them (storage/merge.ts): firstSeen first; a language code with the time it was seen,
    // no later than the last sighting; no time more than a day past the import's clock.
    const base: PeerRecord = { ...RECORD, firstName: 'Alice', phone: null }; // one the line packer takes
    const cases: [Partial<PeerRecord>, string, string[]][] = [
      [{}, '', []],
      [{ lastSeen: 0 }, 'lastSeen', ['invalid value 0', 'no earlier than firstSeen (1)']],
      [{ lastUpdated: 0 }, 'lastUpdated', ['invalid value 0', 'no earlier than firstSeen (1)']],
      [{ langCodeSeenAt: 3 }, 'langCodeSeenAt', ['invalid value 3', 'no later than lastSeen (2)']],
      [{ langCodeSeenAt: null }, 'langCodeSeenAt', ['invalid value null', 'langCode ("en")']],
      [{ langCode: null }, 'langCodeSeenAt', ['invalid value 2', 'langCode is null']],
      [
        { lastSeen: NOW + DAY + 1, lastUpdated: NOW + DAY + 1 },
        'lastSeen',
        [`invalid value ${NOW + DAY + 1}`, `import's clock (${NOW}, 2027-01-15T08:00:00.000Z)`],
      ],
      // Times a store can hold: a language seen before the first sighting (a clock set back), a day of slack.
      [{ langCodeSeenAt: 0 }, '', []],
      [{ langCodeSeenAt: NOW + DAY, lastSeen: NOW + DAY, lastUpdated: NOW + DAY }, '', []],
    ];
    const records = cases.map(([over], i) => ({ ...base, id: BigInt(i + 1), ...over }));
    const good = records.filter((_, i) => cases[i]![1] === '');
    const bad = cases.flatMap(([, field, parts], i) => (field === '' ? [] : [{ line: i + 1, field, parts }]));
    const now = () => NOW;
    const check = (skipped: readonly ImportRowError[], headerLines: number): void => {
      expect(skipped.map((e) => [e.location, e.field])).toEqual(
        bad.map((b) => [`line ${b.line + headerLines}`, b.field]),
      );
      skipped.forEach((e, i) => {
        for (const part of bad[i]!.parts) expect(e.message).toContain(part);
      });
    };
    const jsonl = (await exportToBuffer(records, 'jsonl')).toString('utf8');
    const forms = [
      ['jsonl', 'pm-jsonl', jsonl, 0], // pm's own form: the fast path, and the line packer on import
      ['jsonl', 'pm-jsonl', jsonl.replaceAll('":', '": '), 0], // the general JSON path
      ['csv', 'pm-csv', (await exportToBuffer(records, 'csv')).toString('utf8'), 1],
    ] as const;
    for (const [format, importFormat, text, headerLines] of forms) {
      const skipped: ImportRowError[] = [];
      const read = readExport(Readable.from([text]), format, { now, onSkip: (e) => skipped.push(e) });
      expect(await collect(read)).toStrictEqual(good);
      check(skipped, headerLines);
      const path = join(dir, `times.${format}`);
      writeFileSync(path, text);
      for (const readInWorker of [false, true]) {
        const skippedHere: ImportRowError[] = [];
        const result = await importPeers(path, {
          format: importFormat,
          readInWorker,
          now,
          onSkip: (e) => skippedHere.push(e),
        });
        expect(await collect(result.records)).toStrictEqual(good);
        check(skippedHere, headerLines);
        expect(result.notes).toContain(
          `${good.length} records read, ${bad.length} rows skipped from ${path}`,
        );
      }
    }
  });

  it('names a missing export file', async () => {
    const path = join(dir, 'missing.jsonl');
    const error: unknown = await collect(readExport(path, 'jsonl')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportError);
    expect((error as ImportError).code).toBe('IMPORT_FILE_NOT_FOUND');
    expect((error as ImportError).path).toBe(path);
  });

  it('skips records of an export that the peer cache would refuse, counting them', async () => {
    const path = join(dir, 'peers.jsonl');
    const chatWithHash = { ...RECORD, id: -5n, type: 'chat' as const, accessHash: 1n };
    const out = createWriteStream(path);
    await exportPeers([RECORD, chatWithHash], 'jsonl', out);
    expect(readFileSync(path, 'utf8').split('\n')).toHaveLength(3);
    const result = await importPeers(path);
    expect(await collect(result.records)).toStrictEqual([RECORD]);
    expect(result.notes).toContain(`1 records read, 1 rows skipped from ${path}`);
  });

  it('sets aside a line with NUL in a name, naming its line, the field and the peer, and imports the others, JSONL or CSV, on either thread', async () => {
    const base: PeerRecord = { ...RECORD, firstName: 'Alice', phone: null }; // one the line packer takes
    const records = [1n, 2n, 3n, 4n].map((id) => ({ ...base, id, usernames: [`alice_${id}`] }));
    const lines = records.map(recordToJson);
    // Line 2 as JSON escapes it; line 4 in a form the packer leaves to the record path (a space after a colon).
    lines[1] = (lines[1] as string).replace('"firstName":"Alice"', '"firstName":"A\\u0000lice"');
    lines[3] = (lines[3] as string).replace('"title":null', '"title": "T\\u0000"');
    const path = join(dir, 'nul.jsonl');
    writeFileSync(path, `${lines.join('\n')}\n`);
    for (const readInWorker of [false, true]) {
      const skipped: ImportRowError[] = [];
      const result = await importPeers(path, { readInWorker, onSkip: (e) => skipped.push(e) });
      expect(await collect(result.records)).toStrictEqual([records[0], records[2]]);
      expect(skipped.map((e) => [e.location, e.field, e.value])).toEqual([
        ['line 2', 'firstName', '"A\\u0000lice"'],
        ['line 4', 'title', '"T\\u0000"'],
      ]);
      expect(skipped[0]?.message).toContain('expected text without U+0000 (NUL)');
      expect(skipped[0]?.message).toContain('(peer 2)');
      expect(skipped[1]?.message).toContain('(peer 4)');
      expect(result.notes).toContain(`2 records read, 2 rows skipped from ${path}`);
    }
    // In a CSV, named by the line its row starts on (after the header, and a first row of two lines).
    const rows = [
      { ...(records[0] as PeerRecord), lastName: 'two\nlines' },
      { ...(records[1] as PeerRecord), firstName: 'A\0lice' },
      records[2] as PeerRecord,
      { ...(records[3] as PeerRecord), title: 'T\0' },
    ];
    const csv = join(dir, 'nul.csv');
    await exportPeers(rows, 'csv', createWriteStream(csv));
    for (const readInWorker of [false, true]) {
      const skipped: ImportRowError[] = [];
      const result = await importPeers(csv, { readInWorker, onSkip: (e) => skipped.push(e) });
      expect(await collect(result.records)).toStrictEqual([rows[0], rows[2]]);
      expect(skipped.map((e) => [e.location, e.field, e.value])).toEqual([
        ['line 4', 'firstName', '"A\\u0000lice"'],
        ['line 6', 'title', '"T\\u0000"'],
      ]);
      expect(skipped[1]?.message).toContain(
        'expected text without U+0000 (NUL), which not every store can hold (peer 4)',
      );
      expect(result.notes).toContain(`2 records read, 2 rows skipped from ${csv}`);
    }
  });

  it('reads a CSV written with LF line ends and a byte-order mark', async () => {
    const path = join(dir, 'peers.csv');
    const csv = (await exportToBuffer([RECORD], 'csv')).toString('utf8').replaceAll('\r\n', '\n');
    writeFileSync(path, `\uFEFF${csv}`);
    expect(await collect(readExport(path, 'csv'))).toStrictEqual([RECORD]);
  });
});

/** Header line and first record of pm's CSV (the record holds a quoted newline, so split by hand). */
function splitOnce(csv: string): [string, string, string] {
  const headerEnd = csv.indexOf('\r\n');
  const header = csv.slice(0, headerEnd);
  const body = csv.slice(headerEnd + 2);
  let inQuotes = false;
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '"') inQuotes = !inQuotes;
    else if (!inQuotes && body.startsWith('\r\n', i)) return [header, body.slice(0, i), body.slice(i + 2)];
  }
  return [header, body, ''];
}

/** Raw cells of one CSV record (quotes kept). */
function splitCsvLine(row: string): string[] {
  const cells: string[] = [];
  let inQuotes = false;
  let start = 0;
  for (let i = 0; i < row.length; i++) {
    if (row[i] === '"') inQuotes = !inQuotes;
    else if (!inQuotes && row[i] === ',') {
      cells.push(row.slice(start, i));
      start = i + 1;
    }
  }
  cells.push(row.slice(start));
  return cells;
}
