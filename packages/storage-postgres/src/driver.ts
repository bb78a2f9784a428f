/**
 * The PostgreSQL driver: a `pg` pool (its own or the caller's), 64-bit integers read as bigint, schema-qualified
 * table names, retries of transient failures and transactions. Repositories talk to it through {@link Sql}.
 */

import { StorageError } from '@pm/core';
import { backoffDelay, retry } from '@pm/core/internal';
import pg from 'pg';
import { POSTGRES_DEFAULTS } from './defaults.js';
import { classify, messageOf, PostgresStorageError, RetryTransaction, redact } from './errors.js';

/** Options of `openPostgresStorage()`: a `url` or a `pool`, and the rest optional. */
export interface PostgresStorageOptions {
  /** `postgres://user:password@host:port/database`; the provider opens (and closes) its own pool. */
  url?: string;
  /** An existing pool instead of `url`; the provider neither configures nor closes it. */
  pool?: pg.Pool;
  /** Schema holding the tables, created if missing; lets several stores share one database. @default 'public' */
  schema?: string;
  /**
   * Create pm's tables (and the schema) when the schema has none. false: a schema without pm's tables is a
   * StorageError with the code `STORAGE_NOT_FOUND` naming the server and schema, and nothing is created; for
   * readers, to which an empty store made at a mistyped database or schema would be a silent wrong answer. A store
   * of an older version is still migrated. @default true
   */
  create?: boolean;
  /** Size of the pool opened for `url`. @default 10 */
  poolSize?: number;
  /** Wait for a connection (for `url`), ms. @default 5000 */
  connectTimeoutMs?: number;
  /**
   * Longest wait for the answer to one statement, ms (pg's `query_timeout`, for `pool` too): a server that stops
   * answering without closing the connection (a network partition, a stalled proxy) fails the statement as
   * `unavailable` (then retried on a new connection) instead of leaving it pending for ever. Also bounds a wait
   * for another process's lock. 0: no limit. @default 60000
   */
  queryTimeoutMs?: number;
  /**
   * How often the connection that listens for other processes' changes (`attachPeerCache`, `onPeerChanges`) is
   * asked `SELECT 1`, ms: an answer missing for `queryTimeoutMs` means it is dead without having closed (a
   * partition), so it is dropped and opened again, and the listeners hear that anything may have changed, instead
   * of missing every change from then on. 0: never. @default 30000
   */
  listenPingMs?: number;
  /** Tries of one operation or transaction before a transient failure is reported; 1 disables retries. @default 5 */
  retryAttempts?: number;
  /** First wait between tries, doubled each time with jitter, ms. @default 50 */
  retryBaseDelayMs?: number;
  /** Longest wait between tries, ms. @default 1000 */
  retryMaxDelayMs?: number;
  /** Clock for the times the store writes by itself (a username taken over by SQL), ms. @default Date.now */
  now?: () => number;
  /** `application_name` of the connections (for `url`). @default 'pm' */
  applicationName?: string;
}

const INT8_OID = 20;
const parseInt8 = (value: string): bigint => BigInt(value);
/** Per-query type parsers: int8 as bigint, everything else as pg does by default. Never touches pg's globals. */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? parseInt8
      : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/** Something that runs one statement: the pool, or the client of a transaction. */
export interface Sql {
  query<R extends object = Record<string, unknown>>(
    text: string,
    values?: readonly unknown[],
  ): Promise<pg.QueryResult<R>>;
}

/** A driver error seen by {@link PostgresDriver}'s retry loop, as opposed to an error of the caller's own code. */
class DriverFailure extends Error {
  constructor(readonly original: unknown) {
    super(messageOf(original));
  }
}

const ignore = (): void => {};

const SCHEMA_RULE = /^[a-z_][a-z0-9_]{0,62}$/;

export class PostgresDriver {
  readonly schema: string;
  /** `host:port/database`, for messages. */
  readonly target: string;
  readonly now: () => number;
  /** See {@link PostgresStorageOptions.listenPingMs}. */
  readonly listenPingMs: number;
  readonly #pool: pg.Pool;
  readonly #ownPool: boolean;
  readonly #password: string | undefined;
  readonly #attempts: number;
  readonly #baseDelay: number;
  readonly #maxDelay: number;
  readonly #queryTimeout: number;
  #closed = false;
  #activeTx = 0;
  #txIdle: { promise: Promise<void>; resolve: () => void } | null = null;

  constructor(options: PostgresStorageOptions) {
    this.schema = options.schema ?? POSTGRES_DEFAULTS.schema;
    if (!SCHEMA_RULE.test(this.schema)) {
      throw new StorageError(
        'STORAGE_FAILED',
        `Invalid PostgreSQL schema ${JSON.stringify(this.schema)}: use 1 to 63 lower-case letters, digits and underscores, not starting with a digit`,
      );
    }
    this.now = options.now ?? Date.now;
    this.#attempts = Math.max(1, Math.trunc(options.retryAttempts ?? POSTGRES_DEFAULTS.retryAttempts));
    this.#baseDelay = Math.max(0, options.retryBaseDelayMs ?? POSTGRES_DEFAULTS.retryBaseDelayMs);
    this.#maxDelay = Math.max(this.#baseDelay, options.retryMaxDelayMs ?? POSTGRES_DEFAULTS.retryMaxDelayMs);
    this.#queryTimeout = Math.max(0, Math.trunc(options.queryTimeoutMs ?? POSTGRES_DEFAULTS.queryTimeoutMs));
    this.listenPingMs = Math.max(0, Math.trunc(options.listenPingMs ?? POSTGRES_DEFAULTS.listenPingMs));
    if (options.pool !== undefined) {
      this.#pool = options.pool;
      this.#ownPool = false;
      const o = options.pool.options;
      // A pool made from a connection string has its server (and password) there, not in host/port/password.
      const cs = parseUrl(o.connectionString);
      this.target = `${o.host ?? (cs?.hostname || 'localhost')}:${o.port ?? (cs?.port || 5432)}/${o.database ?? cs?.pathname.slice(1) ?? ''}`;
      this.#password =
        typeof o.password === 'string'
          ? o.password
          : cs?.password
            ? decodeURIComponent(cs.password)
            : undefined;
    } else if (typeof options.url === 'string') {
      let url: URL;
      try {
        url = new URL(options.url);
        if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw new Error(url.protocol);
      } catch {
        throw new StorageError(
          'STORAGE_FAILED',
          `Invalid PostgreSQL URL ${JSON.stringify(redactUrl(options.url))}: expected postgres://user:password@host:port/database`,
        );
      }
      this.#password = url.password ? decodeURIComponent(url.password) : undefined;
      this.target = `${url.hostname || 'localhost'}:${url.port || '5432'}${url.pathname || '/'}`;
      this.#pool = new pg.Pool({
        connectionString: options.url,
        max: Math.max(1, options.poolSize ?? POSTGRES_DEFAULTS.poolSize),
        connectionTimeoutMillis: options.connectTimeoutMs ?? POSTGRES_DEFAULTS.connectTimeoutMs,
        application_name: options.applicationName ?? POSTGRES_DEFAULTS.applicationName,
      });
      this.#ownPool = true;
    } else {
      throw new StorageError('STORAGE_FAILED', 'openPostgresStorage needs `url` or `pool`');
    }
    // An idle connection that dies emits 'error' on the pool; the next query reports it, so nothing to do here.
    this.#pool.on('error', () => {});
  }

  /** The pool, for the LISTEN connection. */
  get pool(): pg.Pool {
    return this.#pool;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** A table of this store's schema, quoted. */
  table(name: string): string {
    return `"${this.schema}"."${name}"`;
  }

  assertOpen(): void {
    if (this.#closed)
      throw new StorageError(
        'STORAGE_CLOSED',
        `The PostgreSQL storage ${this.target} (schema ${this.schema}) was closed`,
      );
  }

  /** One statement outside a transaction, retried on transient failures. */
  async read<R extends object>(text: string, values: readonly unknown[] = []): Promise<pg.QueryResult<R>> {
    this.assertOpen();
    return this.#retry(() => this.#run<R>(this.#pool, text, values));
  }

  /** Like {@link read}, but waits while a transaction of this provider is open (as the interface promises). */
  async write<R extends object>(text: string, values: readonly unknown[] = []): Promise<pg.QueryResult<R>> {
    this.assertOpen();
    while (this.#txIdle !== null) await this.#txIdle.promise;
    return this.read<R>(text, values);
  }

  /**
   * Runs `body` in one transaction on one connection. On a transient failure (connection lost, serialization
   * failure, deadlock, {@link RetryTransaction}) the whole transaction runs again, up to the retry limit; an error
   * of `body`'s own rolls back and is rethrown as is.
   */
  async transaction<T>(body: (sql: Sql) => Promise<T>): Promise<T> {
    this.assertOpen();
    this.#activeTx++;
    if (this.#txIdle === null) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      this.#txIdle = { promise, resolve };
    }
    try {
      return await this.#retry(async () => {
        const client = await this.#connect();
        let broken = false;
        const sql: Sql = { query: (text, values) => this.#run(client, text, values ?? []) };
        try {
          await sql.query('BEGIN');
          const result = await body(sql);
          await sql.query('COMMIT');
          return result;
        } catch (error) {
          if (error instanceof DriverFailure && classify(error.original).failure === 'unavailable')
            broken = true;
          else await client.query('ROLLBACK').catch(() => (broken = true));
          throw error;
        } finally {
          client.off('error', ignore);
          client.release(broken ? true : undefined);
        }
      });
    } finally {
      if (--this.#activeTx === 0) {
        this.#txIdle?.resolve();
        this.#txIdle = null;
      }
    }
  }

  /** See {@link PostgresStorageOptions.queryTimeoutMs}; 0: no limit. */
  get queryTimeoutMs(): number {
    return this.#queryTimeout;
  }

  /** Closes the pool if the provider opened it. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownPool) await this.#pool.end().catch(() => {});
  }

  /** A StorageError for a failure, naming the server and never the password. */
  failure(error: unknown, attempts: number): PostgresStorageError {
    const { failure, code } = classify(error);
    const what =
      failure === 'unavailable'
        ? 'is unavailable'
        : code === '55P03'
          ? 'could not get a lock another connection holds'
          : failure === 'conflict'
            ? 'kept aborting colliding transactions'
            : 'refused the request';
    const tries = attempts > 1 ? ` (after ${attempts} tries)` : '';
    const message = redact(
      `PostgreSQL at ${this.target} ${what}${tries}: ${messageOf(error)}${code ? ` [${code}]` : ''}`,
      this.#password,
    );
    return new PostgresStorageError(failure, this.target, code, attempts, message, { cause: error });
  }

  async #connect(): Promise<pg.PoolClient> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw new DriverFailure(error);
    }
    // A checked-out connection that dies emits 'error' with no pool listener attached: without this it would
    // crash the process. The failing query reports the same failure.
    client.on('error', ignore);
    return client;
  }

  async #run<R extends object>(
    on: pg.Pool | pg.PoolClient,
    text: string,
    values: readonly unknown[],
  ): Promise<pg.QueryResult<R>> {
    try {
      return await on.query<R>({
        text,
        values: values as unknown[],
        types: TYPES,
        ...(this.#queryTimeout > 0 ? { query_timeout: this.#queryTimeout } : {}),
      });
    } catch (error) {
      throw new DriverFailure(error);
    }
  }

  /**
   * Runs `op` again after a transient failure (connection lost, serialization failure, deadlock), up to
   * `retryAttempts` times; a failure that is the request's fault is reported at once.
   */
  #retry<T>(op: () => Promise<T>): Promise<T> {
    return retry(op, {
      retryAfter: (thrown, attempt) => {
        if (!(thrown instanceof DriverFailure) && !(thrown instanceof RetryTransaction)) throw thrown;
        const error = thrown instanceof DriverFailure ? thrown.original : thrown;
        if (this.#closed) {
          throw new StorageError('STORAGE_CLOSED', `The PostgreSQL storage ${this.target} was closed`, {
            cause: error,
          });
        }
        if (classify(error).failure === 'rejected' || attempt >= this.#attempts)
          throw this.failure(error, attempt);
        return backoffDelay(attempt, {
          backoffInitialMs: this.#baseDelay,
          backoffFactor: 2,
          backoffMaxMs: this.#maxDelay,
          backoffJitter: 0.5,
        });
      },
    });
  }
}

function parseUrl(text: string | undefined): URL | undefined {
  if (text === undefined) return undefined;
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** A URL with its password replaced, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*):[^@]*@/i, '$1:***@');
}
