/**
 * Builds each foreign source in a temp folder with the schema its library creates, filled with the same peers.
 * The CREATE statements are those of the library versions named in each builder (restated, not imported).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { sampleRecord } from '../../src/conformance/fixtures.js';
import type { PeerRecord } from '../../src/storage/types.js';

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

/** A whole record as a pm export holds it, by id: a username, a name and a language derived from the id. */
export const exportedRecord = (id: bigint, over: Partial<PeerRecord> = {}): PeerRecord =>
  sampleRecord(id, {
    accessHash: -id,
    usernames: [`user_${id}`],
    firstName: `U${id}`,
    langCode: 'en',
    langCodeSeenAt: 2, // with its last sighting (lastSeen 2)
    verified: false,
    ...over,
  });

/** One peer as the source library knew it (a full constructor unless `min`). */
export interface SourcePeer {
  readonly kind: 'user' | 'chat' | 'channel';
  /** Marked id. */
  readonly id: bigint;
  /** 0n for basic chats. */
  readonly hash: bigint;
  readonly bot?: boolean;
  readonly megagroup?: boolean;
  readonly firstName?: string;
  readonly lastName?: string;
  readonly title?: string;
  /** As Telegram spells them, main first. */
  readonly usernames?: readonly string[];
  readonly phone?: string;
  /** Only mtcute stores min peers. */
  readonly min?: boolean;
}

export const ALICE: SourcePeer = {
  kind: 'user',
  id: 2n ** 53n + 1n,
  hash: INT64_MIN,
  firstName: 'Alice',
  lastName: 'Brown',
  usernames: ['Alice_B', 'alice_collectible'],
  phone: '15550001',
};
export const BOB: SourcePeer = { kind: 'user', id: 777000n, hash: INT64_MAX, firstName: 'Bob' };
export const CAROL: SourcePeer = {
  kind: 'user',
  id: 123456789n,
  hash: 42n,
  firstName: 'Carol',
  lastName: 'Ng',
  usernames: ['carol'],
  min: true,
};
export const HELPER_BOT: SourcePeer = {
  kind: 'user',
  id: 93372553n,
  hash: -1n,
  bot: true,
  firstName: 'Helper',
  usernames: ['helper_bot'],
};
export const TEAM_CHAT: SourcePeer = { kind: 'chat', id: -4567890123n, hash: 0n, title: 'Team chat' };
export const NEWS: SourcePeer = {
  kind: 'channel',
  id: -1001234567890n,
  hash: 5555555555555555555n,
  title: 'News, "quoted"',
  usernames: ['news_channel'],
};
export const GROUP: SourcePeer = {
  kind: 'channel',
  id: -1001987654321n,
  hash: -123n,
  megagroup: true,
  title: 'Group 👋',
  min: true,
};

export const PEERS: readonly SourcePeer[] = [ALICE, BOB, CAROL, HELPER_BOT, TEAM_CHAT, NEWS, GROUP];

/** Ascending by marked id, the order the SQLite readers yield. */
export function byId<T extends { id: bigint }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function displayName(p: SourcePeer): string {
  return p.kind === 'user' ? [p.firstName, p.lastName].filter(Boolean).join(' ') : (p.title ?? '');
}

export function bareId(p: SourcePeer): bigint {
  return p.kind === 'user' ? p.id : p.kind === 'chat' ? -p.id : -p.id - 1_000_000_000_000n;
}

/** A temp folder removed by `cleanup()`. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'pm-import-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function withDb(path: string, fn: (db: Database.Database) => void): string {
  const db = new Database(path);
  // Fixtures need no durability; without this every insert waits for an fsync.
  db.pragma('synchronous = OFF');
  try {
    fn(db);
  } finally {
    db.close();
  }
  return path;
}

// ---------------------------------------------------------------------------------------------------------------
// Telethon 1.37.0 (LonamiWebs/Telethon v1 at 85c4a91), telethon/sessions/sqlite.py, SQLiteSession, version 7
// ---------------------------------------------------------------------------------------------------------------

export const TELETHON_DDL = `
  create table version (version integer primary key);
  create table sessions (
    dc_id integer primary key, server_address text, port integer, auth_key blob, takeout_id integer
  );
  create table entities (
    id integer primary key, hash integer not null, username text, phone integer, name text, date integer
  );
  create table sent_files (
    md5_digest blob, file_size integer, type integer, id integer, hash integer,
    primary key(md5_digest, file_size, type)
  );
  create table update_state (id integer primary key, pts integer, qts integer, date integer, seq integer);
`;

/** Telethon skips min entities (`get_input_peer` refuses them); `extra` rows are inserted as given. */
export function buildTelethon(
  dir: string,
  extra: readonly (readonly [unknown, unknown, unknown, unknown, unknown])[] = [],
): string {
  return withDb(join(dir, 'bot.session'), (db) => {
    db.exec(TELETHON_DDL);
    db.prepare('insert into version values (?)').run(7);
    db.prepare('insert into sessions values (?, ?, ?, ?, ?)').run(
      2,
      '149.154.167.51',
      443,
      Buffer.alloc(256),
      null,
    );
    const insert = db.prepare('insert into entities values (?, ?, ?, ?, ?, ?)');
    for (const p of PEERS.filter((p) => !p.min)) {
      // _entity_to_row: marked id, hash (0 for chats), main username lower-cased, phone, display name.
      insert.run(
        p.id,
        p.hash,
        p.usernames?.[0]?.toLowerCase() ?? null,
        p.phone ?? null,
        displayName(p) || null,
        1700000000,
      );
    }
    for (const row of extra) insert.run(...row, 1700000000);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// pyrogram/storage/sqlite_storage.py of Pyrogram 2.0.106 (pyrogram/pyrogram at 30de1e2, schema 3),
// Pyrofork 2.3.69 (Mayuri-Chan/pyrofork at 6bbff46, schema 4) and Kurigram (kurigram-org/kurigram at 584b0c3, schema 7)
// ---------------------------------------------------------------------------------------------------------------

const PYROGRAM_SESSIONS = `
  CREATE TABLE sessions (
    dc_id INTEGER PRIMARY KEY, api_id INTEGER, test_mode INTEGER, auth_key BLOB, date INTEGER NOT NULL,
    user_id INTEGER, is_bot INTEGER
  );`;
const PYROGRAM_PEERS = `
  CREATE TABLE peers (
    id INTEGER PRIMARY KEY, access_hash INTEGER, type INTEGER NOT NULL, username TEXT, phone_number TEXT,
    last_update_on INTEGER NOT NULL DEFAULT (CAST(STRFTIME('%s', 'now') AS INTEGER))
  );`;
const PYROGRAM_TAIL = `
  CREATE TABLE version (number INTEGER PRIMARY KEY);
  CREATE INDEX idx_peers_id ON peers (id);
  CREATE INDEX idx_peers_username ON peers (username);
  CREATE INDEX idx_peers_phone_number ON peers (phone_number);
  CREATE TRIGGER trg_peers_last_update_on AFTER UPDATE ON peers
  BEGIN
    UPDATE peers SET last_update_on = CAST(STRFTIME('%s', 'now') AS INTEGER) WHERE id = NEW.id;
  END;`;
const UPDATE_STATE = `
  CREATE TABLE update_state (id INTEGER PRIMARY KEY, pts INTEGER, qts INTEGER, date INTEGER, seq INTEGER);`;

export const PYROGRAM_DDL = PYROGRAM_SESSIONS + PYROGRAM_PEERS + PYROGRAM_TAIL;
export const PYROFORK_DDL = `${PYROGRAM_SESSIONS}${PYROGRAM_PEERS}${UPDATE_STATE}${PYROGRAM_TAIL}
  CREATE TABLE IF NOT EXISTS usernames (
    id TEXT PRIMARY KEY, peer_id INTEGER NOT NULL,
    last_update_on INTEGER NOT NULL DEFAULT (CAST(STRFTIME('%s', 'now') AS INTEGER))
  );
  CREATE TRIGGER IF NOT EXISTS trg_usernames_last_update_on AFTER UPDATE ON usernames
  BEGIN
    UPDATE usernames SET last_update_on = CAST(STRFTIME('%s', 'now') AS INTEGER) WHERE id = NEW.id;
  END;`;
export const KURIGRAM_DDL = `
  CREATE TABLE sessions (
    dc_id INTEGER PRIMARY KEY, server_address TEXT, port INTEGER, api_id INTEGER, test_mode INTEGER,
    auth_key BLOB, date INTEGER NOT NULL, user_id INTEGER, is_bot INTEGER
  );
  CREATE TABLE peers (
    id INTEGER PRIMARY KEY, access_hash INTEGER, type INTEGER NOT NULL, phone_number TEXT,
    last_update_on INTEGER NOT NULL DEFAULT (CAST(STRFTIME('%s', 'now') AS INTEGER))
  );
  CREATE TABLE usernames (id INTEGER, username TEXT, FOREIGN KEY (id) REFERENCES peers(id));
  ${UPDATE_STATE}
  CREATE TABLE version (number INTEGER PRIMARY KEY);
  CREATE INDEX idx_peers_id ON peers (id);
  CREATE INDEX idx_peers_phone_number ON peers (phone_number);
  CREATE INDEX idx_usernames_id ON usernames (id);
  CREATE INDEX idx_usernames_username ON usernames (username);
  CREATE TRIGGER trg_peers_last_update_on AFTER UPDATE ON peers
  BEGIN
    UPDATE peers SET last_update_on = CAST(STRFTIME('%s', 'now') AS INTEGER) WHERE id = NEW.id;
  END;`;

export type PyrogramFlavour = 'pyrogram' | 'pyrofork' | 'kurigram';

/** Pyrogram's peer type string (Client.fetch_peers); Kurigram calls forum supergroups 'forum'. */
export function pyrogramType(p: SourcePeer, flavour: PyrogramFlavour): string {
  if (p.kind === 'user') return p.bot ? 'bot' : 'user';
  if (p.kind === 'chat') return 'group';
  if (!p.megagroup) return 'channel';
  return flavour === 'kurigram' ? 'forum' : 'supergroup';
}

/** Client.fetch_peers skips min peers; `extra` rows (id, access_hash, type) are inserted as given. */
export function buildPyrogram(
  dir: string,
  flavour: PyrogramFlavour,
  extra: readonly (readonly [unknown, unknown, unknown])[] = [],
): string {
  return withDb(join(dir, `${flavour}.session`), (db) => {
    db.exec(flavour === 'pyrogram' ? PYROGRAM_DDL : flavour === 'pyrofork' ? PYROFORK_DDL : KURIGRAM_DDL);
    db.prepare('INSERT INTO version VALUES (?)').run(
      flavour === 'pyrogram' ? 3 : flavour === 'pyrofork' ? 4 : 7,
    );
    for (const p of PEERS.filter((p) => !p.min)) {
      const names = (p.usernames ?? []).map((n) => n.toLowerCase());
      const hash = p.kind === 'chat' ? 0n : p.hash;
      const type = pyrogramType(p, flavour);
      const phone = p.phone ?? null;
      if (flavour === 'kurigram') {
        db.prepare('REPLACE INTO peers (id, access_hash, type, phone_number) VALUES (?, ?, ?, ?)').run(
          p.id,
          hash,
          type,
          phone,
        );
        for (const n of names) db.prepare('REPLACE INTO usernames (id, username) VALUES (?, ?)').run(p.id, n);
      } else {
        db.prepare(
          'REPLACE INTO peers (id, access_hash, type, username, phone_number) VALUES (?, ?, ?, ?, ?)',
        ).run(p.id, hash, type, names[0] ?? null, phone);
        // Pyrofork writes the usernames table only for peers with several usernames.
        if (flavour === 'pyrofork' && names.length > 1) {
          for (const n of names)
            db.prepare('REPLACE INTO usernames (peer_id, id) VALUES (?, ?)').run(p.id, n);
        }
      }
    }
    for (const [id, hash, type] of extra) {
      db.prepare('INSERT INTO peers (id, access_hash, type) VALUES (?, ?, ?)').run(id, hash, type);
    }
  });
}

// ---------------------------------------------------------------------------------------------------------------
// mtcute 0.31.0 (mtcute/mtcute at 42538c2): packages/core/src/storage/sqlite/{driver.ts, repository/*.ts}
// ---------------------------------------------------------------------------------------------------------------

export const MTCUTE_DDL_V1 = `
  create table if not exists mtcute_migrations (repo text not null primary key, version integer not null);
  create table key_value (key text primary key, value blob not null);
  create table if not exists auth_keys (dc integer primary key, key blob not null);
  create table if not exists temp_auth_keys (
    dc integer not null, idx integer not null, key blob not null, expires integer not null, primary key (dc, idx)
  );
  create table peers (
    id integer primary key, hash text not null, usernames json not null, updated integer not null,
    phone text, complete blob
  );
  create index idx_peers_usernames on peers (usernames);
  create index idx_peers_phone on peers (phone);
  create table if not exists message_refs (peer_id integer not null, chat_id integer not null, msg_id integer not null);
`;
/** Migration 2 of repository 'peers'. */
export const MTCUTE_DDL_V2 = 'alter table peers add column isMin integer not null default false;';

/** longToFastString(): `${low}|${high}` of a Long, each a signed 32-bit half. */
export function fastString(hash: bigint): string {
  return `${BigInt.asIntN(32, hash)}|${BigInt.asIntN(32, hash >> 32n)}`;
}

/**
 * PeersService.store(): users and channels with their fast-string hash and isMin, chats with '' and isMin 0;
 * `extra` rows (id, hash) are inserted as given. `peersVersion` 1 builds a file from before the isMin column.
 */
export function buildMtcute(
  dir: string,
  peersVersion: 1 | 2 = 2,
  extra: readonly (readonly [unknown, unknown])[] = [],
): string {
  return withDb(join(dir, 'mtcute.session'), (db) => {
    db.pragma('journal_mode = WAL');
    db.exec(MTCUTE_DDL_V1);
    if (peersVersion === 2) db.exec(MTCUTE_DDL_V2);
    const migrations = db.prepare('insert or replace into mtcute_migrations (repo, version) values (?, ?)');
    for (const repo of ['kv', 'auth_keys', 'ref_messages']) migrations.run(repo, 1);
    migrations.run('peers', peersVersion);
    for (const p of PEERS) {
      const hash = p.kind === 'chat' ? '' : fastString(p.hash);
      const usernames = JSON.stringify((p.usernames ?? []).map((n) => n.toLowerCase()));
      const complete = Buffer.from([0x15, 0xc4, 0xb5, 0x1c, 1, 2, 3]);
      const values = [p.id, hash, usernames, 1700000000000, p.phone ?? null, complete];
      if (peersVersion === 2) {
        db.prepare(
          'insert or replace into peers (id, hash, isMin, usernames, updated, phone, complete) values (?, ?, ?, ?, ?, ?, ?)',
        ).run(values[0], values[1], p.min ? 1 : 0, ...values.slice(2));
      } else {
        db.prepare(
          'insert or replace into peers (id, hash, usernames, updated, phone, complete) values (?, ?, ?, ?, ?, ?)',
        ).run(...values);
      }
    }
    for (const [id, hash] of extra) {
      db.prepare("insert into peers (id, hash, usernames, updated) values (?, ?, '[]', 0)").run(id, hash);
    }
  });
}

/** A folder holding one plain file, for "not a StoreSession" cases. */
export function plainFolder(dir: string): string {
  const path = join(dir, 'plain');
  mkdirSync(path);
  writeFileSync(join(path, 'readme.txt'), 'hello');
  return path;
}
