/**
 * Schema migrations of stores made by earlier versions: every pending one is applied, in order, inside one IMMEDIATE
 * transaction (driver.ts), so a store is at the version it had or at the latest, never in between; `schema_version`
 * holds the version reached. A new store is created at the latest version straight from the table description
 * (`storage/schema/tables.ts`); the schema tests check that a migrated store ends with the same tables. A released
 * migration never changes: a schema change is a new one, and the description changes with it. Ids, access hashes and photo ids are INTEGER columns: SQLite stores any signed 64-bit value exactly,
 * and the driver reads them with `safeIntegers(true)`, so they come back as `bigint` and never as a JS number.
 * Usernames are stored space-separated in `peers.usernames` (for a one-row `get`).
 *
 * Since version 4 the layout is built for ingest at a million peers, where each new peer costs the B-tree pages
 * it dirties: `peers` is keyed by an append-order `seq` (new rows land on the last page instead of a random one)
 * with a unique index on the marked `id`; a peer's first username, lower-cased, is a column of its row
 * (`peers.username`, indexed), and only further names (collectible ones) and names of peers without a row go to
 * the `usernames` side table. A new peer with one username therefore touches the small `peers_id` and
 * `peers_username` indexes and the end of `peers`, instead of three trees at random positions.
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
  {
    // Fewer B-trees per new peer (see the module comment). Rows are copied in id order, indexes built once after.
    version: 4,
    sql: `
      CREATE TABLE peers_v4 (
        seq               INTEGER PRIMARY KEY,
        id                INTEGER NOT NULL,
        type              TEXT    NOT NULL,
        access_hash       INTEGER,
        min               INTEGER NOT NULL,
        usernames         TEXT    NOT NULL,
        username          TEXT,
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
      INSERT INTO peers_v4 (id, type, access_hash, min, usernames, username, first_name, last_name, title, phone,
          lang_code, lang_code_seen_at, premium, verified, deleted, photo_id, first_seen, last_seen, last_updated)
        SELECT p.id, p.type, p.access_hash, p.min, p.usernames,
          (SELECT u.username_lower FROM usernames u WHERE u.peer_id = p.id AND u.position = 0 LIMIT 1),
          p.first_name, p.last_name, p.title, p.phone, p.lang_code, p.lang_code_seen_at, p.premium, p.verified,
          p.deleted, p.photo_id, p.first_seen, p.last_seen, p.last_updated
        FROM peers p ORDER BY p.id;
      CREATE UNIQUE INDEX peers_id ON peers_v4 (id);

      CREATE TABLE usernames_v4 (
        username_lower TEXT    PRIMARY KEY,
        peer_id        INTEGER NOT NULL
      ) WITHOUT ROWID;
      INSERT INTO usernames_v4 (username_lower, peer_id)
        SELECT u.username_lower, u.peer_id FROM usernames u
        WHERE NOT EXISTS (SELECT 1 FROM peers_v4 p WHERE p.id = u.peer_id AND p.username = u.username_lower)
        ORDER BY u.username_lower;

      DROP TABLE usernames;
      DROP TABLE peers;
      ALTER TABLE peers_v4 RENAME TO peers;
      ALTER TABLE usernames_v4 RENAME TO usernames;
      CREATE INDEX peers_username ON peers (username) WHERE username IS NOT NULL;
      CREATE INDEX peers_phone ON peers (phone) WHERE phone IS NOT NULL;
      CREATE INDEX usernames_peer ON usernames (peer_id);
    `,
  },
  {
    // One schema for two databases: the history table and its values as PostgreSQL has them (`history`, `before`
    // and `after` as JSON, null as NULL; usernames were space-separated, other values plain text), and the index of
    // pending broadcast recipients SQLite lacked.
    version: 5,
    sql: `
      ALTER TABLE peer_history RENAME TO history;
      ALTER TABLE history RENAME COLUMN old_value TO before;
      ALTER TABLE history RENAME COLUMN new_value TO after;
      UPDATE history SET
        before = CASE
          WHEN before IS NULL THEN NULL
          WHEN field = 'usernames' THEN
            CASE WHEN before = '' THEN '[]' ELSE '["' || replace(before, ' ', '","') || '"]' END
          ELSE json_quote(before) END,
        after = CASE
          WHEN after IS NULL THEN NULL
          WHEN field = 'usernames' THEN
            CASE WHEN after = '' THEN '[]' ELSE '["' || replace(after, ' ', '","') || '"]' END
          ELSE json_quote(after) END;
      DROP INDEX peer_history_peer;
      CREATE INDEX history_peer ON history (peer_id, seq);
      CREATE INDEX broadcast_recipients_pending ON broadcast_recipients (job_id, user_id) WHERE status = 'pending';
    `,
  },
];

export const LATEST_SCHEMA_VERSION: number = MIGRATIONS.at(-1)?.version ?? 0;
