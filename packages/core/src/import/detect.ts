/**
 * Tells the supported sources apart without trusting file names: a folder is a GramJS StoreSession, a SQLite file
 * is told by its tables, a text file by its first line, and an inline base64 string is a session string.
 */
import { ImportError } from './errors.js';
import { CSV_HEADER } from './export-peers.js';
import { findStoreSessionPrefixes } from './gramjs-store.js';
import { looksLikeSessionString } from './gramjs-string.js';
import { MTCUTE_TABLES } from './mtcute.js';
import { PYROGRAM_TABLES } from './pyrogram.js';
import { notAFile, readHead, statSource } from './source-file.js';
import { hasTables, isSqliteHeader, readSqliteTables } from './sqlite-file.js';
import { TELETHON_TABLES } from './telethon.js';
import type { ImportFormat } from './types.js';

/** Bytes read from a text file to recognize it. */
const TEXT_HEAD_BYTES = 4096;
const JSONL_START = /^\s*\{\s*"id"\s*:/;

/**
 * Which format `source` is in: a path to a file or folder, or an inline session string. Throws
 * {@link ImportError}: IMPORT_FILE_NOT_FOUND, IMPORT_UNREADABLE, IMPORT_SCHEMA_MISMATCH (a SQLite file or folder of
 * no supported library, naming the tables found), IMPORT_NOT_SQLITE (a file that is none of the formats).
 */
export async function detectImportFormat(source: string): Promise<ImportFormat> {
  const info = await statSource(source).catch((e: unknown) => {
    // A session string is no path: it must not end up in an error message as one.
    if (looksLikeSessionString(source)) return undefined;
    throw e;
  });
  if (info === undefined) return 'gramjs-string';
  if (info.isDirectory()) {
    if ((await findStoreSessionPrefixes(source)).length > 0) return 'gramjs-store';
    throw new ImportError(
      'IMPORT_SCHEMA_MISMATCH',
      source,
      'is a folder but not a GramJS StoreSession (no <session>%3AdcId or <session>%3AauthKey file in it)',
    );
  }
  // Not read: a pipe (FIFO) would wait for a writer, maybe forever, and a device such as /dev/zero never ends.
  if (!info.isFile())
    throw new ImportError('IMPORT_UNREADABLE', source, `is ${notAFile(info)}, expected a file or a folder`);
  const head = await readHead(source, TEXT_HEAD_BYTES);
  if (isSqliteHeader(head)) return sqliteFormat(source);
  const text = head.toString('utf8').replace(/^\uFEFF/, '');
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  if (JSONL_START.test(firstLine)) return 'pm-jsonl';
  if (firstLine.replaceAll('"', '') === CSV_HEADER) return 'pm-csv';
  if (head.length < TEXT_HEAD_BYTES && looksLikeSessionString(text)) return 'gramjs-string';
  throw new ImportError(
    'IMPORT_NOT_SQLITE',
    source,
    'is not a SQLite database (Telethon, Pyrogram or mtcute), a pm export (JSON lines or CSV) or a session string',
  );
}

async function sqliteFormat(path: string): Promise<ImportFormat> {
  const tables = await readSqliteTables(path);
  if (hasTables(tables, TELETHON_TABLES)) return 'telethon';
  if (hasTables(tables, MTCUTE_TABLES)) return 'mtcute';
  if (hasTables(tables, PYROGRAM_TABLES)) return 'pyrogram';
  const found = tables.size === 0 ? 'no tables' : `tables ${[...tables.keys()].join(', ')}`;
  throw new ImportError(
    'IMPORT_SCHEMA_MISMATCH',
    path,
    `is a SQLite database of no supported library (found ${found}); expected Telethon's entities(id, hash, ...), ` +
      "Pyrogram's peers(id, access_hash, type, ...) or mtcute's peers(id, hash, usernames, ...)",
  );
}
