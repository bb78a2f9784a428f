/** How a repository reaches the database: outside a transaction (pool, retried) or inside one (its connection). */
import type { PostgresDriver, Sql } from './driver.js';
import type { WriteContext } from './write-context.js';

/** A transaction's connection and what it has done to peer rows so far. */
export interface Scope {
  readonly sql: Sql;
  readonly ctx: WriteContext;
}

export interface Access {
  readonly driver: PostgresDriver;
  /** Reads: the pool outside a transaction, the transaction's connection inside. */
  readonly read: Sql;
  /** One-statement writes: outside a transaction they wait until the provider's open transactions end. */
  readonly write: Sql;
  /** Runs `body` in the current transaction, or in a new one (retried as a whole) outside. */
  atomic<T>(body: (scope: Scope) => Promise<T>): Promise<T>;
}
