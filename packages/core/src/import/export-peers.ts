/**
 * Writes peer records in pm's export format (see export-schema.ts), streaming, with backpressure.
 */
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { InvalidInputError } from '../errors.js';
import type { PeerRecord } from '../storage/types.js';
import { checkWritable, EXPORT_FIELDS, fieldToCsv, recordToJson } from './export-schema.js';
import type { ExportFormat } from './types.js';

/** Options of {@link exportPeers}. */
export interface ExportOptions {
  /** End `out` (and wait until it has flushed) after the last record. @default true */
  readonly end?: boolean | undefined;
}

/** Text is handed to the stream in pieces of about this many characters. */
const BATCH_CHARS = 64 * 1024;

/** The CSV header line, also how detection recognizes pm's CSV. */
export const CSV_HEADER: string = EXPORT_FIELDS.join(',');

/** Rejects anything but the export formats, naming the value. */
export function checkExportFormat(format: unknown): asserts format is ExportFormat {
  if (format !== 'jsonl' && format !== 'csv') {
    throw new InvalidInputError(
      'INVALID_EXPORT_FORMAT',
      String(format),
      `Invalid export format ${JSON.stringify(format)}: expected 'jsonl' or 'csv'`,
    );
  }
}

/**
 * Writes every record to `out` as JSON lines (one object per line) or CSV (a header, then one row per record,
 * CRLF line ends). Lossless: `readExport()` gives back records equal field for field. A record that cannot be
 * written faithfully (a JS number where a bigint belongs...) throws InvalidPeerRecordError naming it
 * (`records[i].field`); what came before it has been written. Resolves to the number of records written.
 */
export async function exportPeers(
  records: AsyncIterable<PeerRecord> | Iterable<PeerRecord>,
  format: ExportFormat,
  out: Writable,
  options: ExportOptions = {},
): Promise<number> {
  checkExportFormat(format);
  // A failing output's error reaches the write that meets it (see write()); its 'error' event, unheard, would be
  // thrown out of the process instead.
  const heard = (): void => {};
  out.on('error', heard);
  try {
    return await writeAll(records, format, out, options);
  } finally {
    out.off('error', heard);
  }
}

async function writeAll(
  records: AsyncIterable<PeerRecord> | Iterable<PeerRecord>,
  format: ExportFormat,
  out: Writable,
  options: ExportOptions,
): Promise<number> {
  let pending = format === 'csv' ? `${CSV_HEADER}\r\n` : '';
  let count = 0;
  for await (const record of records) {
    checkWritable(record, `records[${count}]`);
    pending +=
      format === 'jsonl'
        ? `${recordToJson(record)}\n`
        : `${EXPORT_FIELDS.map((field) => fieldToCsv(record, field)).join(',')}\r\n`;
    count += 1;
    if (pending.length >= BATCH_CHARS) {
      await write(out, pending);
      pending = '';
    }
  }
  if (pending.length > 0) await write(out, pending);
  if (options.end ?? true) {
    out.end();
    await finished(out, { readable: false });
  }
  return count;
}

/**
 * Hands `text` to `out` and waits until it is written: the callback of `write` is called in every case (with the
 * error of a stream that failed or was destroyed before), so a failing output rejects here and never leaves the
 * export waiting for a 'drain' that will not come.
 */
function write(out: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    out.write(text, 'utf8', (error) => (error ? reject(error) : resolve()));
  });
}
