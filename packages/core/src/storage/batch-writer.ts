/**
 * Writing a batch of the peer cache's pending changes: one transaction (`storeBatch`), and the split that finds the
 * part a store refuses (`writeIsolating`), so one bad record is set aside and every other one is written. PeerCache
 * owns what is pending and when it is written; this module only how.
 */
import { StorageError } from '../errors.js';
import { PEER_CACHE_DEFAULTS } from './defaults.js';
import type { StorageProvider, StorageRepositories } from './types.js';
import { WriteSet } from './write-set.js';

const WRITE_SLICE = PEER_CACHE_DEFAULTS.writeSlice;
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * More to write in the batch's transaction (PeerCache.flush's `alsoWrite`); `done` is set once a transaction holding
 * it committed. A batch the store refused in part is split without it: the caller then writes it on its own.
 */
export interface AlsoWrite {
  readonly write: (tx: StorageRepositories) => Promise<void>;
  done: boolean;
}

/** What the caller does with what a write could not store. */
export interface BatchOutcomes {
  /** A passing or store-wide failure left this part unwritten: it goes back to the pending set. */
  readonly requeue: (rest: WriteSet) => void;
  /** The store refused this independent part (a peer, or peers a username or phone moved between). */
  readonly setAside: (part: WriteSet, error: StorageError) => void;
}

/**
 * Writes a batch in one transaction. When the store refuses the data (not a passing or store-wide failure), the
 * batch is split in halves, recursively, down to the independent part the store refuses (a peer, or peers a
 * username or phone moved between); that part is set aside and every other part is written. Whatever a passing
 * or store-wide failure leaves unwritten goes back to the pending set, and that failure is the answer.
 */
export async function writeIsolating(
  storage: StorageProvider,
  batch: WriteSet,
  on: BatchOutcomes,
  also?: AlsoWrite,
): Promise<StorageError | undefined> {
  const first = await storeBatch(storage, batch, also);
  if (first === undefined) {
    if (also) also.done = true;
    return undefined;
  }
  if (first.kind !== 'record') {
    on.requeue(batch);
    return first;
  }
  const units = batch.units();
  const todo: WriteSet[][] = [units];
  let error: StorageError | undefined = first;
  while (todo.length > 0) {
    const group = todo.pop() as WriteSet[];
    if (error === undefined) error = await storeBatch(storage, WriteSet.union(group));
    if (error === undefined) continue;
    if (error.kind !== 'record') {
      on.requeue(WriteSet.union([...todo.flat(), ...group]));
      return error;
    }
    const [only] = group;
    if (group.length === 1 && only !== undefined) on.setAside(only, error);
    else {
      const mid = Math.ceil(group.length / 2);
      todo.push(group.slice(mid), group.slice(0, mid));
    }
    error = undefined;
  }
  return undefined;
}

/**
 * One transaction; resolves to its failure. A cause that is not a StorageError counts as the store's: without a
 * provider saying the data is at fault, splitting could set aside every record of a store that is just down.
 */
export async function storeBatch(
  storage: StorageProvider,
  batch: WriteSet,
  also?: AlsoWrite,
): Promise<StorageError | undefined> {
  try {
    await storage.transaction(async (tx) => {
      if (batch.deleted.size > 0) {
        const ids = [...batch.deleted];
        await tx.peers.deleteMany(ids);
        await tx.usernames.deleteForPeers(ids);
        await tx.history.deleteForPeers(ids);
      }
      // In slices with a turn of the event loop between them: a synchronous driver (better-sqlite3) would
      // otherwise hold the loop for the whole batch (about a second for 50,000 new peers at a million stored).
      // Still one transaction: a reader of the same connection meanwhile sees memory first (the batch is in
      // flight), and the epoch bump at the end makes a read that spanned it retry.
      const peers = [...batch.peers.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      let sinceYield = 0;
      const step = async (rows: number): Promise<void> => {
        if (sinceYield >= WRITE_SLICE) {
          sinceYield = 0;
          await yieldToEventLoop();
        }
        sinceYield += rows;
      };
      for (let i = 0; i < peers.length; i += WRITE_SLICE) {
        const slice = peers.slice(i, i + WRITE_SLICE);
        await step(slice.length);
        await tx.peers.upsertMany(slice);
      }
      if (batch.usernamesOf.size > 0) {
        const entries = [...batch.usernamesOf].map((peerId) => ({
          peerId,
          usernames: batch.peers.get(peerId)?.usernames ?? [],
          isNew: batch.created.has(peerId),
          withRecord: batch.peers.has(peerId),
        }));
        for (let i = 0; i < entries.length; i += WRITE_SLICE) {
          const slice = entries.slice(i, i + WRITE_SLICE);
          await step(slice.length);
          await tx.usernames.replaceForPeers(slice);
        }
      }
      if (batch.history.length > 0) await tx.history.append(batch.history);
      if (also) await also.write(tx);
    });
    return undefined;
  } catch (cause) {
    return cause instanceof StorageError
      ? cause
      : new StorageError(
          'STORAGE_FAILED',
          `Writing ${batch.size} peers to ${storage.name} storage failed: ${
            cause instanceof Error ? cause.message : String(cause)
          }`,
          { cause, kind: 'store' },
        );
  }
}
