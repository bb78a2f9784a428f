import { createHash, randomBytes } from 'node:crypto';

/** A fresh random 64-bit signed random_id. */
export function randomMessageId(): bigint {
  return randomBytes(8).readBigInt64LE(0);
}

/**
 * The random_id of a broadcast message, derived from (job id, recipient): a resumed job sends the same id again and
 * Telegram's RANDOM_ID_DUPLICATE tells it the earlier send went through. Never 0.
 */
export function broadcastRandomId(jobId: string, recipient: bigint): bigint {
  const id = createHash('sha256').update(`pm-broadcast\0${jobId}\0${recipient}`).digest().readBigInt64LE(0);
  return id === 0n ? 1n : id;
}
