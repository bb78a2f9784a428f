/**
 * Reads pm's export format back (see export-schema.ts), streaming: a file or any Readable, decoded as UTF-8 across
 * chunk boundaries, one record at a time.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { type PeerGroup, recordsOf } from '../storage/packed-peers.js';
import type { PeerInput, PeerRecord } from '../storage/types.js';
import { parseCsv } from './csv.js';
import { ImportError, ImportRowError } from './errors.js';
import { checkExportFormat } from './export-peers.js';
import {
  EXPORT_FIELDS,
  type ExportField,
  FieldError,
  fieldFromCsv,
  recordFromJson,
  recordTimesConflict,
} from './export-schema.js';
import { packCanonicalLine, recordFromCanonicalLine } from './jsonl-line.js';
import { EncodedGroup, RowWriter } from './packed-rows.js';
import { ImportReport, withSummary } from './row-report.js';
import { fileError, notAFile, statSource } from './source-file.js';
import type { ExportFormat, ImportOptions, ImportResult } from './types.js';

/** Options of {@link readExport}. */
export interface ReadExportOptions {
  /**
   * Called for a malformed line or row, which is then skipped. Without it the first one throws the
   * {@link ImportRowError} and reading stops.
   */
  readonly onSkip?: ((error: ImportRowError) => void) | undefined;
  /**
   * The reader's clock, ms, read once when reading starts: a time more than a day past it (`FUTURE_SLACK_MS`) sets
   * its line aside. @default Date.now
   */
  readonly now?: (() => number) | undefined;
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
  return flatten(readExportBatches(source, format, options));
}

/**
 * {@link readExport}'s records in groups (a read chunk's worth, in file order), for writers that take many at once:
 * one await per group instead of one per record.
 */
export function readExportBatches(
  source: string | Readable,
  format: ExportFormat,
  options: ReadExportOptions = {},
): AsyncIterable<PeerRecord[]> {
  checkExportFormat(format);
  const path = typeof source === 'string' ? source : STREAM_NAME;
  const fail = (error: ImportRowError): void => {
    if (options.onSkip === undefined) throw error;
    options.onSkip(error);
  };
  const chunks = textChunks(source, path);
  const now = (options.now ?? Date.now)();
  return format === 'jsonl' ? readJsonl(chunks, path, now, fail) : readCsv(chunks, path, now, fail);
}

/** The records of groups, one by one. */
export async function* flatten<T>(groups: AsyncIterable<readonly T[]>): AsyncGenerator<T> {
  for await (const group of groups) yield* group;
}

/**
 * A pm export as `importPeers()` takes it: refused before anything starts unless it is a file, then read in groups
 * by `read` (on this thread or another), which adds its notes to the list it is given.
 */
export async function openPmExport(
  path: string,
  format: ExportFormat,
  read: (notes: string[]) => AsyncGenerator<PeerGroup>,
): Promise<ImportResult> {
  const info = await statSource(path);
  if (!info.isFile())
    throw new ImportError(
      'IMPORT_UNREADABLE',
      path,
      `is ${notAFile(info)}, expected a pm ${format} export file`,
    );
  const notes: string[] = [];
  const groups = read(notes);
  const batches = unpacked(groups);
  return {
    format: format === 'jsonl' ? 'pm-jsonl' : 'pm-csv',
    records: flatten(batches),
    batches,
    groups,
    notes,
  };
}

/** The records of groups, packed ones unpacked. */
async function* unpacked(groups: AsyncIterable<PeerGroup>): AsyncGenerator<readonly PeerRecord[]> {
  for await (const group of groups) yield recordsOf(group);
}

/** Opens a pm export for `importPeers()`: records are checked like every other source's. */
export function readPmExport(
  path: string,
  format: ExportFormat,
  options: Pick<ImportOptions, 'onSkip' | 'now'> = {},
): Promise<ImportResult> {
  const now = options.now ?? Date.now;
  return openPmExport(path, format, (notes) => {
    const report = new ImportReport(path, notes, options.onSkip);
    if (format === 'jsonl') return withSummary(report, readJsonlGroups(path, report, now()));
    const accept = (record: PeerRecord, line: number): PeerRecord | undefined =>
      report.accept(record, `line ${line}`) as PeerRecord | undefined;
    return withSummary(
      report,
      readCsv(textChunks(path, path), path, now(), (e) => report.skip(e), accept),
    );
  });
}

/** Bytes read from a file at a time: larger reads make fewer, larger groups of records. */
const READ_CHUNK = 1024 * 1024;

/** UTF-8 text of a file or stream, a leading byte-order mark dropped. */
export async function* textChunks(source: string | Readable, path: string): AsyncGenerator<string> {
  const stream =
    typeof source === 'string' ? createReadStream(source, { highWaterMark: READ_CHUNK }) : source;
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
 * Bytes of a pm JSONL export read at a time. Small enough that neither the read buffer (malloc reuses it, where a
 * larger one is a fresh mapping each time) nor the text decoded from it (an ordinary young object, not one of V8's
 * large objects) costs new pages: reading 1 MiB at a time (and packing groups of a read's rows), a 1M-line import
 * took about 280,000 page faults, against 63,000 this way.
 */
export const LINE_READ = 64 * 1024;

/**
 * {@link lineGroups} of a file, split on its bytes: each read chunk up to its last line feed is decoded at once (a
 * line feed is never part of a longer UTF-8 sequence, so a line's text is the same as decoded whole), the rest
 * carried over to the next chunk; no decoder state, no string grown and cut per chunk. A leading byte-order mark is
 * dropped.
 */
async function* fileLineGroups(path: string): AsyncGenerator<{ texts: string[]; lines: number[] }> {
  const stream = createReadStream(path, { highWaterMark: LINE_READ });
  let carry: Buffer | undefined;
  let line = 0;
  let first = true;
  const split = (text: string): { texts: string[]; lines: number[] } => {
    const texts: string[] = [];
    const lines: number[] = [];
    let start = 0;
    let end = text.indexOf('\n');
    while (end >= 0) {
      line += 1;
      const stop = end > start && text.charCodeAt(end - 1) === 0x0d ? end - 1 : end;
      if (stop > start) {
        texts.push(text.slice(start, stop));
        lines.push(line);
      }
      start = end + 1;
      end = text.indexOf('\n', start);
    }
    return { texts, lines };
  };
  try {
    for await (const read of stream as AsyncIterable<Buffer>) {
      let chunk = read;
      if (first && chunk.length > 0) {
        first = false;
        if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
      }
      const feed = chunk.lastIndexOf(0x0a);
      if (feed < 0) {
        carry = carry === undefined ? chunk : Buffer.concat([carry, chunk]);
        continue;
      }
      const head =
        carry === undefined
          ? chunk.subarray(0, feed + 1)
          : Buffer.concat([carry, chunk.subarray(0, feed + 1)]);
      carry = feed + 1 < chunk.length ? chunk.subarray(feed + 1) : undefined;
      const group = split(head.toString('utf8'));
      if (group.texts.length > 0) yield group;
    }
    if (carry !== undefined) {
      let last = carry.toString('utf8');
      if (last.endsWith('\r')) last = last.slice(0, -1);
      line += 1;
      if (last.length > 0) yield { texts: [last], lines: [line] };
    }
  } catch (e) {
    throw e instanceof ImportError ? e : fileError(path, e);
  } finally {
    stream.destroy();
  }
}

/**
 * Records of JSON lines, a read chunk's worth at a time. A line as `exportPeers` writes it is read by the fast
 * path (jsonl-line.ts); any other line by `JSON.parse` on its own, so each line must be one whole record by itself.
 * Records before a bad line are handed out before it is reported.
 */
async function* readJsonl(
  chunks: AsyncIterable<string>,
  path: string,
  now: number,
  fail: (error: ImportRowError) => void,
): AsyncGenerator<PeerRecord[]> {
  for await (const { texts, lines } of lineGroups(chunks)) {
    let out: PeerRecord[] = [];
    for (let i = 0; i < texts.length; i++) {
      const record = recordOfLine(texts[i] as string, lines[i] as number, path, now);
      if (!(record instanceof ImportRowError)) {
        out.push(record);
        continue;
      }
      if (out.length > 0) {
        yield out;
        out = [];
      }
      fail(record);
    }
    if (out.length > 0) yield out;
  }
}

/**
 * The record of one JSON line (numbered `line` in the file), or the error that sets it aside; `now` is the reader's
 * clock, which the record's times may not lie far beyond.
 */
function recordOfLine(text: string, line: number, path: string, now: number): PeerRecord | ImportRowError {
  const record = lineRecord(text, line, path);
  if (record instanceof ImportRowError) return record;
  const conflict = recordTimesConflict(record, now);
  return conflict === undefined ? record : rowError(path, `line ${line}`, conflict);
}

const rowError = (path: string, location: string, e: FieldError): ImportRowError =>
  new ImportRowError(path, location, e.field || undefined, e.value, e.rule);

/** The record of one JSON line, each field valid on its own, or the error that sets it aside. */
function lineRecord(text: string, line: number, path: string): PeerRecord | ImportRowError {
  const fast = recordFromCanonicalLine(text);
  if (fast !== undefined) return fast;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    return new ImportRowError(path, `line ${line}`, undefined, text, 'expected one JSON object per line');
  }
  const record = recordFromJson(value);
  return record instanceof FieldError ? rowError(path, `line ${line}`, record) : record;
}

/** Every field given: a record the bulk load may write as it is (the checks may leave out usernames or a phone). */
const isWhole = (record: PeerInput): record is PeerRecord =>
  EXPORT_FIELDS.every((f) => (record as unknown as Record<string, unknown>)[f] !== undefined);

/**
 * The last id of the ids taken so far, and whether another is above it: as a number while the ids are canonical
 * decimal text of at most 15 digits (exact in a double; every user and chat id, nearly every channel id), else as
 * a bigint.
 */
class LastId {
  value: string | bigint | undefined;
  #number = Number.NaN;

  /** If `id` is above the last one (or the first), takes it as the last one and returns true. */
  advance(id: string | bigint): boolean {
    if (this.value !== undefined) {
      if (typeof id === 'string' && id.length <= 16 && !Number.isNaN(this.#number)) {
        const n = Number(id);
        if (!(n > this.#number)) return false;
        this.value = id;
        this.#number = n;
        return true;
      }
      if (!(BigInt(id) > BigInt(this.value))) return false;
    }
    this.value = id;
    this.#number = typeof id === 'string' && id.length <= 16 ? Number(id) : Number.NaN;
    return true;
  }
}

/**
 * A pm JSONL export read and checked as {@link readPmExport} does, as groups for a bulk load: while records come
 * whole and with ids strictly increasing they are packed (storage/packed-peers.ts), lines in pm's own form straight
 * from their text (jsonl-line.ts); from the first record that is not, the rest come as records. Records in file
 * order; rows before a bad one are handed out before it is reported.
 */
async function* readJsonlGroups(path: string, report: ImportReport, now: number): AsyncGenerator<PeerGroup> {
  let packing = true;
  const last = new LastId();
  const rows = new RowWriter(GROUP_ROWS);
  let first: string | bigint = '';
  let records: PeerRecord[] = [];
  const pending = (): PeerGroup[] => {
    const out: PeerGroup[] = [];
    if (rows.count > 0)
      out.push(new EncodedGroup(rows.take(BigInt(first), BigInt(last.value as string | bigint))));
    if (records.length > 0) {
      out.push(records);
      records = [];
    }
    return out;
  };
  for await (const { texts, lines } of fileLineGroups(path)) {
    for (let i = 0; i < texts.length; i++) {
      const text = texts[i] as string;
      if (packing) {
        const id = packCanonicalLine(text, rows, now);
        if (id !== undefined) {
          if (last.advance(id)) {
            if (rows.count === 1) first = id;
            report.taken();
            if (rows.count >= GROUP_ROWS) yield* pending();
            continue;
          }
          // Out of order: taken again below as a record, which ends the packing.
          rows.undo();
        }
      }
      const record = recordOfLine(text, lines[i] as number, path, now);
      if (record instanceof ImportRowError) {
        yield* pending();
        report.skip(record);
        continue;
      }
      const ok = report.accept(record, `line ${lines[i] as number}`);
      if (ok === undefined) {
        yield* pending();
        continue;
      }
      if (packing && isWhole(ok) && last.advance(ok.id)) {
        if (rows.count === 0) first = ok.id;
        rows.record(ok);
        if (rows.count >= GROUP_ROWS) yield* pending();
        continue;
      }
      if (packing) {
        packing = false;
        yield* pending();
      }
      records.push(ok as PeerRecord);
    }
    // Records (after the packing ended) as each read's lines end; packed rows GROUP_ROWS at a time.
    if (records.length > 0) yield* pending();
  }
  yield* pending();
}

/**
 * Packed rows per group: three of the bulk load's INSERTs (256 rows each), and few enough that the group's text and
 * the writing thread's array of its values (19 per row) stay ordinary young objects in V8 rather than large ones,
 * each of which costs fresh pages.
 */
const GROUP_ROWS = 768;

/** CSV records in groups of this many. */
const CSV_GROUP = 1000;

/**
 * CSV records in groups; `accept` (the import's checks, given the row's line) returns the record to hand out, or
 * undefined when it sets the row aside.
 */
async function* readCsv(
  chunks: AsyncIterable<string>,
  path: string,
  now: number,
  fail: (error: ImportRowError) => void,
  accept?: (record: PeerRecord, line: number) => PeerRecord | undefined,
): AsyncGenerator<PeerRecord[]> {
  let group: PeerRecord[] = [];
  for await (const row of readCsvRecords(chunks, path, now)) {
    if (row instanceof ImportRowError) {
      // Records before a bad row are handed out before it is reported, as they come in the file.
      if (group.length > 0) {
        yield group;
        group = [];
      }
      fail(row);
      continue;
    }
    const record = accept === undefined ? row.record : accept(row.record, row.line);
    if (record === undefined) continue;
    group.push(record);
    if (group.length >= CSV_GROUP) {
      yield group;
      group = [];
    }
  }
  if (group.length > 0) yield group;
}

/** Each row as a record with the line it starts on, or the error that sets it aside. */
async function* readCsvRecords(
  chunks: AsyncIterable<string>,
  path: string,
  now: number,
): AsyncGenerator<{ record: PeerRecord; line: number } | ImportRowError> {
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
      yield new ImportRowError(
        path,
        location,
        undefined,
        row.cells.map((c) => c.text).join(','),
        row.malformed,
      );
      continue;
    }
    if (row.cells.length !== columns.length) {
      yield new ImportRowError(
        path,
        location,
        undefined,
        `${row.cells.length} cells`,
        `expected ${columns.length} cells, as in the header`,
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
      yield rowError(path, location, error);
      continue;
    }
    // Key order of a record, whatever the column order of the file.
    const record: Record<string, unknown> = {};
    for (const field of EXPORT_FIELDS) record[field] = out[field];
    const conflict = recordTimesConflict(record as unknown as PeerRecord, now);
    yield conflict === undefined
      ? { record: record as unknown as PeerRecord, line: row.line }
      : rowError(path, location, conflict);
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
