/** Every default of the storage layer, in one place; option JSDoc `@default` tags repeat these values. */
export const PEER_CACHE_DEFAULTS = {
  /** Records kept in the in-memory LRU, at most (always the most recently used half of it). */
  cacheSize: 50_000,
  /** Username → peer id entries kept in memory, at most (always the most recently used half of it). */
  usernameCacheSize: 50_000,
  /** Longest time a change waits in memory before it is written, while traffic is light. */
  flushDelayMs: 50,
  /**
   * Group commit: while writes keep carrying at least `groupCommitMinPeers` peers, the delay doubles up to this
   * (and falls back to `flushDelayMs` once traffic is light again). With random ids nearly every new peer touches
   * its own B-tree pages, so a write's cost grows with the pages it touches: at a million peers stored, one
   * transaction of 50,000 new peers costs about a third per peer of fifty of 1,000.
   */
  maxFlushDelayMs: 1000,
  /** A write carrying at least this many peers means the cache is under load (see `maxFlushDelayMs`). */
  groupCommitMinPeers: 1000,
  /**
   * A write starts at once when this many peers are pending: bounds the memory held by pending changes (tens of
   * MB) and the time one write holds the event loop (about a second at a million peers stored).
   */
  maxBatch: 50_000,
  /**
   * Peers written per step of one write, with a turn of the event loop between steps, so a synchronous driver's
   * statements do not hold the event loop for a whole batch (COMMIT and a WAL checkpoint still run in one step).
   */
  writeSlice: 5000,
  /**
   * A sighting that changes no field moves `lastSeen` / `langCodeSeenAt` only once they are this old, so a user
   * who keeps writing costs no write at all in between.
   */
  lastSeenResolutionMs: 60_000,
  /** Records fetched per storage round trip by `iterate()`. */
  pageSize: 500,
  /** `close()` also closes the storage provider. */
  closeStorage: true,
  /** First wait before a failed background write is tried again; doubled after each failure in a row. */
  retryBaseDelayMs: 100,
  /** Longest wait between tries of a failed background write. */
  retryMaxDelayMs: 30_000,
} as const;

export const SQLITE_DEFAULTS = {
  /**
   * WAL with synchronous=NORMAL: a committed transaction is in the WAL file (the OS has it) when COMMIT returns, so
   * it survives the process being killed; only a power loss or OS crash may drop the last commits. FULL also
   * survives those at the price of an fsync per commit.
   */
  synchronous: 'NORMAL',
  /** How long a statement waits for a lock held by another connection, ms. */
  busyTimeoutMs: 5000,
  /**
   * SQLite page cache, KiB: the process's own memory (malloc), all of it in use after any large write. Reads of the
   * file go through the memory map (`mmapSizeMiB`), not this cache, so a larger one buys no lookup speed: at a
   * million peers (peers bench, CPU time, runs alternated) cold lookups by id took 8.7-10.8 µs with 8 MiB and
   * 9.1-11.7 µs with 32 MiB, and ingest of new peers stayed at 69-88k/s either way, while RSS after the ingest
   * fell from 207 to 169-188 MiB. (64 MiB cost RSS and no CPU over 32 or 16 before that.) 4 MiB rather than 8 (1M
   * peers, CPU time, runs alternated): the malloc heap after the ingest 10 MiB instead of 14-15, for about a fifth
   * more bytes read with `pread` during the ingest (3.5-3.8 GB against 2.8-3.3) and no change beyond noise in ingest
   * (63-77k/s in five runs against 67-75k/s in seven) or cold lookups. 2 MiB saved 2 MiB more for a third more reads.
   */
  cacheSizeKiB: 4096,
  /**
   * WAL size (pages) that triggers a checkpoint in the COMMIT, while the store is smaller than
   * `backgroundCheckpointPages` (from there the worker thread checkpoints after commits). SQLite's own default: a page
   * still in the WAL is read with a system call and a copy (the WAL is not mapped), so a WAL the size of the store
   * makes every cold lookup slower. With 10,000 pages a store under ~40 MB (100k peers) lived wholly in its WAL, and
   * its cold lookups took 13.7 / 17.4 µs by id / username against 5.2 / 5.6 for the same statements checkpointed
   * every 1000 pages (peers bench, 100k peers, CPU time).
   */
  walAutocheckpointPages: 1000,
  /**
   * From this many pages (about 40 MB) a store checkpoints its WAL in a worker thread after commits rather than in
   * the COMMIT on the event loop: at a million peers that checkpoint held the loop for most of a second.
   */
  backgroundCheckpointPages: 10_000,
  /**
   * Bytes of the file read through a memory map, MiB (SQLite's `mmap_size`): a cold lookup at a million peers reads
   * two or three pages outside the page cache, each a `pread` and a copy without it. Mapped pages are the kernel's
   * file cache (RssFile), shared and dropped under memory pressure, not the process's own memory; but they count in
   * the process's RSS, and lookups of any peer map in most of the file (the kernel maps a faulting page's neighbours
   * too). Peers bench at 1M peers, one run, CPU time: cold lookups by id / by username 7.3 / 10.5 µs with the map,
   * 10.4 / 14.0 µs without; RSS after those lookups 307 MiB with it (153 MiB of them the mapped file) and 155 MiB
   * without. A bot that must stay small sets `mmapSizeMiB: 0`.
   *
   * An ingest maps pages too: SQLite reads every page of the file through the map when it covers it, the pages a write
   * changes included (it copies them from the map into this cache). Each new map (made after a checkpoint once the file
   * has grown, see driver.ts) starts empty, so what RSS shows after an ingest depends on when the last one came. Peers
   * bench at 1M peers, 13 runs (page cache 8 or 4 MiB), RSS after the ingest and the warming of 10,000 peers: 128-148
   * MiB with 0-4 MiB of the file mapped when the last map was made after the ingest (9 runs), 166 MiB with 28 MiB
   * mapped when it came between ingest and warming (1), 290-295 MiB with 148-149 MiB mapped when none came in the
   * ingest's last second (3): two seconds of ingest map nearly the whole file. Reading pm's batch lookups through a
   * second connection without the map left that unchanged (145 MiB mapped at the end of an ingest); a writing
   * connection without the map and lookups through a mapped one did not map the file during the ingest (0 MiB in 3
   * runs), for an ingest of 60-66k/s against 70-81k/s in the same hour. Without any map: RSS after ingest 145 and 147
   * MiB, and cold lookups by id / by username 13.0 / 16.1-18.1 µs against 6.4-8.5 / 10.0-13.0 with it (the same busy
   * machine, CPU time).
   */
  mmapSizeMiB: 1024,
  /** File mode of the database file and its -wal/-shm companions. */
  fileMode: 0o600,
} as const;
