/**
 * Marked peer ids: one 64-bit key space for users, basic chats and channels (the Bot API / GramJS convention).
 */
import { InvalidPeerIdError } from '../errors.js';
import type { PeerKind } from './types.js';

export const INT64_MIN: bigint = -(1n << 63n);
export const INT64_MAX: bigint = (1n << 63n) - 1n;
/** Channel ids are marked as `-(CHANNEL_ID_OFFSET + id)`; basic chat ids stay below it. */
export const CHANNEL_ID_OFFSET = 1_000_000_000_000n;

/** The marked id channel 0 would have, made once (a bigint expression is computed anew at every use). */
const CHANNEL_ZERO = -CHANNEL_ID_OFFSET;
const VALID_ID = 'expected a non-zero signed 64-bit integer as a bigint or a decimal string (e.g. 777000n)';
const INTEGER_STRING = /^-?\d{1,20}$/;

/** The id space a marked id belongs to. */
export function peerKindOf(markedId: bigint): PeerKind {
  if (markedId > 0n) return 'user';
  return markedId > -CHANNEL_ID_OFFSET ? 'chat' : 'channel';
}

/** Marks a bare id of the given kind; throws {@link InvalidPeerIdError} if the result leaves the 64-bit range. */
export function markPeerId(kind: PeerKind, id: bigint): bigint {
  const max =
    kind === 'user' ? INT64_MAX : kind === 'chat' ? CHANNEL_ID_OFFSET - 1n : -INT64_MIN - CHANNEL_ID_OFFSET;
  if (typeof id !== 'bigint' || id < 1n || id > max) {
    throw new InvalidPeerIdError(id, `a bare ${kind} id must be a bigint from 1 to ${max}`);
  }
  return markId(kind, id);
}

/** The marked id of a bare id of a kind: the one place the marking is written (markPeerId checks the range first). */
export function markId(kind: PeerKind, id: bigint): bigint {
  return kind === 'user' ? id : kind === 'chat' ? -id : -CHANNEL_ID_OFFSET - id;
}

/** The kind and bare id of a marked id. */
export function unmarkPeerId(markedId: bigint): { kind: PeerKind; id: bigint } {
  const kind = peerKindOf(markedId);
  return {
    kind,
    id: kind === 'user' ? markedId : kind === 'chat' ? -markedId : -markedId - CHANNEL_ID_OFFSET,
  };
}

/**
 * Accepts a marked peer id as a bigint or a decimal string; anything else (notably a JS number, which cannot
 * hold every 64-bit id) throws {@link InvalidPeerIdError} naming the value.
 */
export function parsePeerId(value: unknown, field?: string): bigint {
  let id: bigint;
  if (typeof value === 'bigint') {
    id = value;
  } else if (typeof value === 'string' && INTEGER_STRING.test(value)) {
    id = BigInt(value);
  } else {
    const valid =
      typeof value === 'number' ? `a JS number cannot hold every 64-bit id; ${VALID_ID}` : VALID_ID;
    throw new InvalidPeerIdError(value, valid, field);
  }
  // -CHANNEL_ID_OFFSET itself would be channel 0.
  if (id === 0n || id === CHANNEL_ZERO || id < INT64_MIN || id > INT64_MAX) {
    throw new InvalidPeerIdError(value, VALID_ID, field);
  }
  return id;
}
