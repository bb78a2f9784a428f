import { createWriteStream, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sampleRecord } from '../../src/conformance/fixtures.js';
import { exportPeers, ImportError, ImportRowError, importPeers } from '../../src/import/index.js';
import { decodeRows, encodeRows, RowWriter } from '../../src/import/packed-rows.js';
import { LINE_READ } from '../../src/import/read-export.js';
import { threadBatches } from '../../src/import/reader-thread.js';
import { nameHash, PACKED_WIDTH, packRecord } from '../../src/storage/packed-peers.js';
import type { PeerRecord } from '../../src/storage/types.js';
import { collect } from './collect.js';
import { exportedRecord, tempDir } from './fixtures.js';

const record = (id: bigint): PeerRecord => exportedRecord(id);

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});
afterEach(() => cleanup());

/** An export of `n` records with a bad line and a record the peer cache would refuse among them. */
async function exportWithFaults(path: string, n: number): Promise<PeerRecord[]> {
  const records = Array.from({ length: n }, (_, i) => record(BigInt(i + 1)));
  await exportPeers(records, 'jsonl', createWriteStream(path));
  const { readFileSync } = await import('node:fs');
  const lines = readFileSync(path, 'utf8').split('\n');
  lines.splice(10, 0, '{"id":"12.5"}');
  lines.splice(
    20,
    0,
    lines[19]!.replace('"type":"user"', '"type":"chat"').replace(/"id":"\d+"/, '"id":"-7"'),
  );
  writeFileSync(path, lines.join('\n'));
  return records;
}

describe('reading a pm export in a worker thread', () => {
  it('hands out the same records, skipped rows and notes as reading on the main thread', async () => {
    const path = join(dir, 'peers.jsonl');
    const records = await exportWithFaults(path, 5000);
    const here: ImportRowError[] = [];
    const there: ImportRowError[] = [];
    const main = await importPeers(path, { onSkip: (e) => here.push(e) });
    const threaded = await importPeers(path, { readInWorker: true, onSkip: (e) => there.push(e) });
    const fromMain = await collect(main.records);
    expect(await collect(threaded.records)).toStrictEqual(fromMain);
    expect(fromMain).toHaveLength(records.length);
    expect(threaded.notes).toEqual(main.notes);
    expect(threaded.notes).toContain(`${records.length} records read, 2 rows skipped from ${path}`);
    expect(there).toHaveLength(2);
    expect(there[0]).toBeInstanceOf(ImportRowError);
    expect(there.map((e) => [e.location, e.field, e.value, e.message])).toEqual(
      here.map((e) => [e.location, e.field, e.value, e.message]),
    );
  });

  it('ends with the reader’s own typed error when the file goes away under it', async () => {
    const path = join(dir, 'gone.jsonl');
    await exportPeers([record(1n)], 'jsonl', createWriteStream(path));
    const result = await importPeers(path, { readInWorker: true });
    rmSync(path);
    const error: unknown = await collect(result.records).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportError);
    expect((error as ImportError).code).toBe('IMPORT_FILE_NOT_FOUND');
    expect((error as ImportError).path).toBe(path);
  });

  it('names a missing file before starting a thread', async () => {
    const error: unknown = await importPeers(join(dir, 'none.jsonl'), {
      format: 'pm-jsonl',
      readInWorker: true,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportError);
    expect((error as ImportError).code).toBe('IMPORT_FILE_NOT_FOUND');
  });

  it('stops the reader when the consumer stops early', async () => {
    const path = join(dir, 'early.jsonl');
    await exportPeers(
      Array.from({ length: 20_000 }, (_, i) => record(BigInt(i + 1))),
      'jsonl',
      createWriteStream(path),
    );
    const result = await importPeers(path, { readInWorker: true });
    let seen = 0;
    for await (const _ of result.records) if (++seen === 10) break;
    expect(seen).toBe(10);
    // The thread is gone: a second, complete read works and sees every record.
    expect(await collect((await importPeers(path, { readInWorker: true })).records)).toHaveLength(20_000);
  });

  it.each([
    ['crashes', 'throw new Error("boom")', 'the reader thread failed: boom'],
    [
      'exits before the end',
      'process.exit(3)',
      'the reader thread stopped (exit code 3) before the end of the file',
    ],
  ])('ends with an ImportError, never a hang, when the reader thread %s', async (_, code, reason) => {
    const path = join(dir, 'any.jsonl');
    const error: unknown = await collect(
      threadBatches({ path, format: 'jsonl', now: Date.now() }, [], undefined, code),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportError);
    expect((error as ImportError).code).toBe('IMPORT_UNREADABLE');
    expect((error as ImportError).message).toBe(`${path}: ${reason}`);
  });

  it('reads a file cut into read chunks inside a line and inside a character as the same text: BOM, CRLF, no final newline', async () => {
    const path = join(dir, 'chunks.jsonl');
    // Lines of about 1.3 KB, half of it in 4-byte characters, past many read chunks (LINE_READ bytes each).
    const records: PeerRecord[] = Array.from({ length: 2000 }, (_, i) => ({
      ...record(BigInt(i + 1)),
      firstName: `${'👋'.repeat(150)}é${i}`,
      lastName: 'x'.repeat(i % 7),
    }));
    const lineOf = (r: PeerRecord) =>
      JSON.stringify(r, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    const bytesOf = () =>
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(records.map(lineOf).join('\r\n'))]);
    // The first read ends inside a character: the first line padded (in its last name) so that its end falls there.
    const unpadded = bytesOf();
    let pad = 0;
    while (((unpadded[LINE_READ - pad] as number) & 0xc0) !== 0x80) pad += 1;
    records[0] = { ...(records[0] as PeerRecord), lastName: 'p'.repeat(pad) };
    const bytes = bytesOf();
    expect((bytes[LINE_READ] as number) & 0xc0).toBe(0x80);
    writeFileSync(path, bytes);
    for (const readInWorker of [false, true]) {
      const result = await importPeers(path, { format: 'pm-jsonl', readInWorker });
      expect(await collect(result.records)).toStrictEqual(records);
      expect(result.notes).toContain(`2000 records read, 0 rows skipped from ${path}`);
    }
  });

  it('hands packed rows across threads value for value: texts of any characters, nulls, numbers, 64-bit values as text', () => {
    const text = fc.option(fc.oneof(fc.string({ unit: 'binary' }), fc.constantFrom('', '\u0000', '👋é')), {
      nil: null,
    });
    const row = fc.record({
      id: fc.oneof(fc.bigInt({ min: 1n, max: 2n ** 53n }), fc.bigInt({ min: 1n, max: 2n ** 63n - 1n })),
      accessHash: fc.option(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { nil: null }),
      firstName: text,
      lastName: text,
      title: text,
      phone: text,
      langCode: text,
      langCodeSeenAt: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: null }),
      premium: fc.option(fc.boolean(), { nil: null }),
      usernames: fc.array(fc.stringMatching(/^[a-z]{3,8}$/), { maxLength: 3 }),
      firstSeen: fc.double({ noNaN: true, noDefaultInfinity: true }),
    });
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 20 }), (rows) => {
        const values: unknown[] = [];
        rows.forEach((r, i) => {
          packRecord(sampleRecord(r.id, { ...r }), values);
          // As the line packer leaves them: 64-bit values as text.
          if (i % 2 === 0) values[i * PACKED_WIDTH] = String(r.id);
        });
        const group = { values, count: rows.length, firstId: 1n, lastId: 2n };
        const crossed = structuredClone(encodeRows(group));
        const back = decodeRows(crossed);
        // 64-bit values as text, but an id that is a safe integer as a number and an access hash as a bigint.
        const asText = (v: unknown, i: number) =>
          i % PACKED_WIDTH === 0 && Number.isSafeInteger(Number(v))
            ? Number(v)
            : i % PACKED_WIDTH === 2 || typeof v !== 'bigint'
              ? v
              : String(v);
        expect(back.values).toStrictEqual(values.map(asText));
        const lookups = rows.map((r) =>
          r.usernames[0] === undefined ? 0 : nameHash(r.usernames[0].toLowerCase()),
        );
        expect([...(back.nameHashes as Int32Array).subarray(0, rows.length)]).toEqual(lookups);
        expect([back.count, back.firstId, back.lastId]).toEqual([rows.length, 1n, 2n]);
        // Written straight into the crossing form (a row taken back out again on the way), the same rows.
        const writer = new RowWriter();
        rows.forEach((r, i) => {
          writer.record(sampleRecord(r.id, { ...r }));
          if (i % 3 === 1) {
            writer.record(sampleRecord(r.id + 1n, { ...r, firstName: 'undone', usernames: [] }));
            writer.undo();
          }
        });
        const written = decodeRows(structuredClone(writer.take(1n, 2n)));
        expect(written.values).toStrictEqual(values.map(asText));
        expect([...(written.nameHashes as Int32Array).subarray(0, rows.length)]).toEqual(lookups);
        expect(written.count).toBe(rows.length);
      }),
      { numRuns: 150 },
    );
  });
});
