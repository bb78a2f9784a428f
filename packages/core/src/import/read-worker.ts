/**
 * The worker-thread side of reading a pm export (reader-thread.ts starts it): reads and checks the file exactly as
 * `readPmExport` does on the main thread, and posts the records in groups, a few groups ahead of what the main
 * thread has taken, so the reading of the next groups overlaps the writing of the last.
 */
import type { MessagePort } from 'node:worker_threads';
import { ImportError, type ImportRowError } from './errors.js';
import { readPmExport } from './read-export.js';
import type { ExportFormat } from './types.js';

/** Groups posted and not yet taken by the main thread, at most. */
const AHEAD = 4;

export interface ReaderThreadData {
  readonly path: string;
  readonly format: ExportFormat;
}

/** What the reader thread posts. */
export type ReaderMessage =
  | { readonly type: 'batch'; readonly records: readonly unknown[] }
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
    const result = await readPmExport(data.path, data.format, { onSkip: skip });
    for await (const records of result.batches ?? []) {
      while (credits === 0) await new Promise<void>((resolve) => (wake = resolve));
      credits -= 1;
      port.postMessage({ type: 'batch', records } satisfies ReaderMessage);
    }
    port.postMessage({ type: 'done', notes: result.notes } satisfies ReaderMessage);
  } catch (error) {
    port.postMessage({ type: 'failed', error: threadFailure(error) } satisfies ReaderMessage);
  } finally {
    port.close();
  }
}
