import { describeValue, InvalidInputError } from '../errors.js';
import { normalizeUsername } from './username.js';

/** Telegram's rule for `start` parameters: up to 64 characters of A-Z, a-z, 0-9, `_` and `-`. */
const PAYLOAD_RE = /^[A-Za-z0-9_-]{1,64}$/;
export const MAX_START_PAYLOAD_LENGTH = 64;

export class InvalidStartPayloadError extends InvalidInputError {
  constructor(value: unknown) {
    super(
      'INVALID_START_PAYLOAD',
      describeValue(value),
      `Invalid deep-link payload ${describeValue(value)}: Telegram allows 1-64 characters of A-Z, a-z, 0-9, _ and -`,
    );
  }
}

export function isValidStartPayload(payload: string): boolean {
  return PAYLOAD_RE.test(payload);
}

/** `https://t.me/<bot>?start=<payload>`; with no payload, the plain bot link. */
export function startLink(botUsername: string, payload?: string): string {
  const bot = botUsername.startsWith('@') ? botUsername.slice(1) : botUsername;
  normalizeUsername(bot);
  if (payload === undefined) return `https://t.me/${bot}`;
  if (!isValidStartPayload(payload)) throw new InvalidStartPayloadError(payload);
  return `https://t.me/${bot}?start=${payload}`;
}

/** `https://t.me/<bot>?startgroup=<payload>`: adds the bot to a group. */
export function startGroupLink(botUsername: string, payload?: string): string {
  return startLink(botUsername, payload).replace('?start=', '?startgroup=');
}

/**
 * Encodes arbitrary data (text or bytes) as a base64url payload. Throws when the result would exceed 64
 * characters (48 bytes of input).
 */
export function encodeStartPayload(data: string | Uint8Array): string {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
  const encoded = bytes.toString('base64url');
  if (!isValidStartPayload(encoded)) throw new InvalidStartPayloadError(encoded);
  return encoded;
}

/** Decodes a base64url payload made by encodeStartPayload back to text (or bytes with `as: 'bytes'`). */
export function decodeStartPayload(payload: string): string;
export function decodeStartPayload(payload: string, as: 'bytes'): Uint8Array;
export function decodeStartPayload(payload: string, as?: 'bytes'): string | Uint8Array {
  if (!isValidStartPayload(payload) || payload.length % 4 === 1) throw new InvalidStartPayloadError(payload);
  const bytes = Buffer.from(payload, 'base64url');
  return as === 'bytes' ? new Uint8Array(bytes) : bytes.toString('utf8');
}

export type StartCommand = { readonly payload?: string };

/**
 * Recognises `/start`, `/start <payload>` and `/start@<bot> <payload>` in a private message. A payload that
 * breaks Telegram's rules (a user can type anything after /start) is dropped rather than trusted. Returns
 * undefined for any other text.
 */
export function parseStartCommand(text: string, botUsername?: string): StartCommand | undefined {
  const m = /^\/start(?:@([A-Za-z0-9_]+))?(?:\s+(\S+))?\s*$/.exec(text.trim());
  if (!m) return undefined;
  if (m[1] && botUsername && m[1].toLowerCase() !== botUsername.replace(/^@/, '').toLowerCase())
    return undefined;
  const payload = m[2];
  return payload !== undefined && isValidStartPayload(payload) ? { payload } : {};
}
