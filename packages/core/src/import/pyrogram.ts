/**
 * Reads the peers of a Pyrogram `*.session` file, including the two forks that keep several usernames per peer.
 *
 * Schema sources:
 * - Pyrogram 2.0.106 (github.com/pyrogram/pyrogram at 30de1e2), `pyrogram/storage/sqlite_storage.py`, schema version 3:
 *   `sessions(dc_id, api_id, test_mode, auth_key, date, user_id, is_bot)`, `peers(id integer primary key,
 *   access_hash integer, type integer not null, username text, phone_number text, last_update_on integer)`,
 *   `version(number)`. `type` is declared INTEGER but holds the strings 'user', 'bot', 'group', 'channel',
 *   'supergroup'. Rows come from `Client.fetch_peers` (`pyrogram/client.py`): `id` is marked (`-chat_id` for
 *   groups, `utils.get_channel_id()` = -1000000000000-id for channels), `access_hash` 0 for groups, `username`
 *   the first username lower-cased; min peers are skipped, never stored.
 * - Pyrofork 2.3.69 (github.com/Mayuri-Chan/pyrofork at 6bbff46), same file, schema version 4: the same `peers` plus
 *   `update_state` and `usernames(id text primary key, peer_id integer not null, last_update_on integer)`, where
 *   `id` is a lower-cased username (written only for peers with several usernames).
 * - Kurigram (github.com/kurigram-org/kurigram at 584b0c3), same file, schema version 7: `peers` without `username`, and
 *   `usernames(id integer references peers(id), username text)` with one row per username; peer types also
 *   'forum', 'direct' and 'community'.
 *
 * Lossy on Pyrogram's side: no names at all, usernames lower-cased.
 */
import type { PeerInput, PeerType } from '../storage/types.js';
import { readIdAndHash } from './peer-row.js';
import { ImportReport, withSummary } from './row-report.js';
import { iterateSqlite, readSqliteTables, requireTables, type SqliteTables } from './sqlite-file.js';
import type { ImportOptions, ImportResult } from './types.js';
import { nonEmpty, toText } from './values.js';

/** Tables and columns the reader needs; also what detection looks for. */
export const PYROGRAM_TABLES = {
  peers: ['id', 'access_hash', 'type', 'phone_number'],
} as const;

/** Pyrogram's peer types; the forks' channel flavours map to pm's nearest type. */
const TYPES: Readonly<Record<string, PeerType | undefined>> = {
  user: 'user',
  bot: 'bot',
  group: 'chat',
  channel: 'channel',
  supergroup: 'supergroup',
  forum: 'supergroup',
  // Kurigram's channel direct-message chats and communities: channels of no pm type; inferred from the id.
  direct: undefined,
  community: undefined,
};

const NOTES = [
  'Pyrogram keeps no names: firstName, lastName and title are left unknown',
  'Pyrogram keeps usernames lower-cased',
  'Pyrogram never stores min peers: every record carries a full access hash',
];

/** Opens a Pyrogram session file; throws {@link ImportError} if it is not one. */
export async function readPyrogramSession(
  path: string,
  options: Pick<ImportOptions, 'onSkip'> = {},
): Promise<ImportResult> {
  const tables = await readSqliteTables(path);
  requireTables(path, tables, PYROGRAM_TABLES, 'Pyrogram session');
  const notes = [...NOTES];
  const report = new ImportReport(path, notes, options.onSkip);
  return { format: 'pyrogram', records: withSummary(report, rows(path, tables, report)), notes };
}

/** The query for this file's layout: the main username column and/or one of the forks' `usernames` tables. */
function peersQuery(tables: SqliteTables): string {
  const peers = tables.get('peers');
  const usernames = tables.get('usernames');
  const main = peers?.has('username') ? 'p.username' : 'NULL';
  let more = "'[]'";
  if (usernames?.has('peer_id') && usernames.has('id')) {
    // Pyrofork: usernames.id is the username.
    more =
      '(SELECT json_group_array(u.id) FROM (SELECT id FROM usernames WHERE peer_id = p.id ORDER BY rowid) u)';
  } else if (usernames?.has('username') && usernames.has('id')) {
    // Kurigram: usernames.id is the peer.
    more =
      '(SELECT json_group_array(u.username) FROM ' +
      '(SELECT username FROM usernames WHERE id = p.id AND username IS NOT NULL ORDER BY rowid) u)';
  }
  return (
    `SELECT p.id, p.access_hash, p.type, p.phone_number, ${main} AS username, ${more} AS more_usernames ` +
    'FROM peers p ORDER BY p.id'
  );
}

async function* rows(path: string, tables: SqliteTables, report: ImportReport): AsyncGenerator<PeerInput> {
  const unknownTypes = new Map<string, number>();
  try {
    for await (const row of iterateSqlite(path, peersQuery(tables))) {
      const location = `peers row id=${String(row.id)}`;
      const key = readIdAndHash(
        report,
        location,
        { field: 'id', value: row.id },
        { field: 'access_hash', value: row.access_hash },
      );
      if (key === undefined) continue;
      const rawType = toText(row.type) ?? '';
      let type: PeerType | undefined;
      if (Object.hasOwn(TYPES, rawType)) type = TYPES[rawType];
      else unknownTypes.set(rawType, (unknownTypes.get(rawType) ?? 0) + 1);
      const record: PeerInput = {
        id: key.id,
        type,
        accessHash: key.accessHash,
        min: false,
        usernames: usernamesOf(toText(row.username), toText(row.more_usernames)),
        phone: key.kind === 'user' ? nonEmpty(toText(row.phone_number)) : undefined,
      };
      const accepted = report.accept(record, location);
      if (accepted !== undefined) yield accepted;
    }
  } finally {
    for (const [type, count] of unknownTypes) {
      report.notes.push(
        `${count} peers of unknown Pyrogram type ${JSON.stringify(type)}: type inferred from the id`,
      );
    }
  }
}

/** The main username first, then the others, without repeats; undefined when the file has none for the peer. */
function usernamesOf(
  main: string | null | undefined,
  moreJson: string | null | undefined,
): string[] | undefined {
  const names: string[] = [];
  const m = nonEmpty(main);
  if (m !== undefined) names.push(m);
  if (moreJson) {
    const more: unknown = JSON.parse(moreJson);
    if (Array.isArray(more)) {
      for (const name of more)
        if (typeof name === 'string' && name !== '' && !names.includes(name)) names.push(name);
    }
  }
  return names.length > 0 ? names : undefined;
}
