/**
 * The PostgreSQL storage provider: the repositories over one pool, transactions, the change feed.
 */
import type { StorageProvider, StorageRepositories } from '@pm/core';
import type { Access, Scope } from './access.js';
import { PostgresBroadcastRepository } from './broadcasts.js';
import { ChangeFeed, type PeerChangeListener } from './change-feed.js';
import { PostgresDialogRepository } from './dialogs.js';
import { PostgresDriver, type PostgresStorageOptions, type Sql } from './driver.js';
import { PostgresHistoryRepository } from './history.js';
import { assertStoreExists, migrate } from './migrations.js';
import { PeerStatements } from './peer-writes.js';
import { PostgresPeerRepository } from './peers.js';
import { PostgresKeyValueRepository } from './state.js';
import { PostgresUsernameRepository } from './usernames.js';
import { WriteContext } from './write-context.js';

/** What a PeerCache offers to be kept coherent (`PeerCache` from @pm/core has it). */
export interface InvalidatablePeerCache {
  invalidate(ids: Iterable<bigint>): void;
  invalidateUsernames(lowerNames: Iterable<string>): void;
  invalidateAll(): void;
}

export class PostgresStorageProvider implements StorageProvider {
  readonly name = 'postgres';
  readonly persistent = true;
  readonly shared = true;
  readonly driver: PostgresDriver;
  readonly peers: PostgresPeerRepository;
  readonly usernames: PostgresUsernameRepository;
  readonly history: PostgresHistoryRepository;
  readonly state: PostgresKeyValueRepository;
  readonly dialogs: PostgresDialogRepository;
  readonly broadcasts: PostgresBroadcastRepository;
  readonly #statements: PeerStatements;
  readonly #feed: ChangeFeed;

  constructor(options: PostgresStorageOptions) {
    this.driver = new PostgresDriver(options);
    this.#statements = new PeerStatements(this.driver);
    this.#feed = new ChangeFeed(this.driver);
    const driver = this.driver;
    const outside: Access = {
      driver,
      read: { query: (text, values) => driver.read(text, values) },
      write: { query: (text, values) => driver.write(text, values) },
      atomic: (body) => this.#atomic(body),
    };
    this.peers = new PostgresPeerRepository(outside, this.#statements);
    this.usernames = new PostgresUsernameRepository(outside, this.#statements);
    this.history = new PostgresHistoryRepository(outside, false);
    this.state = new PostgresKeyValueRepository(outside);
    this.dialogs = new PostgresDialogRepository(outside);
    this.broadcasts = new PostgresBroadcastRepository(outside);
  }

  /** The schema the tables live in. */
  get schema(): string {
    return this.driver.schema;
  }

  /**
   * Runs `fn` in one transaction. If the connection drops or the transaction collides with another process's
   * (serialization failure, deadlock), the whole of it runs again (up to `retryAttempts`), so `fn` must only
   * write through `tx`.
   */
  async transaction<T>(fn: (tx: StorageRepositories) => Promise<T>): Promise<T> {
    return this.#atomic((scope) => fn(this.#repositories(scope)));
  }

  /**
   * Keeps `cache` coherent with other processes: peers and usernames they change are dropped from its memory, as
   * are rows this process wrote whose stored result differs (another process's full record won). Resolves once
   * notifications flow; call the returned function to stop.
   */
  attachPeerCache(cache: InvalidatablePeerCache): Promise<() => void> {
    return this.onPeerChanges((changes) => {
      if (changes === null) cache.invalidateAll();
      else {
        cache.invalidate(changes.ids);
        cache.invalidateUsernames(changes.usernames);
      }
    });
  }

  /** Tells `listener` about peer changes made by other processes (null: anything may have changed). */
  onPeerChanges(listener: PeerChangeListener): Promise<() => void> {
    this.driver.assertOpen();
    return this.#feed.subscribe(listener);
  }

  async close(): Promise<void> {
    await this.#feed.close();
    await this.driver.close();
  }

  #repositories(scope: Scope): StorageRepositories {
    const access: Access = {
      driver: this.driver,
      read: scope.sql,
      write: scope.sql,
      atomic: (body) => body(scope),
    };
    return {
      peers: new PostgresPeerRepository(access, this.#statements),
      usernames: new PostgresUsernameRepository(access, this.#statements),
      history: new PostgresHistoryRepository(access, true),
      state: new PostgresKeyValueRepository(access),
      dialogs: new PostgresDialogRepository(access),
    };
  }

  async #atomic<T>(body: (scope: Scope) => Promise<T>): Promise<T> {
    let ctx = new WriteContext();
    const result = await this.driver.transaction(async (sql: Sql) => {
      ctx = new WriteContext(); // a retried transaction starts over
      const value = await body({ sql, ctx });
      await ctx.finish(sql, this.driver.table('history'));
      await this.#feed.publish(sql, ctx.remote);
      return value;
    });
    this.#feed.emitLocal(ctx.local);
    return result;
  }
}

/** Opens a PostgreSQL store: connects, creates the schema and tables or migrates them, and returns the provider. */
export async function openPostgresStorage(options: PostgresStorageOptions): Promise<PostgresStorageProvider> {
  const provider = new PostgresStorageProvider(options);
  try {
    if (options.create === false) await assertStoreExists(provider.driver);
    await migrate(provider.driver);
  } catch (error) {
    await provider.close();
    throw error;
  }
  return provider;
}
