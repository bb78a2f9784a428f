/**
 * Reads pm's export format back (see export-schema.ts), streaming: a file or any Readable, decoded as UTF-8 across
 * chunk boundaries, one record at a time.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { PeerRecord } from '../storage/types.js';
import { parseCsv } from './csv.js';
import { ImportError, ImportRowError } from './errors.js';
import { checkExportFormat } from './export-peers.js';
import {
  EXPORT_FIELDS,
  type ExportField,
  FieldError,
  fieldFromCsv,
  recordFromJson,
} from './export-schema.js';
import { ImportReport, withSummary } from './row-report.js';
import { fileError, statSource } from './source-file.js';
import type { ExportFormat, ImportOptions, ImportResult } from './types.js';

/** Options of {@link readExport}. */
export interface ReadExportOptions {
  /**
   * Called for a malformed line or row, which is then skipped. Without it the first one throws the
   * {@link ImportRowError} and reading stops.
   */
  readonly onSkip?: ((error: ImportRowError) => void) | undefined;
}

/** How a Readable source is named in errors. */
const STREAM_NAME = '<stream>';

/**
 * Reads records written by `exportPeers()` from a file path or a Readable. Header problems (a CSV without pm's
 * columns) and I/O failures throw {@link ImportError}; a bad line throws {@link ImportRowError} naming the line, or
 * is handed to `onSkip` and skipped.
 */
export function readExport(
  source: string | Readable,
  format: ExportFormat,
  options: ReadExportOptions = {},
): AsyncIterable<PeerRecord> {
  checkExportFormat(format);
  const path = typeof source === 'string' ? source : STREAM_NAME;
  const fail = (error: ImportRowError): void => {
    if (options.onSkip === undefined) throw error;
    options.onSkip(error);
  };
  const chunks = textChunks(source, path);
  return format === 'jsonl' ? readJsonl(chunks, path, fail) : readCsv(chunks, path, fail);
}

/** Opens a pm export for `importPeers()`: records are checked like every other source's. */
export async function readPmExport(
  path: string,
  format: ExportFormat,
  options: Pick<ImportOptions, 'onSkip'> = {},
): Promise<ImportResult> {
  const info = await statSource(path);
  if (!info.isFile())
    throw new ImportError('IMPORT_UNREADABLE', path, `is a folder, expected a pm ${format} export`);
  const notes: string[] = [];
  const report = new ImportReport(path, notes, options.onSkip);
  const records = readExport(path, format, { onSkip: (e) => report.skip(e) });
  async function* accepted(): AsyncGenerator<PeerRecord> {
    let line = 0;
    for await (const record of records) {
      line += 1;
      const ok = report.accept(record, `record ${line}`);
      if (ok !== undefined) yield ok as PeerRecord;
    }
  }
  return {
    format: format === 'jsonl' ? 'pm-jsonl' : 'pm-csv',
    records: withSummary(report, accepted()),
    notes,
  };
}

/** UTF-8 text of a file or stream, a leading byte-order mark dropped. */
async function* textChunks(source: string | Readable, path: string): AsyncGenerator<string> {
  const stream = typeof source === 'string' ? createReadStream(source) : source;
  const decoder = new StringDecoder('utf8');
  let first = true;
  try {
    for await (const chunk of stream as AsyncIterable<unknown>) {
      let text = typeof chunk === 'string' ? chunk : decoder.write(Buffer.from(chunk as Uint8Array));
      if (first && text.length > 0) {
        first = false;
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      }
      if (text.length > 0) yield text;
    }
    const rest = decoder.end();
    if (rest.length > 0) yield rest;
  } catch (e) {
    throw typeof source === 'string' && !(e instanceof ImportError) ? fileError(path, e) : e;
  } finally {
    if (typeof source === 'string') stream.destroy();
  }
}

/** Complete lines of `chunks` (terminators dropped, blank ones skipped), a chunk's worth at a time, numbered. */
async function* lineGroups(
  chunks: AsyncIterable<string>,
): AsyncGenerator<{ texts: string[]; lines: number[] }> {
  let buffer = '';
  let line = 0;
  for await (const chunk of chunks) {
    buffer += chunk;
    const texts: string[] = [];
    const lines: number[] = [];
    let start = 0;
    let end = buffer.indexOf('\n', start);
    while (end >= 0) {
      line += 1;
      const text = buffer.slice(start, end > start && buffer[end - 1] === '\r' ? end - 1 : end);
      if (text.length > 0) {
        texts.push(text);
        lines.push(line);
      }
      start = end + 1;
      end = buffer.indexOf('\n', start);
    }
    buffer = buffer.slice(start);
    if (texts.length > 0) yield { texts, lines };
  }
  const last = buffer.endsWith('\r') ? buffer.slice(0, -1) : buffer;
  if (last.length > 0) yield { texts: [last], lines: [line + 1] };
}

/**
 * The records of a group of lines when every line is a valid record: one `JSON.parse` for the group (one call per
 * line costs about twice as much). Undefined when anything is off, and the caller reads line by line to name it.
 */
function parseGroup(texts: readonly string[]): PeerRecord[] | undefined {
  let values: unknown;
  try {
    values = JSON.parse(`[${texts.join(',')}]`);
  } catch {
    return undefined;
  }
  if (!Array.isArray(values) || values.length !== texts.length) return undefined;
  const records: PeerRecord[] = [];
  for (const value of values) {
    // Only objects, one per line: a line that is not a whole object on its own fails here or changes the count.
    const record = recordFromJson(value);
    if (record instanceof FieldError) return undefined;
    records.push(record);
  }
  return records;
}

async function* readJsonl(
  chunks: AsyncIterable<string>,
  path: string,
  fail: (error: ImportRowError) => void,
): AsyncGenerator<PeerRecord> {
  for await (const { texts, lines } of lineGroups(chunks)) {
    const group = parseGroup(texts);
    if (group !== undefined) {
      yield* group;
      continue;
    }
    for (let i = 0; i < texts.length; i++) {
      const text = texts[i] as string;
      const line = lines[i] as number;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (e) {
        if (!(e instanceof SyntaxError)) throw e;
        fail(new ImportRowError(path, `line ${line}`, undefined, text, 'expected one JSON object per line'));
        continue;
      }
      const record = recordFromJson(value);
      if (record instanceof FieldError) {
        fail(new ImportRowError(path, `line ${line}`, record.field || undefined, record.value, record.rule));
        continue;
      }
      yield record;
    }
  }
}

async function* readCsv(
  chunks: AsyncIterable<string>,
  path: string,
  fail: (error: ImportRowError) => void,
): AsyncGenerator<PeerRecord> {
  let columns: ExportField[] | undefined;
  for await (const row of parseCsv(chunks)) {
    const location = `line ${row.line}`;
    if (columns === undefined) {
      columns = headerColumns(
        row.cells.map((c) => c.text),
        path,
      );
      continue;
    }
    if (row.malformed !== undefined) {
      fail(
        new ImportRowError(path, location, undefined, row.cells.map((c) => c.text).join(','), row.malformed),
      );
      continue;
    }
    if (row.cells.length !== columns.length) {
      fail(
        new ImportRowError(
          path,
          location,
          undefined,
          `${row.cells.length} cells`,
          `expected ${columns.length} cells, as in the header`,
        ),
      );
      continue;
    }
    const out: Record<string, unknown> = {};
    let error: FieldError | undefined;
    for (let i = 0; i < columns.length && error === undefined; i++) {
      const field = columns[i]!;
      const value = fieldFromCsv(field, row.cells[i]!);
      if (value instanceof FieldError) error = value;
      else out[field] = value;
    }
    if (error !== undefined) {
      fail(new ImportRowError(path, location, error.field, error.value, error.rule));
      continue;
    }
    // Key order of a record, whatever the column order of the file.
    const record: Record<string, unknown> = {};
    for (const field of EXPORT_FIELDS) record[field] = out[field];
    yield record as unknown as PeerRecord;
  }
}

/** The header's columns; throws IMPORT_SCHEMA_MISMATCH unless it has each of pm's columns exactly once. */
function headerColumns(names: readonly string[], path: string): ExportField[] {
  const known = new Set<string>(EXPORT_FIELDS);
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const name of names) {
    if (!known.has(name)) problems.push(`unknown column ${JSON.stringify(name)}`);
    else if (seen.has(name)) problems.push(`column ${name} twice`);
    seen.add(name);
  }
  const missing = EXPORT_FIELDS.filter((f) => !seen.has(f));
  if (missing.length > 0) problems.push(`missing ${missing.join(', ')}`);
  if (problems.length > 0) {
    throw new ImportError(
      'IMPORT_SCHEMA_MISMATCH',
      path,
      `is not a pm CSV export: its header has ${problems.join('; ')} (expected ${EXPORT_FIELDS.join(',')})`,
    );
  }
  return names as ExportField[];
}
