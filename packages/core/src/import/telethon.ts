/**
 * Reads the peers of a Telethon `*.session` file.
 *
 * Schema source: Telethon 1.37.0 (github.com/LonamiWebs/Telethon, branch v1 at 85c4a91), `telethon/sessions/sqlite.py`,
 * `SQLiteSession` at database version 7. Tables: `version(version)`, `sessions(dc_id, server_address, port,
 * auth_key, takeout_id)`, `entities(id integer primary key, hash integer not null, username text, phone integer,
 * name text, date integer)`, `sent_files(...)`, `update_state(...)`. The rows come from `_entity_to_row` in
 * `telethon/sessions/memory.py`: `id` is `utils.get_peer_id()` (a marked id), `hash` the access hash (0 for basic
 * chats), `username` the main username lower-cased, `phone` digits (stored in an INTEGER column, so it comes back
 * as a number), `name` `utils.get_display_name()`, i.e. "First Last" for a user and the title otherwise. Entities
 * that are `min` or have no hash never reach the table (`get_input_peer` refuses them), so no record is min.
 *
 * Lossy on Telethon's side: one display name (a user's whole name goes to `firstName`, `lastName` stays unknown,
 * as splitting "Anna Maria Lee" cannot be undone), one lower-cased username, no bot/supergroup flag (the type is
 * left to be inferred from the id).
 */
import type { PeerInput } from '../storage/types.js';
import { readIdAndHash } from './peer-row.js';
import { ImportReport, withSummary } from './row-report.js';
import { iterateSqlite, readSqliteTables, requireTables } from './sqlite-file.js';
import type { ImportOptions, ImportResult } from './types.js';
import { nonEmpty, toText } from './values.js';

/** Tables and columns the reader needs; also what detection looks for. */
export const TELETHON_TABLES = {
  entities: ['id', 'hash', 'username', 'phone', 'name'],
} as const;

const NOTES = [
  "Telethon keeps one display name per peer: a user's whole name was put in firstName (lastName left unknown), a chat's or channel's in title",
  'Telethon keeps only the main username, lower-cased, and no bot or supergroup flag (types are inferred from ids)',
  'Telethon never stores min peers: every record carries a full access hash',
];

/** Opens a Telethon session file; throws {@link ImportError} if it is not one. */
export async function readTelethonSession(
  path: string,
  options: Pick<ImportOptions, 'onSkip'> = {},
): Promise<ImportResult> {
  const tables = await readSqliteTables(path);
  requireTables(path, tables, TELETHON_TABLES, 'Telethon session');
  const notes = [...NOTES];
  const report = new ImportReport(path, notes, options.onSkip);
  return { format: 'telethon', records: withSummary(report, rows(path, report)), notes };
}

async function* rows(path: string, report: ImportReport): AsyncGenerator<PeerInput> {
  const sql = 'SELECT id, hash, username, phone, name FROM entities ORDER BY id';
  for await (const row of iterateSqlite(path, sql)) {
    const location = `entities row id=${String(row.id)}`;
    const key = readIdAndHash(
      report,
      location,
      { field: 'id', value: row.id },
      { field: 'hash', value: row.hash },
    );
    if (key === undefined) continue;
    const name = nonEmpty(toText(row.name));
    const username = nonEmpty(toText(row.username));
    const record: PeerInput =
      key.kind === 'user'
        ? {
            id: key.id,
            accessHash: key.accessHash,
            min: false,
            firstName: name,
            usernames: username === undefined ? undefined : [username],
            phone: nonEmpty(toText(row.phone)),
          }
        : {
            id: key.id,
            accessHash: key.accessHash,
            min: false,
            title: name,
            usernames: username === undefined ? undefined : [username],
          };
    const accepted = report.accept(record, location);
    if (accepted !== undefined) yield accepted;
  }
}
