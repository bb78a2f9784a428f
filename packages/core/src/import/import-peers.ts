/**
 * One entry point for every supported source: detect (or take) the format, open it, hand back streamed records.
 */
import { access } from 'node:fs/promises';
import { InvalidInputError } from '../errors.js';
import { detectImportFormat } from './detect.js';
import { ImportError } from './errors.js';
import { readGramjsStoreSession } from './gramjs-store.js';
import { INLINE_SESSION, looksLikeSessionString, readGramjsStringSession } from './gramjs-string.js';
import { readMtcuteStorage } from './mtcute.js';
import { readPyrogramSession } from './pyrogram.js';
import { readPmExport } from './read-export.js';
import { readPmExportInThread } from './reader-thread.js';
import { readTelethonSession } from './telethon.js';
import type { ImportFormat, ImportOptions, ImportResult } from './types.js';

/** Every format importPeers reads. */
export const IMPORT_FORMATS: readonly ImportFormat[] = [
  'telethon',
  'pyrogram',
  'gramjs-store',
  'gramjs-string',
  'mtcute',
  'pm-jsonl',
  'pm-csv',
];

/**
 * Opens a source of peers: a Telethon or Pyrogram `*.session` file, an mtcute database, a GramJS StoreSession
 * folder, a GramJS/Telethon session string (inline or in a file; it yields no peers), or a pm export. The format is
 * detected unless `options.format` is given. Throws {@link ImportError} when the source cannot be read as that
 * format; rows that cannot be imported are skipped, counted in `notes` and passed to `options.onSkip`.
 *
 * @example
 * const { records, notes } = await importPeers('bot.session');
 * for await (const peer of records) await cache.upsert([peer]);
 * console.log(notes.join('\n'));
 */
export async function importPeers(source: string, options: ImportOptions = {}): Promise<ImportResult> {
  const format = options.format ?? (await detectImportFormat(source));
  if (format !== 'gramjs-string' && looksLikeSessionString(source) && !(await exists(source))) {
    // Named as '<session string>': the secret must not become the path of a "not found" error.
    throw new ImportError(
      'IMPORT_FILE_NOT_FOUND',
      INLINE_SESSION,
      `a session string was given where a ${format} file or folder was expected`,
    );
  }
  switch (format) {
    case 'telethon':
      return readTelethonSession(source, options);
    case 'pyrogram':
      return readPyrogramSession(source, options);
    case 'gramjs-store':
      return readGramjsStoreSession(source, options);
    case 'gramjs-string':
      return readGramjsStringSession(source);
    case 'mtcute':
      return readMtcuteStorage(source, options);
    case 'pm-jsonl':
    case 'pm-csv': {
      const kind = format === 'pm-jsonl' ? 'jsonl' : 'csv';
      return options.readInWorker
        ? readPmExportInThread(source, kind, options)
        : readPmExport(source, kind, options);
    }
    default:
      throw new InvalidInputError(
        'INVALID_IMPORT_FORMAT',
        String(format),
        `Invalid import format ${JSON.stringify(format)}: expected one of ${IMPORT_FORMATS.join(', ')}`,
      );
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
