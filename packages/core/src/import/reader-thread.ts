/**
 * Reading a pm export in a worker thread (`importPeers(path, { readInWorker: true })`, what `pm peers import` does):
 * the worker (read-worker.ts) reads and checks every line as the main thread would, and hands over the records in
 * groups (whole records in id order packed as rows, storage/packed-peers.ts), so on two cores the reading overlaps
 * the writing. Every way the worker can end is an end of `batches`:
 * its summary (done), its own typed failure (thrown again here as what it was), or its death (a crash, an exit
 * before the end) as an ImportError; the iteration never waits on a worker that is gone.
 */
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PeerGroup } from '../storage/packed-peers.js';
import { ImportError, type ImportErrorCode, rowErrorFromThread } from './errors.js';
import { decodeRows } from './packed-rows.js';
import { openPmExport } from './read-export.js';
import { fromValues, type ReaderMessage, type ReaderThreadData, type ThreadFailure } from './read-worker.js';
import type { ExportFormat, ImportOptions, ImportResult } from './types.js';

/**
 * The worker: loads read-worker (its TypeScript source through tsx when pm runs from source, as the workspace's `pm`
 * does) and runs it on the port to the main thread.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsx !== undefined) (await import(workerData.tsx)).register();
  const { runReaderThread } = await import(workerData.module);
  await runReaderThread(parentPort, workerData.data);
})().catch((error) => {
  parentPort.postMessage({
    type: 'failed',
    error: { code: undefined, path: undefined, message: String((error && error.message) || error), importError: false },
  });
});
`;

const fromSource = import.meta.url.endsWith('.ts');
const WORKER_MODULE = new URL(`./read-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url).href;

/** tsx's ESM API (its `import` export, beside the `require` one Node resolves here), when running from source. */
function tsxApi(): string | undefined {
  if (!fromSource) return undefined;
  const required = createRequire(fileURLToPath(import.meta.url)).resolve('tsx/esm/api');
  return pathToFileURL(required.replace(/\.cjs$/, '.mjs')).href;
}

/** Opens a pm export for `importPeers()`, read and checked in a worker thread. */
export function readPmExportInThread(
  path: string,
  format: ExportFormat,
  options: Pick<ImportOptions, 'onSkip' | 'now'> = {},
): Promise<ImportResult> {
  return openPmExport(path, format, (notes) =>
    threadBatches({ path, format, now: (options.now ?? Date.now)() }, notes, options.onSkip),
  );
}

type Event = ReaderMessage | { type: 'crashed'; message: string } | { type: 'exit'; code: number };

/**
 * The records the reader thread posts; `source` is the worker's code (tests give one that crashes). Exported for
 * tests only.
 */
export async function* threadBatches(
  data: ReaderThreadData,
  notes: string[],
  onSkip: ImportOptions['onSkip'],
  source: string = WORKER_SOURCE,
): AsyncGenerator<PeerGroup> {
  const { path } = data;
  const worker = new Worker(source, {
    eval: true,
    workerData: { module: WORKER_MODULE, tsx: tsxApi(), data },
  });
  const events: Event[] = [];
  let wake: (() => void) | undefined;
  const push = (event: Event): void => {
    events.push(event);
    wake?.();
    wake = undefined;
  };
  worker.on('message', (message: ReaderMessage) => push(message));
  worker.on('error', (error: Error) => push({ type: 'crashed', message: error.message }));
  worker.on('exit', (code: number) => push({ type: 'exit', code }));
  try {
    for (;;) {
      while (events.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      const event = events.shift() as Event;
      switch (event.type) {
        case 'batch':
          worker.postMessage('more');
          yield fromValues(event.values);
          break;
        case 'rows':
          worker.postMessage('more');
          yield decodeRows(event);
          break;
        case 'skip':
          onSkip?.(rowErrorFromThread({ path, ...event }));
          break;
        case 'done':
          notes.push(...event.notes);
          return;
        case 'failed':
          throw failureOf(path, event.error);
        case 'crashed':
          throw new ImportError('IMPORT_UNREADABLE', path, `the reader thread failed: ${event.message}`);
        case 'exit':
          throw new ImportError(
            'IMPORT_UNREADABLE',
            path,
            `the reader thread stopped (exit code ${event.code}) before the end of the file`,
          );
      }
    }
  } finally {
    await worker.terminate();
  }
}

/** The worker's failure as the error it was: an ImportError keeps its code and path. */
function failureOf(path: string, failure: ThreadFailure): ImportError {
  if (failure.importError && failure.code !== undefined && failure.path !== undefined) {
    const prefix = `${failure.path}: `;
    const reason = failure.message.startsWith(prefix)
      ? failure.message.slice(prefix.length)
      : failure.message;
    return new ImportError(failure.code as ImportErrorCode, failure.path, reason);
  }
  return new ImportError('IMPORT_UNREADABLE', path, `the reader thread failed: ${failure.message}`);
}
