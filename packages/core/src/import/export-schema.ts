/**
 * pm's own export format, field by field: every {@link PeerRecord} field, in declaration order, with how it is
 * written as JSON and as a CSV cell and read back. 64-bit values are decimal strings, so no JS number ever holds
 * them; null stays distinct from '' (JSON null; an unquoted empty CSV cell, whereas strings are always quoted).
 */
import { InvalidPeerRecordError } from '../errors.js';
import { CHANNEL_ID_OFFSET } from '../storage/peer-ids.js';
import type { PeerRecord, PeerType } from '../storage/types.js';
import { toInt64 } from './values.js';

/** How a field is typed; decides its JSON and CSV encodings. */
type FieldKind = 'id' | 'int64?' | 'type' | 'bool' | 'bool?' | 'usernames' | 'string?' | 'number' | 'number?';

/** Every field of a PeerRecord, in order; the type makes a new PeerRecord field a compile error here. */
const FIELD_KINDS: Readonly<Record<keyof PeerRecord, FieldKind>> = {
  id: 'id',
  type: 'type',
  accessHash: 'int64?',
  min: 'bool',
  usernames: 'usernames',
  firstName: 'string?',
  lastName: 'string?',
  title: 'string?',
  phone: 'string?',
  langCode: 'string?',
  langCodeSeenAt: 'number?',
  premium: 'bool?',
  verified: 'bool?',
  deleted: 'bool',
  photoId: 'int64?',
  firstSeen: 'number',
  lastSeen: 'number',
  lastUpdated: 'number',
};

export type ExportField = keyof PeerRecord;

/** Column order of the CSV header and key order of a JSON line. */
export const EXPORT_FIELDS = Object.keys(FIELD_KINDS) as ExportField[];

const TYPES: ReadonlySet<string> = new Set<PeerType>(['user', 'bot', 'chat', 'channel', 'supergroup']);
/** A time: ms since 1970, a non-negative integer (no sign, fraction or exponent). */
const TIME_TEXT = /^\d+$/;
const isTime = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && !Object.is(v, -0);

/** What a field must hold, for messages. */
const RULES: Readonly<Record<FieldKind, string>> = {
  id: 'expected a non-zero marked peer id: a signed 64-bit integer as a decimal string',
  'int64?': 'expected a signed 64-bit integer as a decimal string, or null',
  type: `expected one of ${[...TYPES].join(', ')}`,
  bool: 'expected true or false',
  'bool?': 'expected true, false or null',
  usernames: 'expected an array of strings',
  'string?': 'expected a string or null',
  number: 'expected a time in ms since 1970: a non-negative integer',
  'number?': 'expected a time in ms since 1970 (a non-negative integer), or null',
};

/** The rule a field breaks, for error messages. */
export function ruleOf(field: ExportField): string {
  return RULES[FIELD_KINDS[field]];
}

/** Decoding failure: the caller knows the file and line. */
export class FieldError {
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly rule: string,
  ) {}
}

function isMarkedId(v: unknown): v is bigint {
  return typeof v === 'bigint' && toInt64(v) !== undefined && v !== 0n && v !== -CHANNEL_ID_OFFSET;
}

/** Whether an in-memory value fits its field (checked before writing, so nothing unreadable is written). */
function fits(kind: FieldKind, v: unknown): boolean {
  switch (kind) {
    case 'id':
      return isMarkedId(v);
    case 'int64?':
      return v === null || (typeof v === 'bigint' && toInt64(v) !== undefined);
    case 'type':
      return typeof v === 'string' && TYPES.has(v);
    case 'bool':
      return typeof v === 'boolean';
    case 'bool?':
      return v === null || typeof v === 'boolean';
    case 'usernames':
      return Array.isArray(v) && v.every((n) => typeof n === 'string');
    case 'string?':
      return v === null || typeof v === 'string';
    case 'number':
      return isTime(v);
    case 'number?':
      return v === null || isTime(v);
  }
}

/** Throws InvalidPeerRecordError for a record that cannot be written faithfully; `at` names it (`records[3]`). */
export function checkWritable(record: PeerRecord, at: string): void {
  if (typeof record !== 'object' || record === null) {
    throw new InvalidPeerRecordError(record, 'expected a peer record object', at);
  }
  for (const field of EXPORT_FIELDS) {
    const value: unknown = record[field];
    if (!fits(FIELD_KINDS[field], value))
      throw new InvalidPeerRecordError(value, ruleOf(field), `${at}.${field}`);
  }
}

/**
 * How far past the import's clock a time may lie: the machine that wrote the export may run a little ahead. A time
 * beyond is no time a store can have recorded (its clock never read it), e.g. seconds written as ms × 1000.
 */
export const FUTURE_SLACK_MS = 24 * 60 * 60 * 1000;

const isoOf = (ms: number): string => {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
};

/**
 * Whether a record's times (each already a valid time on its own) are ones a live store can hold, by how the peer
 * cache sets them (storage/merge.ts): a peer is created with firstSeen = lastSeen = lastUpdated, and later sightings
 * and changes only move lastSeen and lastUpdated up, so neither is before firstSeen; a language code is stored with
 * the time of the sighting that carried it, which also moved lastSeen there, so langCodeSeenAt is set exactly when
 * langCode is and is never after lastSeen (it may be before firstSeen: a clock set back). No time lies more than
 * {@link FUTURE_SLACK_MS} past `now`, the import's clock. Returns the first rule broken, naming the field and both
 * values, or undefined. Every reading path (general, fast, packed; CSV; either thread) asks this.
 */
export function timesConflict(
  langCode: string | null,
  langCodeSeenAt: number | null,
  firstSeen: number,
  lastSeen: number,
  lastUpdated: number,
  now: number,
): FieldError | undefined {
  const latest = now + FUTURE_SLACK_MS;
  if (langCodeSeenAt !== null && langCodeSeenAt > latest)
    return future('langCodeSeenAt', langCodeSeenAt, now);
  if (firstSeen > latest) return future('firstSeen', firstSeen, now);
  if (lastSeen > latest) return future('lastSeen', lastSeen, now);
  if (lastUpdated > latest) return future('lastUpdated', lastUpdated, now);
  if (lastSeen < firstSeen) {
    return new FieldError('lastSeen', lastSeen, `expected no earlier than firstSeen (${firstSeen})`);
  }
  if (lastUpdated < firstSeen) {
    return new FieldError('lastUpdated', lastUpdated, `expected no earlier than firstSeen (${firstSeen})`);
  }
  if (langCode !== null && langCodeSeenAt === null) {
    return new FieldError(
      'langCodeSeenAt',
      null,
      `expected the time langCode (${JSON.stringify(langCode)}) was seen: the two are stored together`,
    );
  }
  if (langCode === null && langCodeSeenAt !== null) {
    return new FieldError(
      'langCodeSeenAt',
      langCodeSeenAt,
      'expected null, as langCode is null: the two are stored together',
    );
  }
  if (langCodeSeenAt !== null && langCodeSeenAt > lastSeen) {
    return new FieldError(
      'langCodeSeenAt',
      langCodeSeenAt,
      `expected no later than lastSeen (${lastSeen}): a language is seen in a sighting`,
    );
  }
  return undefined;
}

function future(field: ExportField, value: number, now: number): FieldError {
  return new FieldError(
    field,
    value,
    `expected no later than a day past the import's clock (${now}, ${isoOf(now)}); it is ${isoOf(value)}`,
  );
}

/** {@link timesConflict} of a whole record. */
export const recordTimesConflict = (r: PeerRecord, now: number): FieldError | undefined =>
  timesConflict(r.langCode, r.langCodeSeenAt, r.firstSeen, r.lastSeen, r.lastUpdated, now);

// ---------------------------------------------------------------------------------------------------------------
// JSON lines
// ---------------------------------------------------------------------------------------------------------------

/** One JSON line (without the newline). */
export function recordToJson(record: PeerRecord): string {
  const out: Record<string, unknown> = {};
  for (const field of EXPORT_FIELDS) {
    const value: unknown = record[field];
    out[field] = typeof value === 'bigint' ? value.toString() : value;
  }
  return JSON.stringify(out);
}

/** A parsed JSON line back to a record; returns a {@link FieldError} for the first bad field. */
export function recordFromJson(value: unknown): PeerRecord | FieldError {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return new FieldError('', value, 'expected a JSON object per line');
  }
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object)) {
    if (!Object.hasOwn(FIELD_KINDS, key)) {
      return new FieldError(key, object[key], `unknown field; expected only ${EXPORT_FIELDS.join(', ')}`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const field of EXPORT_FIELDS) {
    if (!Object.hasOwn(object, field)) return new FieldError(field, undefined, `missing; ${ruleOf(field)}`);
    const raw = object[field];
    const kind = FIELD_KINDS[field];
    const decoded = kind === 'id' || kind === 'int64?' ? int64FromJson(raw) : raw;
    if (decoded === undefined || !fits(kind, decoded)) return new FieldError(field, raw, ruleOf(field));
    out[field] = kind === 'usernames' ? [...(decoded as string[])] : decoded;
  }
  return out as unknown as PeerRecord;
}

function int64FromJson(raw: unknown): bigint | null | undefined {
  if (raw === null) return null;
  return typeof raw === 'string' ? toInt64(raw) : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// CSV cells
// ---------------------------------------------------------------------------------------------------------------

/** A CSV cell as read: its text, and whether it was quoted (which tells '' from null). */
export interface CsvCell {
  readonly text: string;
  readonly quoted: boolean;
}

/** A field's CSV cell, quoted when it is a string (always, so '' and null differ) or needs it. */
export function fieldToCsv(record: PeerRecord, field: ExportField): string {
  const value: unknown = record[field];
  if (value === null) return '';
  switch (FIELD_KINDS[field]) {
    case 'usernames':
      return quote(JSON.stringify(value));
    case 'string?':
    case 'type':
      return quote(value as string);
    default:
      return String(value);
  }
}

function quote(text: string): string {
  return `"${text.replaceAll('"', '""')}"`;
}

/** A CSV cell back to a field value, or a {@link FieldError}. */
export function fieldFromCsv(field: ExportField, cell: CsvCell): unknown {
  const kind = FIELD_KINDS[field];
  const { text, quoted } = cell;
  const isNull = !quoted && text === '';
  const bad = new FieldError(field, text, ruleOf(field));
  switch (kind) {
    case 'id':
    case 'int64?': {
      if (isNull && kind === 'int64?') return null;
      const n = toInt64(text);
      return n === undefined || !fits(kind, n) ? bad : n;
    }
    case 'type':
      return TYPES.has(text) ? text : bad;
    case 'bool':
    case 'bool?':
      if (isNull && kind === 'bool?') return null;
      return text === 'true' ? true : text === 'false' ? false : bad;
    case 'number':
    case 'number?': {
      if (isNull && kind === 'number?') return null;
      const n = Number(text);
      return TIME_TEXT.test(text) && isTime(n) ? n : bad;
    }
    case 'string?':
      return isNull ? null : text;
    case 'usernames': {
      if (text === '') return [];
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (e) {
        if (e instanceof SyntaxError) return bad;
        throw e;
      }
      return fits('usernames', parsed) ? parsed : bad;
    }
  }
}
