import { createWriteStream, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sampleRecord } from '../../src/conformance/fixtures.js';
import { exportPeers, ImportError, ImportRowError, importPeers } from '../../src/import/index.js';
import { threadBatches } from '../../src/import/reader-thread.js';
import type { PeerRecord } from '../../src/storage/types.js';
import { collect } from './collect.js';
import { tempDir } from './fixtures.js';

/** A record as an export holds it. */
const record = (id: bigint): PeerRecord =>
  sampleRecord(id, {
    accessHash: -id,
    usernames: [`user_${id}`],
    firstName: `U${id}`,
    langCode: 'en',
    langCodeSeenAt: 5,
    verified: false,
  });

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
    const error: unknown = await collect(threadBatches({ path, format: 'jsonl' }, [], undefined, code)).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ImportError);
    expect((error as ImportError).code).toBe('IMPORT_UNREADABLE');
    expect((error as ImportError).message).toBe(`${path}: ${reason}`);
  });
});
