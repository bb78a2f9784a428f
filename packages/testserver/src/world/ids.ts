import { createHash, randomBytes } from 'node:crypto';

/**
 * Access hashes are a keyed hash of (what, owner, viewer), like Telegram's: the same user has a different hash
 * for every bot, a bot cannot guess another bot's hash, and nothing needs storing per pair. The key is the
 * world's secret, persisted with the world so hashes survive restarts.
 */
export function deriveHash(secret: string, ...parts: (string | bigint)[]): bigint {
  const h = createHash('sha256').update(secret);
  for (const p of parts) h.update(`|${p}`);
  const v = h.digest().readBigInt64LE(0);
  // 0 is what clients send when they have no hash; never hand it out.
  return v === 0n ? 1n : v;
}

/** The full access hash `viewerId` must present for user `userId`. */
export function userAccessHash(secret: string, userId: bigint, viewerId: bigint): bigint {
  return deriveHash(secret, 'user', userId, viewerId);
}

/** The hash carried by a `min` user: it identifies the user but never authorises a private chat. */
export function minUserAccessHash(secret: string, userId: bigint, viewerId: bigint): bigint {
  return deriveHash(secret, 'min-user', userId, viewerId);
}

export function channelAccessHash(secret: string, channelId: bigint, viewerId: bigint): bigint {
  return deriveHash(secret, 'channel', channelId, viewerId);
}

export function newWorldSecret(): string {
  return randomBytes(24).toString('hex');
}

const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';

/** The secret half of a bot token: 35 characters from the same alphabet as real tokens. */
export function newBotSecret(): string {
  const bytes = randomBytes(35);
  let s = '';
  for (const b of bytes) s += TOKEN_ALPHABET[b % TOKEN_ALPHABET.length];
  return s;
}

/** A 64-bit random id (invite hashes and the like). */
export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}
