import { describeValue, InvalidInputError, InvalidPeerIdError } from '../errors.js';
import { parsePeerId } from '../storage/peer-ids.js';
import { isValidStartPayload } from './deep-link.js';
import { isValidUsername, USERNAME_RULE } from './username.js';

/** Anything a caller may use to name a user or chat. */
export type PeerRef = bigint | number | string;

/** A parsed reference: either a numeric peer id or a username (case-folded, without '@'). */
export type ParsedPeerRef =
  | { readonly kind: 'id'; readonly id: bigint }
  | { readonly kind: 'username'; readonly username: string; readonly startPayload?: string };

export class InvalidPeerRefError extends InvalidInputError {
  constructor(value: unknown, why: string) {
    super(
      'INVALID_PEER_REF',
      describeValue(value),
      `Invalid peer reference ${describeValue(value)}: ${why}. Use a 64-bit id, @username, username, t.me/username, https://t.me/username, tg://resolve?domain=username or tg://user?id=123`,
    );
  }
}

const DIGITS_RE = /^-?\d{1,20}$/;
/** A reference of digits alone is an id, however long (no username starts with a digit). */
const ALL_DIGITS_RE = /^-?\d+$/;
const TME_HOSTS = new Set(['t.me', 'telegram.me', 'telegram.dog']);

/**
 * Parses a 64-bit id from a bigint, a safe integer number or a decimal string: the storage's one id parser
 * (`parsePeerId`), which also accepts a JS number here, with failures as InvalidPeerRefError.
 */
export function parsePeerRefId(value: unknown): bigint {
  if (typeof value === 'number' && !Number.isSafeInteger(value))
    throw new InvalidPeerRefError(value, 'a number id must be a safe integer');
  if (typeof value === 'string' && ALL_DIGITS_RE.test(value) && !DIGITS_RE.test(value))
    throw new InvalidPeerRefError(value, 'ids are non-zero 64-bit signed integers');
  if (
    typeof value !== 'bigint' &&
    typeof value !== 'number' &&
    !(typeof value === 'string' && DIGITS_RE.test(value))
  )
    throw new InvalidPeerRefError(value, 'not an integer id');
  try {
    return parsePeerId(typeof value === 'number' ? BigInt(value) : value);
  } catch (e) {
    if (e instanceof InvalidPeerIdError)
      throw new InvalidPeerRefError(value, 'ids are non-zero 64-bit signed integers');
    throw e;
  }
}

function usernameRef(raw: string, original: unknown, startPayload?: string | null): ParsedPeerRef {
  if (!isValidUsername(raw)) {
    throw new InvalidPeerRefError(original, `a username is ${USERNAME_RULE}`);
  }
  const ref: { kind: 'username'; username: string; startPayload?: string } = {
    kind: 'username',
    username: raw.toLowerCase(),
  };
  // Telegram drops a start parameter it does not accept; so does pm.
  if (startPayload && isValidStartPayload(startPayload)) ref.startPayload = startPayload;
  return ref;
}

/**
 * Parses any PeerRef without touching the network: bigint/number ids, decimal strings, `@name`, `name`,
 * `t.me/name`, `https://t.me/name[?start=…]`, `https://name.t.me`, `tg://resolve?domain=name`, `tg://user?id=…`.
 * A reference Telegram would never accept is an InvalidPeerRefError naming it.
 */
export function parsePeerRef(ref: PeerRef): ParsedPeerRef {
  if (typeof ref === 'bigint' || typeof ref === 'number') return { kind: 'id', id: parsePeerRefId(ref) };
  if (typeof ref !== 'string') throw new InvalidPeerRefError(ref, 'expected a bigint, number or string');
  const s = ref.trim();
  if (s.length === 0) throw new InvalidPeerRefError(ref, 'empty reference');
  if (ALL_DIGITS_RE.test(s)) return { kind: 'id', id: parsePeerRefId(s) };
  if (s.startsWith('@')) return usernameRef(s.slice(1), ref);

  if (/^tg:/i.test(s)) {
    let url: URL;
    try {
      url = new URL(s);
    } catch {
      throw new InvalidPeerRefError(ref, 'malformed tg:// link');
    }
    const action = (url.hostname || url.pathname.replace(/^\/+/, '')).toLowerCase();
    if (action === 'resolve') {
      const domain = url.searchParams.get('domain');
      if (!domain) throw new InvalidPeerRefError(ref, 'tg://resolve needs ?domain=');
      return usernameRef(domain, ref, url.searchParams.get('start'));
    }
    if (action === 'user') {
      const id = url.searchParams.get('id');
      if (!id) throw new InvalidPeerRefError(ref, 'tg://user needs ?id=');
      return { kind: 'id', id: parsePeerRefId(id) };
    }
    throw new InvalidPeerRefError(ref, `unsupported tg:// link "${action}"`);
  }

  const looksLikeLink = /^(https?:\/\/)?([a-z0-9_-]+\.)*(t\.me|telegram\.me|telegram\.dog)(\/|$)/i.test(s);
  if (looksLikeLink) {
    let url: URL;
    try {
      url = new URL(/^https?:\/\//i.test(s) ? s : `https://${s}`);
    } catch {
      throw new InvalidPeerRefError(ref, 'malformed t.me link');
    }
    const host = url.hostname.toLowerCase();
    const start = url.searchParams.get('start');
    if (!TME_HOSTS.has(host)) {
      // https://name.t.me
      const sub = host.slice(0, host.indexOf('.'));
      return usernameRef(sub, ref, start);
    }
    const first = url.pathname.split('/').filter(Boolean)[0];
    if (!first) throw new InvalidPeerRefError(ref, 'link has no username');
    if (first === 's' || first.startsWith('+') || first === 'joinchat' || first === 'c') {
      throw new InvalidPeerRefError(ref, 'invite and message links do not name a user');
    }
    return usernameRef(first, ref, start);
  }
  return usernameRef(s, ref);
}
