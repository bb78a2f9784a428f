/**
 * The worker-thread side of reading a pm export (reader-thread.ts starts it): reads and checks the file exactly as
 * `readPmExport` does on the main thread, and posts the records in groups, a few groups ahead of what the main
 * thread has taken, so the reading of the next groups overlaps the writing of the last.
 */
import type { MessagePort } from 'node:worker_threads';
import type { PackedPeers, PeerGroup } from '../storage/packed-peers.js';
import type { PeerInput, PeerRecord, PeerType } from '../storage/types.js';
import { ImportError, type ImportRowError } from './errors.js';
import { EncodedGroup, type EncodedRows, encodeRows } from './packed-rows.js';
import { readPmExport } from './read-export.js';
import type { ExportFormat } from './types.js';

/** Values per record in a posted group: the fields of a PeerRecord. */
const FIELDS = 18;

/** Groups posted and not yet taken by the main thread, at most. */
const AHEAD = 4;

export interface ReaderThreadData {
  readonly path: string;
  readonly format: ExportFormat;
  /** The import's clock when it opened the file (a clock itself cannot cross to the thread). */
  readonly now: number;
}

/** What the reader thread posts. */
export type ReaderMessage =
  | { readonly type: 'batch'; readonly values: unknown[] }
  /** Packed rows (storage/packed-peers.ts) in their crossing form (packed-rows.ts). */
  | ({ readonly type: 'rows' } & EncodedRows)
  | {
      readonly type: 'skip';
      readonly location: string;
      readonly field: string | undefined;
      /** As the error renders it. */
      readonly value: string;
      readonly valid: string;
      readonly message: string;
    }
  | { readonly type: 'done'; readonly notes: string[] }
  | { readonly type: 'failed'; readonly error: ThreadFailure };

/** An error of the reader thread, as it crosses to the main thread. */
export interface ThreadFailure {
  readonly code: string | undefined;
  readonly path: string | undefined;
  readonly message: string;
  readonly importError: boolean;
}

export function threadFailure(error: unknown): ThreadFailure {
  const e = error as { code?: unknown; path?: unknown; message?: unknown } | null;
  return {
    code: typeof e?.code === 'string' ? e.code : undefined,
    path: typeof e?.path === 'string' ? e.path : undefined,
    message: typeof e?.message === 'string' ? e.message : String(error),
    importError: error instanceof ImportError,
  };
}

/**
 * A group of records as one array of their values, field after field (`FIELDS`): an array of plain values crosses
 * between threads for less than half the cost of as many objects, most of it on the receiving (writing) thread.
 */
function toValues(records: readonly PeerInput[]): unknown[] {
  const values: unknown[] = new Array(records.length * FIELDS);
  let at = 0;
  for (const record of records) {
    // pm's exports give every field (a record's usernames or phone undefined when the import left them out).
    const r = record as PeerRecord;
    values[at++] = r.id;
    values[at++] = r.type;
    values[at++] = r.accessHash;
    values[at++] = r.min;
    values[at++] = r.usernames;
    values[at++] = r.firstName;
    values[at++] = r.lastName;
    values[at++] = r.title;
    values[at++] = r.phone;
    values[at++] = r.langCode;
    values[at++] = r.langCodeSeenAt;
    values[at++] = r.premium;
    values[at++] = r.verified;
    values[at++] = r.deleted;
    values[at++] = r.photoId;
    values[at++] = r.firstSeen;
    values[at++] = r.lastSeen;
    values[at++] = r.lastUpdated;
  }
  return values;
}

/** The records of {@link toValues}' array, as the reader handed them out. */
export function fromValues(values: readonly unknown[]): PeerRecord[] {
  const records: PeerRecord[] = new Array(values.length / FIELDS);
  for (let i = 0, at = 0; at < values.length; i++, at += FIELDS) {
    records[i] = {
      id: values[at] as bigint,
      type: values[at + 1] as PeerType,
      accessHash: values[at + 2] as bigint | null,
      min: values[at + 3] as boolean,
      usernames: values[at + 4] as string[],
      firstName: values[at + 5] as string | null,
      lastName: values[at + 6] as string | null,
      title: values[at + 7] as string | null,
      phone: values[at + 8] as string | null,
      langCode: values[at + 9] as string | null,
      langCodeSeenAt: values[at + 10] as number | null,
      premium: values[at + 11] as boolean | null,
      verified: values[at + 12] as boolean | null,
      deleted: values[at + 13] as boolean,
      photoId: values[at + 14] as bigint | null,
      firstSeen: values[at + 15] as number,
      lastSeen: values[at + 16] as number,
      lastUpdated: values[at + 17] as number,
    };
  }
  return records;
}

/** Runs in the worker: reads `data.path`, posting to `port` until done or failed. */
export async function runReaderThread(port: MessagePort, data: ReaderThreadData): Promise<void> {
  let credits = AHEAD;
  let wake: (() => void) | undefined;
  port.on('message', (message: unknown) => {
    if (message !== 'more') return;
    credits += 1;
    wake?.();
    wake = undefined;
  });
  const skip = (e: ImportRowError): void => {
    port.postMessage({
      type: 'skip',
      location: e.location,
      field: e.field,
      value: e.value,
      valid: e.valid,
      message: e.message,
    } satisfies ReaderMessage);
  };
  try {
    const result = await readPmExport(data.path, data.format, { onSkip: skip, now: () => data.now });
    const groups: AsyncIterable<PeerGroup | readonly PeerInput[]> | undefined =
      result.groups ?? result.batches;
    for await (const group of groups ?? []) {
      while (credits === 0) await new Promise<void>((resolve) => (wake = resolve));
      credits -= 1;
      if (!Array.isArray(group)) {
        const rows = group instanceof EncodedGroup ? group.rows : encodeRows(group as PackedPeers);
        port.postMessage({ type: 'rows', ...rows } satisfies ReaderMessage, [
          rows.lengths.buffer as ArrayBuffer,
          rows.numbers.buffer as ArrayBuffer,
          rows.hashes.buffer as ArrayBuffer,
          rows.accessHashes.buffer as ArrayBuffer,
        ]);
      } else port.postMessage({ type: 'batch', values: toValues(group) } satisfies ReaderMessage);
    }
    port.postMessage({ type: 'done', notes: result.notes } satisfies ReaderMessage);
  } catch (error) {
    port.postMessage({ type: 'failed', error: threadFailure(error) } satisfies ReaderMessage);
  } finally {
    port.close();
  }
}
