/**
 * The tables of a pm store, described once for both SQL providers: SQLite (`storage/sqlite/`) and PostgreSQL
 * (`@pm/storage-postgres`). Each provider creates a new store from this description (`ddl.ts`); an existing store
 * reaches the same schema through its migrations, and the tests compare the live schemas with the description and
 * with each other, table by table.
 *
 * Columns have a logical type, mapped per dialect in `ddl.ts`. Where the two databases keep a table differently on
 * purpose, the column or index says so (`only`) and why; everything else is the same in both.
 */

export type Dialect = 'sqlite' | 'postgres';

/**
 * - `int64`: a signed 64-bit integer (ids, access hashes, counts; a bigint in records) — INTEGER / bigint
 * - `time`: milliseconds since the epoch (a JS number in records) — INTEGER / bigint
 * - `int32`: a small integer — INTEGER / integer
 * - `seq`: an ascending row number the database assigns — INTEGER PRIMARY KEY (the rowid) / bigserial
 * - `text`: TEXT / text
 * - `flag`: a boolean — INTEGER 0 or 1 / boolean
 * - `json`: a JSON value — TEXT / jsonb
 * - `names`: a list of usernames — TEXT, space-separated / text[]
 */
export type ColumnType = 'int64' | 'time' | 'int32' | 'seq' | 'text' | 'flag' | 'json' | 'names';

export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
  /** @default false */
  readonly notNull?: boolean;
  /** Only in this database, for the stated reason. */
  readonly only?: Dialect;
  readonly why?: string;
  /** PostgreSQL collation (`C`: byte order, as SQLite compares). */
  readonly collate?: string;
  /** A default value, as SQL, per dialect. */
  readonly default?: { readonly [D in Dialect]?: string };
}

export interface IndexSpec {
  readonly name: string;
  /** The indexed columns or expressions, as SQL. */
  readonly on: string;
  readonly unique?: boolean;
  /** A partial index's condition, as SQL. */
  readonly where?: string;
  readonly only?: Dialect;
  readonly why?: string;
}

export interface TableSpec {
  readonly name: string;
  readonly columns: readonly ColumnSpec[];
  /** Column names of the primary key, per dialect when they differ. */
  readonly primaryKey: readonly string[] | { readonly [D in Dialect]: readonly string[] };
  /** SQLite: a table clustered on its primary key (no rowid). */
  readonly withoutRowid?: boolean;
  readonly indexes?: readonly IndexSpec[];
  /** Table constraints of one dialect, as SQL (e.g. a deferred unique constraint). */
  readonly constraints?: readonly { readonly name: string; readonly sql: string; readonly only: Dialect }[];
}

const SQLITE_INGEST =
  'SQLite ingest at a million peers: new rows land on the last page of `peers` (keyed by `seq`), and a peer’s first username is indexed in its own row, so a new peer touches fewer B-trees (migration 4)';

export const STORE_TABLES: readonly TableSpec[] = [
  {
    name: 'peers',
    columns: [
      { name: 'seq', type: 'seq', only: 'sqlite', why: SQLITE_INGEST },
      { name: 'id', type: 'int64', notNull: true },
      { name: 'type', type: 'text', notNull: true },
      { name: 'access_hash', type: 'int64' },
      { name: 'min', type: 'flag', notNull: true },
      { name: 'usernames', type: 'names', notNull: true, default: { postgres: "'{}'" } },
      { name: 'username', type: 'text', only: 'sqlite', why: SQLITE_INGEST },
      { name: 'first_name', type: 'text' },
      { name: 'last_name', type: 'text' },
      { name: 'title', type: 'text' },
      { name: 'phone', type: 'text' },
      { name: 'lang_code', type: 'text' },
      { name: 'lang_code_seen_at', type: 'time' },
      { name: 'premium', type: 'flag' },
      { name: 'verified', type: 'flag' },
      { name: 'deleted', type: 'flag', notNull: true, default: { postgres: 'false' } },
      { name: 'photo_id', type: 'int64' },
      { name: 'first_seen', type: 'time', notNull: true },
      { name: 'last_seen', type: 'time', notNull: true },
      { name: 'last_updated', type: 'time', notNull: true },
    ],
    primaryKey: { sqlite: ['seq'], postgres: ['id'] },
    indexes: [
      { name: 'peers_id', on: 'id', unique: true, only: 'sqlite', why: SQLITE_INGEST },
      {
        name: 'peers_username',
        on: 'username',
        where: 'username IS NOT NULL',
        only: 'sqlite',
        why: SQLITE_INGEST,
      },
      {
        name: 'peers_phone',
        on: 'phone',
        where: 'phone IS NOT NULL',
        only: 'sqlite',
        why: 'one SQLite writer hands a phone over in the peer cache; PostgreSQL has a deferred unique constraint',
      },
    ],
    constraints: [
      {
        name: 'peers_phone_unique',
        // Checked at commit, so a transaction may hand a phone over in two steps; a concurrent hand-over fails one
        // commit, which is retried.
        sql: 'UNIQUE (phone) DEFERRABLE INITIALLY DEFERRED',
        only: 'postgres',
      },
    ],
  },
  {
    name: 'usernames',
    columns: [
      {
        name: 'username_lower',
        type: 'text',
        notNull: true,
        only: 'sqlite',
        why: 'SQLite keeps only a peer’s further usernames here (its first is `peers.username`), keyed by the name',
      },
      {
        name: 'username',
        type: 'text',
        notNull: true,
        only: 'postgres',
        why: 'PostgreSQL keeps every active name here, unique on lower(username), claimed and moved by SQL between processes',
      },
      { name: 'peer_id', type: 'int64', notNull: true },
      { name: 'position', type: 'int32', notNull: true, only: 'postgres', why: 'as `username`' },
      {
        name: 'displaced_peer_id',
        type: 'int64',
        only: 'postgres',
        why: 'the owner a claim took the name from, read back by the claiming statement',
      },
    ],
    primaryKey: { sqlite: ['username_lower'], postgres: [] },
    withoutRowid: true,
    indexes: [
      { name: 'usernames_peer', on: 'peer_id' },
      {
        name: 'usernames_lower',
        on: 'lower(username)',
        unique: true,
        only: 'postgres',
        why: 'as `username`',
      },
    ],
  },
  {
    name: 'history',
    columns: [
      { name: 'seq', type: 'seq' },
      { name: 'peer_id', type: 'int64', notNull: true },
      { name: 'field', type: 'text', notNull: true },
      { name: 'before', type: 'json' },
      { name: 'after', type: 'json' },
      { name: 'at', type: 'int64', notNull: true },
    ],
    primaryKey: ['seq'],
    indexes: [{ name: 'history_peer', on: 'peer_id, seq' }],
  },
  {
    name: 'kv',
    columns: [
      { name: 'key', type: 'text', notNull: true, collate: 'C' },
      { name: 'value', type: 'text', notNull: true },
    ],
    primaryKey: ['key'],
    withoutRowid: true,
  },
  {
    name: 'dialogs',
    columns: [
      { name: 'user_id', type: 'int64', notNull: true },
      { name: 'started_at', type: 'int64' },
      { name: 'via', type: 'text' },
      { name: 'payload', type: 'text' },
      { name: 'blocked', type: 'flag', notNull: true },
      { name: 'blocked_since', type: 'int64' },
      { name: 'last_message_at', type: 'int64' },
      { name: 'start_message_id', type: 'int64' },
    ],
    primaryKey: ['user_id'],
  },
  {
    name: 'broadcast_jobs',
    columns: [
      { name: 'id', type: 'text', notNull: true },
      { name: 'text', type: 'text', notNull: true },
      { name: 'options', type: 'text', notNull: true },
      { name: 'status', type: 'text', notNull: true },
      { name: 'created_at', type: 'int64', notNull: true },
      { name: 'updated_at', type: 'int64', notNull: true },
    ],
    primaryKey: ['id'],
    withoutRowid: true,
  },
  {
    name: 'broadcast_recipients',
    columns: [
      { name: 'job_id', type: 'text', notNull: true },
      { name: 'user_id', type: 'int64', notNull: true },
      { name: 'status', type: 'text', notNull: true },
      { name: 'message_id', type: 'int64' },
      { name: 'reason', type: 'text' },
      { name: 'updated_at', type: 'int64' },
      { name: 'claimed_by', type: 'text' },
      { name: 'claimed_at', type: 'int64' },
    ],
    primaryKey: ['job_id', 'user_id'],
    withoutRowid: true,
    indexes: [{ name: 'broadcast_recipients_pending', on: 'job_id, user_id', where: "status = 'pending'" }],
  },
];

/** The table's columns in one dialect. */
export function columnsIn(table: TableSpec, dialect: Dialect): readonly ColumnSpec[] {
  return table.columns.filter((c) => c.only === undefined || c.only === dialect);
}

export function primaryKeyIn(table: TableSpec, dialect: Dialect): readonly string[] {
  const key = table.primaryKey;
  return Array.isArray(key) ? key : (key as { readonly [D in Dialect]: readonly string[] })[dialect];
}

export function indexesIn(table: TableSpec, dialect: Dialect): readonly IndexSpec[] {
  return (table.indexes ?? []).filter((i) => i.only === undefined || i.only === dialect);
}

export function tableSpec(name: string): TableSpec {
  const table = STORE_TABLES.find((t) => t.name === name);
  if (table === undefined) throw new Error(`no table ${name} in STORE_TABLES`);
  return table;
}
