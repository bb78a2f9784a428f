/**
 * The fast path of reading pm's JSON lines: a line exactly as `recordToJson` writes it (the fields in order, no
 * white space, strings without escapes, times as integers of at most 15 digits) is matched by one regular expression
 * and read straight into a record, without `JSON.parse` building an object to check and copy (2-3 times the cost,
 * most of reading an export). Anything else (escapes, another key order, spaces, a fraction, a bad value) gives
 * undefined and the line takes the general path (`JSON.parse` + `recordFromJson`), which accepts it or names what
 * is wrong. So this accepts only lines the general path accepts, with the same record: the pattern is a subset of
 * JSON's grammar (strings of characters JSON allows unescaped, integers as JSON writes them), and the tests compare
 * the two paths on arbitrary and mangled lines.
 */
import { nameHash } from '../storage/packed-peers.js';
import { CHANNEL_ID_OFFSET } from '../storage/peer-ids.js';
import type { PeerRecord, PeerType } from '../storage/types.js';
import { isUsername, LANG_CODE, MAX_TEXT } from '../storage/validate.js';
import { timesConflict } from './export-schema.js';
import { type RowWriter, safeIdOf, typeCode } from './packed-rows.js';
import { toInt64 } from './values.js';

/**
 * A JSON string without escapes: every character but `"`, `\` and U+0000..U+001F. So a text holding U+0000 (raw, or
 * escaped as JSON writes it) never takes a fast path: the record path refuses it (storage/validate.ts, `NUL_RULE`).
 */
const CHARS = '[^"\\\\\\x00-\\x1f]*';
const STRING = `"(${CHARS})"`;
const INT64 = '"(-?\\d{1,20})"';
const FLAG = '(true|false)';
/** A time (ms since 1970, never negative), exact in a double, so `Number()` gives what `JSON.parse` gives. */
const INTEGER = '(0|[1-9]\\d{0,14})';
const orNull = (pattern: string): string => `(?:${pattern}|null)`;

const LINE = new RegExp(
  [
    `^\\{"id":${INT64}`,
    '"type":"(user|bot|chat|channel|supergroup)"',
    `"accessHash":${orNull(INT64)}`,
    `"min":${FLAG}`,
    `"usernames":\\[((?:"${CHARS}"(?:,"${CHARS}")*)?)\\]`,
    `"firstName":${orNull(STRING)}`,
    `"lastName":${orNull(STRING)}`,
    `"title":${orNull(STRING)}`,
    `"phone":${orNull(STRING)}`,
    `"langCode":${orNull(STRING)}`,
    `"langCodeSeenAt":${orNull(INTEGER)}`,
    '"premium":(true|false|null)',
    '"verified":(true|false|null)',
    `"deleted":${FLAG}`,
    `"photoId":${orNull(INT64)}`,
    `"firstSeen":${INTEGER}`,
    `"lastSeen":${INTEGER}`,
    `"lastUpdated":${INTEGER}\\}$`,
  ].join(','),
);

const flag = (text: string): boolean | null => (text === 'null' ? null : text === 'true');

/** The record of a line in `recordToJson`'s own form, or undefined: read it with `JSON.parse` instead. */
export function recordFromCanonicalLine(text: string): PeerRecord | undefined {
  const m = LINE.exec(text);
  if (m === null) return undefined;
  const id = toInt64(m[1]);
  if (id === undefined || id === 0n || id === -CHANNEL_ID_OFFSET) return undefined;
  const accessHash = m[3] === undefined ? null : toInt64(m[3]);
  const photoId = m[15] === undefined ? null : toInt64(m[15]);
  if (accessHash === undefined || photoId === undefined) return undefined;
  const names = m[5] as string;
  return {
    id,
    type: m[2] as PeerType,
    accessHash,
    min: m[4] === 'true',
    // Names hold no `"`, so `","` only ever separates two of them.
    usernames: names === '' ? [] : names.slice(1, -1).split('","'),
    firstName: m[6] ?? null,
    lastName: m[7] ?? null,
    title: m[8] ?? null,
    phone: m[9] ?? null,
    langCode: m[10] ?? null,
    langCodeSeenAt: m[11] === undefined ? null : Number(m[11]),
    premium: flag(m[12] as string),
    verified: flag(m[13] as string),
    deleted: m[14] === 'true',
    photoId,
    firstSeen: Number(m[16]),
    lastSeen: Number(m[17]),
    lastUpdated: Number(m[18]),
  };
}

/**
 * A 64-bit integer the fast packer takes as text: canonical (no leading zero, no `-0`) and within the signed range,
 * which for 19 digits is a comparison of equally long digit strings.
 */
function isPlainInt64(text: string): boolean {
  const negative = text.charCodeAt(0) === 0x2d;
  const digits = negative ? text.length - 1 : text.length;
  if (text.charCodeAt(text.length - digits) === 0x30) return text === '0';
  if (digits < 19) return true;
  if (digits > 19) return false;
  return (negative ? text.slice(1) : text) <= (negative ? '9223372036854775808' : '9223372036854775807');
}

/** A text the peer cache takes as it is (names and titles: at most MAX_TEXT characters). */
const fits = (text: string | undefined): boolean => text === undefined || text.length <= MAX_TEXT;

/**
 * The value of an integer as `INTEGER` matches it (at most 15 digits, so exact in a double), digit by digit: the
 * same number as `Number(text)` for a fraction of its cost.
 */
function integerOf(text: string): number {
  let value = 0;
  for (let i = 0; i < text.length; i++) value = value * 10 + (text.charCodeAt(i) - 0x30);
  return value;
}

/** The peer kind of a canonical id text (non-zero): what its type must agree with. */
function kindAgrees(id: string, type: string): boolean {
  if (id.charCodeAt(0) !== 0x2d) return type === 'user' || type === 'bot';
  // -1e12 (channel 0) is no peer; above it basic chats, below it channels. Exact: ids of up to 13 digits.
  const n = Number(id);
  if (n === -1e12) return false;
  return n > -1e12 ? type === 'chat' : type === 'channel' || type === 'supergroup';
}

/** The number a packed row's flag crosses as (NaN: null). */
const flagNumber = (text: string): number => (text === 'null' ? Number.NaN : text === 'true' ? 1 : 0);

/**
 * A line in `recordToJson`'s own form whose record the import checks (`ImportReport.accept`, and the times' rules
 * of `timesConflict` against the reader's clock `now`) would take exactly as it is, written to `out` as a packed
 * row (storage/packed-peers.ts, in the crossing form of packed-rows.ts) without building the record or an array of
 * its values: returns its id as text. Undefined (nothing written) for any other line, including every line the
 * checks would change or refuse and a few rare forms they accept (a phone, an integer with a leading zero): those
 * take the record path, which reports what is wrong.
 */
export function packCanonicalLine(text: string, out: RowWriter, now: number): string | undefined {
  const m = LINE.exec(text);
  if (m === null) return undefined;
  const id = m[1] as string;
  const type = m[2] as string;
  const hash = m[3];
  const photo = m[15];
  if (
    id === '0' ||
    !isPlainInt64(id) ||
    !kindAgrees(id, type) ||
    (hash !== undefined && (!isPlainInt64(hash) || type === 'chat')) ||
    (photo !== undefined && !isPlainInt64(photo)) ||
    m[9] !== undefined || // a phone: checked on the record path
    !fits(m[6]) ||
    !fits(m[7]) ||
    !fits(m[8])
  )
    return undefined;
  const lang = m[10];
  if (lang !== undefined && !LANG_CODE.test(lang)) return undefined;
  const langSeen = m[11] === undefined ? null : integerOf(m[11]);
  const firstSeen = integerOf(m[16] as string);
  const lastSeen = integerOf(m[17] as string);
  const lastUpdated = integerOf(m[18] as string);
  if (timesConflict(lang ?? null, langSeen, firstSeen, lastSeen, lastUpdated, now) !== undefined)
    return undefined;
  const list = m[5] as string;
  let names = '';
  let first: string | undefined;
  if (list !== '') {
    const inner = list.slice(1, -1);
    if (inner.includes('","')) {
      // Names hold no `"`, so `","` only ever separates two of them.
      const all = inner.split('","');
      for (const name of all) if (!isUsername(name)) return undefined;
      // A name listed twice in different cases: the record path keeps it once (ImportReport.accept).
      if (new Set(all.map((name) => name.toLowerCase())).size !== all.length) return undefined;
      names = all.join(' ');
      first = (all[0] as string).toLowerCase();
    } else {
      if (!isUsername(inner)) return undefined;
      names = inner;
      first = inner.toLowerCase();
    }
  }
  out.room();
  // The texts and numbers of packed-rows.ts, in its order.
  const safeId = safeIdOf(id);
  out.text(Number.isNaN(safeId) ? id : null);
  out.accessHash(hash === undefined ? null : BigInt(hash)); // within the signed 64-bit range (isPlainInt64)
  out.text(names);
  for (let i = 6; i <= 8; i++) out.text(m[i]);
  out.text(null); // no phone
  out.text(lang);
  out.text(photo);
  out.text(first);
  out.hashes[out.count] = first === undefined ? 0 : nameHash(first);
  const numbers = out.numbers;
  let n = out.n;
  numbers[n++] = safeId;
  numbers[n++] = typeCode(type);
  numbers[n++] = m[4] === 'true' ? 1 : 0;
  numbers[n++] = langSeen ?? Number.NaN;
  numbers[n++] = flagNumber(m[12] as string);
  numbers[n++] = flagNumber(m[13] as string);
  numbers[n++] = m[14] === 'true' ? 1 : 0;
  numbers[n++] = firstSeen;
  numbers[n++] = lastSeen;
  numbers[n++] = lastUpdated;
  out.n = n;
  out.count += 1;
  return id;
}
