import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import {
  detectImportFormat,
  IMPORT_FORMATS,
  ImportError,
  type ImportErrorCode,
  type ImportFormat,
  importPeers,
} from '../../src/import/index.js';
import { buildMtcute, buildPyrogram, buildTelethon, plainFolder, tempDir } from './fixtures.js';

async function importError(source: string, format?: ImportFormat): Promise<ImportError> {
  const error: unknown = await importPeers(source, { format }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ImportError);
  return error as ImportError;
}

function expectImportError(error: ImportError, code: ImportErrorCode, path: string): void {
  expect(error.code).toBe(code);
  expect(error.path).toBe(path);
  expect(error.message.startsWith(`${path}: `)).toBe(true);
}

describe('detectImportFormat', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
  });
  afterEach(() => cleanup());

  it('tells the SQLite sources apart by their tables', async () => {
    expect(await detectImportFormat(buildTelethon(dir))).toBe('telethon');
    expect(await detectImportFormat(buildPyrogram(dir, 'pyrogram'))).toBe('pyrogram');
    expect(await detectImportFormat(buildPyrogram(dir, 'pyrofork'))).toBe('pyrogram');
    expect(await detectImportFormat(buildPyrogram(dir, 'kurigram'))).toBe('pyrogram');
    expect(await detectImportFormat(buildMtcute(dir))).toBe('mtcute');
  });

  it('recognizes pm exports by their first line', async () => {
    const jsonl = join(dir, 'peers.txt');
    writeFileSync(jsonl, '{"id":"1","type":"user"}\n');
    const csv = join(dir, 'peers.data');
    writeFileSync(
      csv,
      '\uFEFFid,type,accessHash,min,usernames,firstName,lastName,title,phone,langCode,langCodeSeenAt,premium,verified,deleted,photoId,firstSeen,lastSeen,lastUpdated\r\n',
    );
    expect(await detectImportFormat(jsonl)).toBe('pm-jsonl');
    expect(await detectImportFormat(csv)).toBe('pm-csv');
  });
});

describe('import errors', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
  });
  afterEach(() => cleanup());

  it('names a missing file', async () => {
    const path = join(dir, 'nope.session');
    expectImportError(await importError(path), 'IMPORT_FILE_NOT_FOUND', path);
    expectImportError(await importError(path, 'telethon'), 'IMPORT_FILE_NOT_FOUND', path);
  });

  it('says a file is not SQLite instead of showing a SQLite error', async () => {
    const path = join(dir, 'bot.session');
    writeFileSync(path, Buffer.from([0, 1, 2, 3, 255, 254, 0, 9]));
    expectImportError(await importError(path), 'IMPORT_NOT_SQLITE', path);
    expectImportError(await importError(path, 'pyrogram'), 'IMPORT_NOT_SQLITE', path);
  });

  it('reports a file with a SQLite header and garbage after it as a typed error', async () => {
    const path = join(dir, 'broken.session');
    writeFileSync(path, Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), Buffer.alloc(300, 0x41)]));
    const error = await importError(path);
    expect(['IMPORT_NOT_SQLITE', 'IMPORT_UNREADABLE']).toContain(error.code);
    expect(error.message).toContain(path);
  });

  it('names the tables a SQLite file of no supported library has', async () => {
    const path = join(dir, 'other.db');
    const db = new Database(path);
    db.exec('create table notes (id integer primary key, body text)');
    db.close();
    const error = await importError(path);
    expectImportError(error, 'IMPORT_SCHEMA_MISMATCH', path);
    expect(error.message).toContain('found tables notes');
  });

  it('says what is missing when the format is forced on the wrong library', async () => {
    const path = buildPyrogram(dir, 'pyrogram');
    const error = await importError(path, 'telethon');
    expectImportError(error, 'IMPORT_SCHEMA_MISMATCH', path);
    expect(error.message).toContain('missing table entities');
    expectImportError(await importError(path, 'mtcute'), 'IMPORT_SCHEMA_MISMATCH', path);
  });

  it('refuses a folder that is not a StoreSession and a file forced as one', async () => {
    const folder = plainFolder(dir);
    expectImportError(await importError(folder), 'IMPORT_SCHEMA_MISMATCH', folder);
    const file = buildTelethon(dir);
    expectImportError(await importError(file, 'gramjs-store'), 'IMPORT_SCHEMA_MISMATCH', file);
    expectImportError(await importError(folder, 'telethon'), 'IMPORT_UNREADABLE', folder);
  });

  it('refuses a text file that is none of the formats', async () => {
    const path = join(dir, 'notes.txt');
    writeFileSync(path, 'hello, world\n');
    expectImportError(await importError(path), 'IMPORT_NOT_SQLITE', path);
  });

  it('refuses a pipe (FIFO) or a device instead of waiting on it forever, whatever the format, naming what it is', async () => {
    const fifo = join(dir, 'peers.fifo');
    execFileSync('mkfifo', [fifo]);
    for (const format of [undefined, ...IMPORT_FORMATS]) {
      const error = await importError(fifo, format);
      expect(error.path, format).toBe(fifo);
      expect(error.message, format).toContain('is a pipe (FIFO)');
    }
    for (const format of [undefined, 'pm-jsonl', 'telethon', 'gramjs-string'] as const) {
      expect((await importError('/dev/zero', format)).message, format).toContain('/dev/zero: is a device');
    }
  });

  it('refuses an unknown format name', async () => {
    await expect(importPeers(buildTelethon(dir), { format: 'tdlib' as ImportFormat })).rejects.toBeInstanceOf(
      InvalidInputError,
    );
  });
});
