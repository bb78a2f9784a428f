/** Every default of @pm/storage-postgres, in one place; option JSDoc `@default` tags repeat these values. */
export const POSTGRES_DEFAULTS = {
  /** Schema holding the tables. */
  schema: 'public',
  /** Connections of the pool the provider creates (not used with an external pool). */
  poolSize: 10,
  /** How long to wait for a connection before the attempt counts as failed, ms. */
  connectTimeoutMs: 5000,
  /** Longest wait for the answer to one statement (pg's `query_timeout`), ms; 0: none. */
  queryTimeoutMs: 60_000,
  /** How often the LISTEN connection is asked SELECT 1 to find it dead without having closed, ms; 0: never. */
  listenPingMs: 30_000,
  /** Tries of one operation or transaction before a transient failure is reported (1 = no retry). */
  retryAttempts: 5,
  /** Wait before the first retry; doubled each time, with jitter, ms. */
  retryBaseDelayMs: 50,
  /** Longest wait between two tries, ms. */
  retryMaxDelayMs: 1000,
  /** Wait before re-opening the LISTEN connection after it dropped; doubled each failed try, ms. */
  listenReconnectInitialMs: 50,
  /** Longest wait before re-opening the LISTEN connection after it dropped, ms. */
  listenReconnectMaxMs: 2000,
  /** `application_name` of the connections, shown in pg_stat_activity. */
  applicationName: 'pm',
} as const;
