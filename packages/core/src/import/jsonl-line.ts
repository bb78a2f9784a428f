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
import { CHANNEL_ID_OFFSET } from '../storage/peer-ids.js';
import type { PeerRecord, PeerType } from '../storage/types.js';
import { toInt64 } from './values.js';

/** A JSON string without escapes: every character but `"`, `\` and U+0000..U+001F. */
const CHARS = '[^"\\\\\\x00-\\x1f]*';
const STRING = `"(${CHARS})"`;
const INT64 = '"(-?\\d{1,20})"';
const FLAG = '(true|false)';
/** Exact in a double, so `Number()` gives what `JSON.parse` gives. */
const INTEGER = '(-?(?:0|[1-9]\\d{0,14}))';
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
