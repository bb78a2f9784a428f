/**
 * Interfaces of the import/export module: which foreign formats pm reads, and what an import hands back.
 */
import type { PeerGroup } from '../storage/packed-peers.js';
import type { PeerInput } from '../storage/types.js';
import type { ImportRowError } from './errors.js';

/**
 * The sources `importPeers()` reads.
 * - `telethon`: a Telethon `*.session` SQLite file.
 * - `pyrogram`: a Pyrogram (or Pyrofork / Kurigram) `*.session` SQLite file.
 * - `gramjs-store`: the folder a GramJS `StoreSession` writes (one file per key).
 * - `gramjs-string`: a GramJS (or Telethon) `StringSession`, inline or in a text file; it holds no peers.
 * - `mtcute`: an mtcute `SqliteStorage` database.
 * - `pm-jsonl` / `pm-csv`: pm's own export, written by `exportPeers()`.
 */
export type ImportFormat =
  | 'telethon'
  | 'pyrogram'
  | 'gramjs-store'
  | 'gramjs-string'
  | 'mtcute'
  | 'pm-jsonl'
  | 'pm-csv';

/** The formats `exportPeers()` writes and `readExport()` reads. */
export type ExportFormat = 'jsonl' | 'csv';

/** Options shared by `importPeers()` and the per-format readers. */
export interface ImportOptions {
  /** Skip detection and read the source as this format. @default detected by `detectImportFormat()` */
  readonly format?: ImportFormat | undefined;
  /** Called for every row that is skipped; the row is counted in the notes either way. */
  readonly onSkip?: ((error: ImportRowError) => void) | undefined;
  /**
   * Read and check a pm export (`pm-jsonl`, `pm-csv`) in a worker thread, so that whoever writes the records on the
   * main thread works beside it (`pm peers import` does). Other formats are read on the main thread.
   * @default false
   */
  readonly readInWorker?: boolean | undefined;
  /**
   * The import's clock, ms, read once when a pm export is opened: a record with a time more than a day past it is
   * no record a store can hold, and is set aside like any other bad row (other formats carry no times). @default
   * Date.now
   */
  readonly now?: (() => number) | undefined;
}

/** What an import hands back. Opening errors are thrown before it is returned; row errors are skipped. */
export interface ImportResult {
  readonly format: ImportFormat;
  /**
   * The peers, streamed: the source is opened when iteration starts and closed when it ends or is abandoned.
   * Iterate it once.
   */
  readonly records: AsyncIterable<PeerInput>;
  /**
   * The same records in groups, in order, where the reader has them so (pm's exports): one await per group, for
   * writers that take many at once. Iterate either `records` or `batches`, once.
   */
  readonly batches?: AsyncIterable<readonly PeerInput[]>;
  /**
   * The same groups for a bulk load (`StorageProvider.bulkLoadPeers`), where the reader has them so (pm's exports):
   * while records come whole with ids strictly increasing, packed as rows ready to bind (`PackedPeers`), without a
   * record object per peer; from the first that does not, as records. Iterate one of `records`, `batches` and
   * `groups`, once.
   */
  readonly groups?: AsyncIterable<PeerGroup>;
  /**
   * What the source could not tell (lossy fields, unknown flags) and, once `records` has been iterated to the end
   * (or abandoned), how many records were read and how many rows were skipped.
   */
  readonly notes: string[];
}
