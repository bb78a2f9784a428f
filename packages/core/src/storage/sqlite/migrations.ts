/**
 * Schema migrations, applied in order inside one IMMEDIATE transaction each; `schema_version` holds the version
 * reached. Ids, access hashes and photo ids are INTEGER columns: SQLite stores any signed 64-bit value exactly,
 * and the driver reads them with `safeIntegers(true)`, so they come back as `bigint` and never as a JS number.
 * Usernames are stored space-separated in `peers.usernames` (for a one-row `get`) and, one row each, in the
 * `usernames` index keyed by the lower-cased name.
 */
export interface Migration {
  readonly version: number;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE peers (
        id                INTEGER PRIMARY KEY,
        type              TEXT    NOT NULL,
        access_hash       INTEGER,
        min               INTEGER NOT NULL,
        usernames         TEXT    NOT NULL,
        first_name        TEXT,
        last_name         TEXT,
        title             TEXT,
        phone             TEXT,
        lang_code         TEXT,
        lang_code_seen_at INTEGER,
        premium           INTEGER,
        verified          INTEGER,
        deleted           INTEGER NOT NULL,
        photo_id          INTEGER,
        first_seen        INTEGER NOT NULL,
        last_seen         INTEGER NOT NULL,
        last_updated      INTEGER NOT NULL
      );
      CREATE INDEX peers_phone ON peers (phone) WHERE phone IS NOT NULL;

      CREATE TABLE usernames (
        username_lower TEXT    PRIMARY KEY,
        peer_id        INTEGER NOT NULL,
        username       TEXT    NOT NULL,
        position       INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX usernames_peer ON usernames (peer_id);

      CREATE TABLE peer_history (
        seq       INTEGER PRIMARY KEY,
        peer_id   INTEGER NOT NULL,
        field     TEXT    NOT NULL,
        old_value TEXT,
        new_value TEXT,
        at        INTEGER NOT NULL
      );
      CREATE INDEX peer_history_peer ON peer_history (peer_id, seq);

      CREATE TABLE kv (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE dialogs (
        user_id         INTEGER PRIMARY KEY,
        started_at      INTEGER,
        via             TEXT,
        payload         TEXT,
        blocked         INTEGER NOT NULL,
        blocked_since   INTEGER,
        last_message_at INTEGER
      );
    `,
  },
  {
    version: 2,
    sql: `
      CREATE TABLE broadcast_jobs (
        id         TEXT    PRIMARY KEY,
        text       TEXT    NOT NULL,
        options    TEXT    NOT NULL,
        status     TEXT    NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE broadcast_recipients (
        job_id     TEXT    NOT NULL,
        user_id    INTEGER NOT NULL,
        status     TEXT    NOT NULL,
        message_id INTEGER,
        reason     TEXT,
        updated_at INTEGER,
        claimed_by TEXT,
        claimed_at INTEGER,
        PRIMARY KEY (job_id, user_id)
      ) WITHOUT ROWID;
    `,
  },
  {
    // The message that started a dialog, so a replay of it after a crash is the same start.
    version: 3,
    sql: `
      ALTER TABLE dialogs ADD COLUMN start_message_id INTEGER;
    `,
  },
];

export const LATEST_SCHEMA_VERSION: number = MIGRATIONS.at(-1)?.version ?? 0;
