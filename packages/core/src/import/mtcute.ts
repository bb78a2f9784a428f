/**
 * Reads the peers of an mtcute SQLite storage (`SqliteStorage` of `@mtcute/node`, also `@mtcute/bun` / `@mtcute/deno`).
 *
 * Schema source: mtcute 0.31.0 (github.com/mtcute/mtcute at 42538c2), `packages/core/src/storage/sqlite/repository/peers.ts`
 * (migrations 1 and 2 of repository 'peers') and `packages/core/src/storage/sqlite/driver.ts` (the
 * `mtcute_migrations(repo, version)` table). `peers(id integer primary key, hash text not null, usernames json not
 * null, updated integer not null, phone text, complete blob, isMin integer not null default false)`; migration 2
 * added `isMin`, so a file without it predates mtcute's min handling and its rows count as full. The rows come from
 * `PeersService.store()` (`packages/core/src/highlevel/storage/service/peers.ts`): `id` is the marked id (channels
 * -1000000000000-id), `hash` is `longToFastString()` of the access hash, i.e. "low|high" as two signed 32-bit
 * decimal halves ('' for basic chats), `usernames` a JSON array of lower-cased usernames, `phone` digits.
 *
 * Not read: `complete`, the TL-serialized user/chat. It is written with mtcute's own TL layer (223 at that
 * version), newer than the layer 198 GramJS 2.26.22 parses, so its `user`/`channel` constructors do not decode
 * there; and `telegram` is reserved to `gram/`. So names, bot/supergroup flags and premium are left unknown, and
 * the type is inferred from the id.
 */
import type { PeerInput } from '../storage/types.js';
import { readIdAndHash } from './peer-row.js';
import { ImportReport, withSummary } from './row-report.js';
import { iterateSqlite, readSqliteTables, requireTables } from './sqlite-file.js';
import type { ImportOptions, ImportResult } from './types.js';
import { nonEmpty, toInt64, toText } from './values.js';

/** Tables and columns the reader needs; also what detection looks for. */
export const MTCUTE_TABLES = {
  peers: ['id', 'hash', 'usernames', 'phone'],
} as const;

const INT32_MIN = -(2n ** 31n);
const UINT32_MAX = 2n ** 32n - 1n;
const FAST_STRING = /^(-?\d{1,10})\|(-?\d{1,10})$/;

const NOTES = [
  "mtcute keeps names only inside the TL-serialized 'complete' column, which is not decoded: names are left unknown",
  'mtcute keeps usernames lower-cased and no bot or supergroup flag outside that column (types are inferred from ids)',
];

/** Opens an mtcute database; throws {@link ImportError} if it is not one. */
export async function readMtcuteStorage(
  path: string,
  options: Pick<ImportOptions, 'onSkip'> = {},
): Promise<ImportResult> {
  const tables = await readSqliteTables(path);
  requireTables(path, tables, MTCUTE_TABLES, 'mtcute storage');
  const hasMin = tables.get('peers')?.has('isMin') === true;
  const notes = [...NOTES];
  if (!hasMin) notes.push('this mtcute database predates its isMin column: no record is marked min');
  const report = new ImportReport(path, notes, options.onSkip);
  return { format: 'mtcute', records: withSummary(report, rows(path, hasMin, report)), notes };
}

/**
 * mtcute's "low|high" access hash (each half a signed or unsigned 32-bit decimal) as a signed 64-bit bigint; a
 * plain decimal is accepted too. '' and NULL are "no hash"; undefined: not a 64-bit integer.
 */
export function parseMtcuteHash(value: unknown): bigint | null | undefined {
  if (value === null || value === '') return null;
  if (typeof value !== 'string') return toInt64(value);
  const m = FAST_STRING.exec(value);
  if (m === null) return toInt64(value);
  const low = BigInt(m[1]!);
  const high = BigInt(m[2]!);
  if (low < INT32_MIN || low > UINT32_MAX || high < INT32_MIN || high > UINT32_MAX) return undefined;
  return BigInt.asIntN(64, (BigInt.asUintN(32, high) << 32n) | BigInt.asUintN(32, low));
}

async function* rows(path: string, hasMin: boolean, report: ImportReport): AsyncGenerator<PeerInput> {
  const sql = `SELECT id, hash, usernames, phone, ${hasMin ? 'isMin' : '0'} AS is_min FROM peers ORDER BY id`;
  for await (const row of iterateSqlite(path, sql)) {
    const location = `peers row id=${String(row.id)}`;
    const key = readIdAndHash(
      report,
      location,
      { field: 'id', value: row.id },
      { field: 'hash', value: row.hash },
      parseMtcuteHash,
    );
    if (key === undefined) continue;
    const usernames = parseUsernames(toText(row.usernames));
    if (usernames === undefined) report.drop('usernames');
    const record: PeerInput = {
      id: key.id,
      accessHash: key.accessHash,
      min: key.kind !== 'chat' && row.is_min !== 0n && row.is_min !== null,
      usernames,
      phone: key.kind === 'user' ? nonEmpty(toText(row.phone)) : undefined,
    };
    const accepted = report.accept(record, location);
    if (accepted !== undefined) yield accepted;
  }
}

/** The JSON array of usernames; undefined if the cell is no such array. */
function parseUsernames(json: string | null | undefined): string[] | undefined {
  if (json === null || json === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (e) {
    if (e instanceof SyntaxError) return undefined;
    throw e;
  }
  return Array.isArray(parsed) && parsed.every((n) => typeof n === 'string') ? parsed : undefined;
}
