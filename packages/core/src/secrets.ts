/**
 * Secrets never reach logs, errors or output. `redactSecrets` is applied to every message pm prints or throws
 * that could contain foreign text (RPC errors, GramJS messages, file contents).
 */

// Ends where the token's alphabet ends, not at a word boundary: a secret ending in `-` (no word character) was
// otherwise cut before its last characters, which stayed in the text.
const BOT_TOKEN_RE = /\b\d{3,20}:[A-Za-z0-9_-]{10,}(?![A-Za-z0-9_-])/g;
const LONG_BASE64_RE = /[A-Za-z0-9+/_-]{64,}={0,2}/g;
const HEX_KEY_RE = /\b[0-9a-fA-F]{64,}\b/g;
/** An api_hash from my.telegram.org: exactly 32 hex digits. */
const API_HASH_RE = /\b[0-9a-fA-F]{32}\b/g;

/** The password of a URL (`postgres://pm:secret@host/db`). */
const URL_PASSWORD_RE = /\b([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@\s/]+@/gi;

/** Replaces bot tokens, api hashes, session strings, URL passwords and key material in `text`. */
export function redactSecrets(text: string): string {
  return text
    .replace(URL_PASSWORD_RE, '$1:***@')
    .replace(BOT_TOKEN_RE, '<redacted bot token>')
    .replace(HEX_KEY_RE, '<redacted key>')
    .replace(API_HASH_RE, '<redacted api hash>')
    .replace(LONG_BASE64_RE, '<redacted>');
}

/** A bot token's public part (the bot id) for messages: `123456:***`. */
export function maskBotToken(token: string): string {
  const i = token.indexOf(':');
  return i > 0 ? `${token.slice(0, i)}:***` : '***';
}
