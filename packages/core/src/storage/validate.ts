/**
 * Validation and normalisation of what enters the peer cache. A batch is validated whole before anything is
 * written, so bad input leaves the store unchanged.
 */
import {
  InvalidAccessHashError,
  InvalidPeerIdError,
  InvalidPeerRecordError,
  InvalidPhoneError,
  InvalidUsernameError,
} from '../errors.js';
import { INT64_MAX, INT64_MIN, parsePeerId, peerKindOf } from './peer-ids.js';
import type { PeerInput, PeerKind, PeerType } from './types.js';

/**
 * TDLib's `is_valid_username` (what Telegram may send): a Latin letter first, then letters, digits and single
 * underscores, not ending in an underscore, at most 32 characters. Minimum 3 rather than the 5 a user may set:
 * collectible usernames have 4 characters and Telegram's own inline bots 3 (@gif, @vid, @pic).
 */
export const USERNAME_RULE =
  '3 to 32 characters: a Latin letter first, then Latin letters, digits and single underscores, not ending in _';
const PHONE_SEPARATORS = /[\s()+-]/g;
const PHONE = /^\d{4,20}$/;
const PHONE_RULE = '4 to 20 digits, optionally with +, spaces, dashes or brackets';
export const LANG_CODE: RegExp = /^[A-Za-z0-9_-]{1,35}$/;
export const MAX_TEXT = 1024;
const TYPES: ReadonlySet<string> = new Set<PeerType>(['user', 'bot', 'chat', 'channel', 'supergroup']);
const KIND_OF_TYPE: Record<PeerType, PeerKind> = {
  user: 'user',
  bot: 'user',
  chat: 'chat',
  channel: 'channel',
  supergroup: 'channel',
};

/** A {@link PeerInput} after validation: usernames de-duplicated, phone reduced to digits, kind known. */
export interface ValidPeerInput {
  readonly id: bigint;
  readonly kind: PeerKind;
  readonly type: PeerType | undefined;
  readonly accessHash: bigint | null | undefined;
  readonly min: boolean;
  readonly usernames: readonly string[] | undefined;
  readonly firstName: string | null | undefined;
  readonly lastName: string | null | undefined;
  readonly title: string | null | undefined;
  readonly phone: string | null | undefined;
  readonly langCode: string | undefined;
  readonly premium: boolean | null | undefined;
  readonly verified: boolean | null | undefined;
  readonly deleted: boolean | undefined;
  readonly photoId: bigint | null | undefined;
}

/** Lower-cased username for lookups; throws {@link InvalidUsernameError}. A leading `@` is allowed. */
export function normalizeUsernameQuery(name: unknown): string {
  const bare = typeof name === 'string' && name.startsWith('@') ? name.slice(1) : name;
  return checkUsername(bare, undefined).toLowerCase();
}

/**
 * Digits-only phone for lookups; throws {@link InvalidPhoneError}. `id`: the peer whose phone it is, named when the
 * phone holds U+0000.
 */
export function normalizePhone(phone: unknown, field?: string, id?: bigint): string {
  const digits = typeof phone === 'string' ? phone.replace(PHONE_SEPARATORS, '') : undefined;
  if (digits === undefined || !PHONE.test(digits))
    throw new InvalidPhoneError(phone, ruleFor(phone, PHONE_RULE, id), field);
  return digits;
}

/**
 * The rule of {@link USERNAME_RULE} (`/^[A-Za-z][A-Za-z0-9_]{1,30}[A-Za-z0-9]$/` without `__`), as one pass over
 * the characters: every sighting's usernames are checked, and a regular expression plus a search for `__` cost
 * several times this.
 */
export function isUsername(name: string): boolean {
  const n = name.length;
  if (n < 3 || n > 32) return false;
  let previous = 0x5f; // as if after '_': the first character must be a letter
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    const letter = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
    if (letter) previous = c;
    else if (i === 0) return false;
    else if ((c >= 0x30 && c <= 0x39) || (c === 0x5f && previous !== 0x5f)) previous = c;
    else return false;
  }
  return previous !== 0x5f;
}

function checkUsername(name: unknown, field: string | undefined, id?: bigint): string {
  if (typeof name !== 'string' || !isUsername(name)) {
    throw new InvalidUsernameError(name, ruleFor(name, USERNAME_RULE, id), field);
  }
  return name;
}

function checkInt64(value: unknown, at: string, name: string, nullable: boolean): bigint | null | undefined {
  if (value === undefined || (nullable && value === null)) return value;
  if (typeof value !== 'bigint' || value < INT64_MIN || value > INT64_MAX) {
    throw new InvalidAccessHashError(
      value,
      `expected a signed 64-bit bigint (${INT64_MIN}..${INT64_MAX})`,
      `${at}.${name}`,
    );
  }
  return value;
}

/**
 * Why a text holding U+0000 is refused: PostgreSQL text cannot hold it, so one store would keep what another
 * refuses. Every text of a peer record is checked for it (names and title here; usernames, phone and language code
 * by their own rules, none of which allows it), and the error names the field and the peer. Telegram's own data
 * (gram/tl.ts, `textFromTl`) has U+0000 replaced before it gets here: a live peer is never refused for a character.
 */
export const NUL_RULE = 'expected text without U+0000 (NUL), which not every store can hold';

/**
 * The rule a refused text breaks: {@link NUL_RULE}, naming the peer, when it holds U+0000, else `rule`. Asked only
 * once a value is refused, so the check costs nothing on the way of a good one.
 */
function ruleFor(value: unknown, rule: string, id: bigint | undefined): string {
  if (typeof value !== 'string' || !value.includes('\0')) return rule;
  return id === undefined ? NUL_RULE : `${NUL_RULE} (peer ${id})`;
}

/** A UTF-16 surrogate without its other half. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * What a name or title can hold, the same in every store. Telegram sends text as UTF-8, which GramJS decodes with
 * U+FFFD for any invalid sequence, so a lone UTF-16 surrogate never comes from Telegram: it becomes U+FFFD here as
 * it would have there (SQLite and PostgreSQL would otherwise each mangle it their own way). Everything else is kept
 * as given (no Unicode normalisation: Telegram keeps names byte for byte). A text holding U+0000 never gets here:
 * the validation refuses it ({@link NUL_RULE}).
 */
export function normalizeText(value: string): string {
  return value.replace(LONE_SURROGATE, '\uFFFD');
}

function checkText(value: unknown, at: string, name: string, id: bigint): string | null | undefined {
  if (value === undefined || value === null) return value;
  if (typeof value !== 'string' || value.length > MAX_TEXT) {
    throw new InvalidPeerRecordError(
      value,
      `expected a string of at most ${MAX_TEXT} characters, or null`,
      `${at}.${name}`,
    );
  }
  // Nearly every name holds neither NUL nor a surrogate: one pass to find out, the rest only when needed.
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0 || (c >= 0xd800 && c <= 0xdfff)) {
      if (value.includes('\0'))
        throw new InvalidPeerRecordError(value, `${NUL_RULE} (peer ${id})`, `${at}.${name}`);
      return normalizeText(value);
    }
  }
  return value;
}

function checkFlag(value: unknown, at: string, name: string, nullable: boolean): boolean | null | undefined {
  if (value === undefined || typeof value === 'boolean' || (nullable && value === null)) return value;
  throw new InvalidPeerRecordError(
    value,
    nullable ? 'expected a boolean or null' : 'expected a boolean',
    `${at}.${name}`,
  );
}

/** Validates one sighting; `at` names it in errors (e.g. `records[3]`). */
export function validatePeerInput(input: PeerInput, at: string): ValidPeerInput {
  if (typeof input !== 'object' || input === null) {
    throw new InvalidPeerRecordError(input, 'expected a peer record object', at);
  }
  if (typeof input.id !== 'bigint') {
    throw new InvalidPeerIdError(input.id, 'expected a bigint marked peer id (e.g. 777000n)', `${at}.id`);
  }
  const id = parsePeerId(input.id, `${at}.id`);
  const kind = peerKindOf(id);
  const type = input.type;
  if (type !== undefined && (!TYPES.has(type) || KIND_OF_TYPE[type] !== kind)) {
    const valid = `expected one of ${[...TYPES].filter((t) => KIND_OF_TYPE[t as PeerType] === kind).join(', ')} for ${kind} id ${id}`;
    throw new InvalidPeerRecordError(type, valid, `${at}.type`);
  }
  const accessHash = checkInt64(input.accessHash, at, 'accessHash', true);
  if (kind === 'chat' && accessHash !== undefined && accessHash !== null) {
    throw new InvalidAccessHashError(
      accessHash,
      'basic chats have no access hash; pass null',
      `${at}.accessHash`,
    );
  }
  if (input.min !== undefined && typeof input.min !== 'boolean') {
    throw new InvalidPeerRecordError(input.min, 'expected a boolean', `${at}.min`);
  }
  let usernames: string[] | undefined;
  if (input.usernames !== undefined) {
    if (!Array.isArray(input.usernames)) {
      throw new InvalidPeerRecordError(input.usernames, 'expected an array of usernames', `${at}.usernames`);
    }
    usernames = [] as string[];
    const names = input.usernames as readonly unknown[];
    // One name (the common case) needs no de-duplication.
    const seen = names.length > 1 ? new Set<string>() : undefined;
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      // The field is named only when the name is refused (building it for every name costs on a hot path).
      if (typeof name !== 'string' || !isUsername(name)) checkUsername(name, `${at}.usernames[${i}]`, id);
      const valid = name as string;
      if (seen === undefined) usernames.push(valid);
      else {
        const lower = valid.toLowerCase();
        if (!seen.has(lower)) {
          seen.add(lower);
          usernames.push(valid);
        }
      }
    }
  }
  const phone =
    input.phone === undefined || input.phone === null
      ? input.phone
      : normalizePhone(input.phone, `${at}.phone`, id);
  const langCode = input.langCode ?? undefined;
  if (langCode !== undefined && (typeof langCode !== 'string' || !LANG_CODE.test(langCode))) {
    throw new InvalidPeerRecordError(
      langCode,
      ruleFor(langCode, 'expected a language code such as "en" or "pt-br"', id),
      `${at}.langCode`,
    );
  }
  return {
    id,
    kind,
    type,
    accessHash,
    min: input.min ?? false,
    usernames,
    firstName: checkText(input.firstName, at, 'firstName', id),
    lastName: checkText(input.lastName, at, 'lastName', id),
    title: checkText(input.title, at, 'title', id),
    phone,
    langCode,
    premium: checkFlag(input.premium, at, 'premium', true),
    verified: checkFlag(input.verified, at, 'verified', true),
    deleted: checkFlag(input.deleted, at, 'deleted', false) ?? undefined,
    photoId: checkInt64(input.photoId, at, 'photoId', true),
  };
}

/** Validates a whole batch before anything is written. */
export function validatePeerInputs(inputs: readonly PeerInput[]): ValidPeerInput[] {
  if (!Array.isArray(inputs))
    throw new InvalidPeerRecordError(inputs, 'expected an array of peer records', 'records');
  return inputs.map((input, i) => validatePeerInput(input, `records[${i}]`));
}
