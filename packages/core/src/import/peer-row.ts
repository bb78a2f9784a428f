/**
 * The part every reader shares: a row's marked id and access hash, checked exactly, with a bad one reported as an
 * {@link ImportRowError} and the row skipped.
 */
import { CHANNEL_ID_OFFSET, peerKindOf } from '../storage/peer-ids.js';
import type { PeerKind } from '../storage/types.js';
import { ImportRowError } from './errors.js';
import type { ImportReport } from './row-report.js';
import { INT64_RULE, toInt64 } from './values.js';

/** A value and the column (or key) it came from, for error messages. */
export interface Cell {
  readonly field: string;
  readonly value: unknown;
}

export interface IdAndHash {
  readonly id: bigint;
  readonly kind: PeerKind;
  /** null for basic chats (their stored 0 means "no hash") and for SQL NULL. */
  readonly accessHash: bigint | null;
}

const MARKED_ID_RULE =
  'expected a non-zero marked peer id (users > 0, basic chats -id, channels -1000000000000-id) within 64 bits';

/**
 * Reads a marked id and its access hash; `parseHash` turns the stored hash into a bigint (undefined: invalid).
 * Returns undefined after reporting when either is unusable.
 */
export function readIdAndHash(
  report: ImportReport,
  location: string,
  id: Cell,
  hash: Cell,
  parseHash: (value: unknown) => bigint | null | undefined = (v) => (v === null ? null : toInt64(v)),
): IdAndHash | undefined {
  const markedId = toInt64(id.value);
  if (markedId === undefined || markedId === 0n || markedId === -CHANNEL_ID_OFFSET) {
    report.skip(new ImportRowError(report.path, location, id.field, id.value, MARKED_ID_RULE));
    return undefined;
  }
  const kind = peerKindOf(markedId);
  if (kind === 'chat') return { id: markedId, kind, accessHash: null };
  const accessHash = parseHash(hash.value);
  if (accessHash === undefined) {
    report.skip(new ImportRowError(report.path, location, hash.field, hash.value, INT64_RULE));
    return undefined;
  }
  return { id: markedId, kind, accessHash };
}
