/**
 * What the peer-cache benchmark needs from each store it compares: ingest a batch (committed when `write`
 * returns, for stores on disk), and look a user up by id and by username, "hot" (a working set the store has
 * recently answered) and "cold" (any of the n users, with pm's in-memory LRU shrunk to one entry).
 */
import type { Sighting } from './data.js';

/** A lookup answers something truthy when the user is found. */
export interface Lookups {
  byId(id: bigint): unknown;
  byUsername(name: string): unknown;
}

export interface OpenStore {
  /** Turns sightings into what the store takes (untimed: building its input objects is not its cost). */
  prepare(batch: readonly Sighting[]): unknown;
  /** Stores a prepared batch and, for stores on disk, commits it (or hands it to a write-behind queue). */
  write(prepared: unknown): unknown;
  /**
   * For a store that writes behind (pm): commits whatever it still holds, as `flush()` does. Called once after the
   * last batch of an ingest and timed with it.
   */
  settle?(): unknown;
  /** How this store's ingest commits, for the notes of the figure. @default 'each batch committed' */
  readonly commits?: string;
  readonly hot: Lookups;
  readonly cold: Lookups;
  /**
   * For a store with an in-memory cache in front (pm): writes through a cache that holds nothing (pm's LRU of one
   * entry), so a cold re-sighting is of a peer not in memory and reads the store, as `cold` lookups do. Stores
   * without such a cache re-sight through `write` in both tiers.
   */
  readonly coldWrite?: Pick<OpenStore, 'write' | 'settle'>;
  /**
   * Warms the hot set (each id looked up by id and by username) its own way, e.g. many lookups at once for a store
   * a round trip away; without it the benchmark looks them up one by one within a time budget.
   */
  warm?(ids: readonly bigint[]): Promise<void>;
  /** Why a lookup kind is not measured (the store has no such lookup); keys: 'byUsername'. */
  readonly unsupported?: Partial<Record<keyof Lookups, string>>;
  close(): unknown;
}

export interface Subject {
  readonly name: string;
  /**
   * 'real': timed in real time even under `PM_BENCH_CLOCK=cpu`, because its work happens in another process (a
   * database server) that the CPU time of this thread leaves out. Its rows say so (`clock`).
   */
  readonly clock?: 'real';
  /** A new store in `dir` (`reopen`: the one a previous `open` left there). */
  open(dir: string, reopen: boolean): Promise<OpenStore>;
  /**
   * Removes what the stores opened in folders of `benchDir` keep outside them (a database's schemas), once the
   * subject is done at one size.
   */
  cleanup?(benchDir: string): Promise<void>;
}

/** One figure a child process measured (see child.ts). */
export interface ChildFigure {
  readonly min: number;
  readonly median: number;
  readonly runs: number;
  readonly unit: string;
  readonly notes?: string;
}

/** What one child process reports for one store at one size. */
export interface ChildResult {
  readonly subject: string;
  readonly size: number;
  readonly figures: Record<string, ChildFigure>;
  /** Why a figure is missing (the store failed at this size, or has no such lookup). */
  readonly failures: Record<string, string>;
  /** The clock the figures were timed with. */
  readonly clock: 'real' | 'cpu';
}
