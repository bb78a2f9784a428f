/**
 * Reads the peers of a GramJS `StoreSession` folder.
 *
 * Layout source: GramJS (npm `telegram`) 2.26.22, `sessions/StoreSession.js` and `sessions/Memory.js`, with the
 * dependencies it writes through: store2 2.14.4 (`store.area(name, storage)`, values JSON-encoded) and
 * node-localstorage 2.2.1 (`LocalStorage.js`: one file per key in the folder `./<sessionName>`, the file name being
 * `encodeURIComponent(key)` with `!'()*` also escaped, the content the value). Keys are `<sessionName><divider>` +
 * `dcId` / `port` / `serverAddress` / `authKey` (divider ':' by default), and one key per peer, `<prefix><marked
 * id>`, whose value is the row `[id, hash, username, phone, name, date]`: `id` `utils.getPeerId()` as a decimal
 * string, `hash` the access hash as a decimal string (big-integer's toJSON; "0" for basic chats), `username`
 * lower-cased, `phone`, `name` `utils.getDisplayName()` ("First Last" or the title), `date` ms as a string.
 * `getInputPeer()` refuses min entities, so none are stored. The auth key file is never opened here.
 *
 * Ids are read as marked ids (channel = -1000000000000 - id). GramJS writes channels as the string "-100" + id,
 * which is the same number for every channel id of at least 10 digits, i.e. every channel Telegram hands out.
 */
import { opendir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PeerInput } from '../storage/types.js';
import { ImportError, ImportRowError } from './errors.js';
import { readIdAndHash } from './peer-row.js';
import { ImportReport, withSummary } from './row-report.js';
import { fileError, notAFile, statSource } from './source-file.js';
import type { ImportOptions, ImportResult } from './types.js';
import { nonEmpty, toText } from './values.js';

/** Keys every StoreSession writes on connect; what is in front of them is the session's key prefix. */
const SESSION_KEYS = ['dcId', 'authKey', 'serverAddress', 'port'] as const;
const PEER_KEY = /^-?\d{1,20}$/;
const ROW_RULE = 'expected the JSON array [id, hash, username, phone, name, date] GramJS StoreSession writes';

const NOTES = [
  "GramJS keeps one display name per peer: a user's whole name was put in firstName (lastName left unknown), a chat's or channel's in title",
  'GramJS keeps only the main username, lower-cased, and no bot or supergroup flag (types are inferred from ids)',
  'GramJS never stores min peers: every record carries a full access hash',
];

/** The decoded key of a file name, or undefined for a name node-localstorage cannot have written. */
function decodeKey(fileName: string): string | undefined {
  try {
    return decodeURIComponent(fileName);
  } catch (e) {
    if (e instanceof URIError) return undefined;
    throw e;
  }
}

/**
 * The key prefixes (`<sessionName><divider>`) of the StoreSessions in a folder; empty if it holds none.
 * Throws IMPORT_FILE_NOT_FOUND / IMPORT_UNREADABLE.
 */
export async function findStoreSessionPrefixes(path: string): Promise<string[]> {
  const prefixes = new Set<string>();
  try {
    for await (const entry of await opendir(path)) {
      if (!entry.isFile()) continue;
      const key = decodeKey(entry.name);
      if (key === undefined) continue;
      for (const suffix of SESSION_KEYS) {
        if (key.length > suffix.length && key.endsWith(suffix)) prefixes.add(key.slice(0, -suffix.length));
      }
    }
  } catch (e) {
    throw fileError(path, e);
  }
  return [...prefixes];
}

/** Opens a GramJS StoreSession folder; throws {@link ImportError} if it is not one. */
export async function readGramjsStoreSession(
  path: string,
  options: Pick<ImportOptions, 'onSkip'> = {},
): Promise<ImportResult> {
  const info = await statSource(path);
  if (!info.isDirectory()) {
    const what = info.isFile() ? 'a file' : notAFile(info);
    throw new ImportError('IMPORT_SCHEMA_MISMATCH', path, `is ${what}; a GramJS StoreSession is a folder`);
  }
  const prefixes = await findStoreSessionPrefixes(path);
  if (prefixes.length === 0) {
    throw new ImportError(
      'IMPORT_SCHEMA_MISMATCH',
      path,
      `is not a GramJS StoreSession folder: no file named <session>%3A${SESSION_KEYS.join(' / ')}`,
    );
  }
  const notes = [...NOTES];
  const report = new ImportReport(path, notes, options.onSkip);
  return { format: 'gramjs-store', records: withSummary(report, rows(path, prefixes, report)), notes };
}

async function* rows(
  path: string,
  prefixes: readonly string[],
  report: ImportReport,
): AsyncGenerator<PeerInput> {
  let dir: Awaited<ReturnType<typeof opendir>>;
  try {
    dir = await opendir(path);
  } catch (e) {
    throw fileError(path, e);
  }
  for await (const entry of dir) {
    if (!entry.isFile()) continue;
    const key = decodeKey(entry.name);
    const prefix = key === undefined ? undefined : prefixes.find((p) => key.startsWith(p));
    if (key === undefined || prefix === undefined || !PEER_KEY.test(key.slice(prefix.length))) continue;
    const location = `file ${entry.name}`;
    const row = await readRow(join(path, entry.name), location, report);
    if (row === undefined) continue;
    const record = toRecord(row, location, report);
    if (record !== undefined) yield record;
  }
}

async function readRow(file: string, location: string, report: ImportReport): Promise<unknown[] | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw fileError(file, e);
  }
  let row: unknown;
  try {
    row = JSON.parse(text);
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    row = text;
  }
  if (!Array.isArray(row) || row.length < 2) {
    report.skip(new ImportRowError(report.path, location, undefined, text, ROW_RULE));
    return undefined;
  }
  return row;
}

function toRecord(row: unknown[], location: string, report: ImportReport): PeerInput | undefined {
  const [id, hash, username, phone, name] = row;
  const key = readIdAndHash(report, location, { field: 'id', value: id }, { field: 'hash', value: hash });
  if (key === undefined) return undefined;
  const displayName = nonEmpty(toText(name));
  const main = nonEmpty(toText(username));
  const record: PeerInput = {
    id: key.id,
    accessHash: key.accessHash,
    min: false,
    usernames: main === undefined ? undefined : [main],
    ...(key.kind === 'user'
      ? { firstName: displayName, phone: nonEmpty(toText(phone)) }
      : { title: displayName }),
  };
  return report.accept(record, location);
}
