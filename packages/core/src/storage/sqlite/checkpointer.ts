/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the COMMIT that crosses
 * `wal_autocheckpoint`, on the committing thread: copying a large write's pages from the WAL into the database
 * file (and its fsync) held the event loop for most of a second at a million peers, two thirds of that COMMIT. Here a
 * worker thread with its own connection to the same file runs `PRAGMA wal_checkpoint(PASSIVE)` after commits
 * instead; PASSIVE never blocks the writer (WAL readers and one checkpointer may run beside it), and the main
 * connection's automatic checkpoint is switched off while the worker runs.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** The worker: one connection, a PASSIVE checkpoint per request (requests arriving meanwhile coalesce). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
let db;
try {
  db = new Database(workerData.path, { fileMustExist: true });
  db.pragma('busy_timeout = 0');
  db.pragma('synchronous = ' + workerData.synchronous);
} catch (error) {
  parentPort.postMessage({ error: String(error && error.message || error) });
}
parentPort.on('message', (message) => {
  if (message === 'close') {
    try { db && db.close(); } finally { parentPort.postMessage({ closed: true }); parentPort.close(); }
    return;
  }
  if (!db) return;
  try {
    const [row] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ done: row });
  } catch (error) {
    // Busy: another checkpoint or a lock in the way; the next commit asks again.
    if (error && String(error.code).startsWith('SQLITE_BUSY')) parentPort.postMessage({ done: null });
    else parentPort.postMessage({ error: String(error && error.message || error) });
  }
});
`;

export interface CheckpointerOptions {
  readonly path: string;
  readonly synchronous: 'NORMAL' | 'FULL';
  /** Told once when the worker fails; the caller then goes back to SQLite's automatic checkpoint. */
  readonly onFailure: (message: string) => void;
  /** Told after each checkpoint the worker ran (it may have copied pages into the file and grown it). */
  readonly onCheckpoint?: () => void;
}

export class BackgroundCheckpointer {
  readonly #worker: Worker;
  #running = false;
  #again = false;
  #failed = false;
  #closed: Promise<void> | null = null;

  constructor(options: CheckpointerOptions) {
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { module, path: options.path, synchronous: options.synchronous },
    });
    this.#worker.unref();
    const fail = (message: string): void => {
      if (this.#failed) return;
      this.#failed = true;
      options.onFailure(message);
    };
    this.#worker.on('message', (message: { error?: string; done?: unknown; closed?: boolean }) => {
      if (message.error !== undefined) fail(message.error);
      else if (message.done !== undefined) {
        this.#running = false;
        if (message.done !== null) options.onCheckpoint?.();
        if (this.#again) this.request();
      }
    });
    this.#worker.on('error', (error) => fail(error.message));
  }

  get failed(): boolean {
    return this.#failed;
  }

  /** Asks for a checkpoint after a commit; at most one runs at a time and one more is queued. */
  request(): void {
    if (this.#failed || this.#closed !== null) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    this.#again = false;
    this.#worker.postMessage('checkpoint');
  }

  /** Lets a running checkpoint end, closes the worker's connection and stops the worker. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(guard);
        resolve();
      };
      // A worker that does not answer (it failed, or hangs in I/O) is terminated after a while.
      const guard = setTimeout(() => {
        void this.#worker.terminate().then(done, done);
      }, 10_000);
      this.#worker.once('exit', done);
      this.#worker.on('message', (message: { closed?: boolean }) => {
        if (message.closed) void this.#worker.terminate().then(done, done);
      });
      this.#worker.postMessage('close');
    });
    return this.#closed;
  }
}
