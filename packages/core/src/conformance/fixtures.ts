/** What every conformance topic shares: the suite's state, sample data and assertions. */
import { expect } from 'vitest';
import type { PmError } from '../errors.js';
import type { PeerCache } from '../storage/peer-cache.js';
import {
  type DialogState,
  emptyDialogState,
  type PeerInput,
  type PeerRecord,
  type StorageProvider,
} from '../storage/types.js';

/** Options of {@link describeStorageConformance}. */
export interface StorageConformanceOptions {
  /**
   * Opens the same store again after `closed` was closed. Needed (and then required) to test persistence when
   * the provider says it is persistent.
   */
  reopen?: (closed: StorageProvider) => Promise<StorageProvider>;
  /** fast-check runs per property. @default 25 */
  propertyRuns?: number;
}

export const T0 = 1_700_000_000_000;
export const ANN = 1001n;
export const BOB = 1002n;
export const CHAT = -4242n;
export const CHANNEL = -1_000_000_000_000n - 777n;

export type ErrorClass = abstract new (...args: never[]) => PmError;

export async function expectError(
  run: () => Promise<unknown>,
  type: ErrorClass,
  mentions: string,
): Promise<PmError> {
  let caught: unknown;
  try {
    await run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(type);
  const error = caught as PmError;
  expect(error.message).toContain(mentions);
  return error;
}

export function user(id: bigint, fields: Partial<PeerInput> = {}): PeerInput {
  return { id, type: 'user', accessHash: id * 7n, ...fields };
}

/** A complete stored record of a user (for a provider's own tests of its raw repositories), with `fields` over it. */
export function sampleRecord(id: bigint, fields: Partial<PeerRecord> = {}): PeerRecord {
  return {
    id,
    type: 'user',
    accessHash: 1n,
    min: false,
    usernames: ['repo_ann'],
    firstName: 'A',
    lastName: null,
    title: null,
    phone: null,
    langCode: null,
    langCodeSeenAt: null,
    premium: null,
    verified: null,
    deleted: false,
    photoId: null,
    firstSeen: 1,
    lastSeen: 2,
    lastUpdated: 3,
    ...fields,
  };
}

export function dialog(userId: bigint, fields: Partial<DialogState> = {}): DialogState {
  return {
    ...emptyDialogState(userId),
    ...fields,
  };
}

/**
 * The state of one provider's suite. `provider`, `cache` and `now` are replaced before each test (and by tests that
 * reopen the store), so topics read them through this object at run time.
 */
export interface Suite {
  readonly name: string;
  /** Opens a fresh, empty store. */
  readonly makeProvider: () => Promise<StorageProvider>;
  readonly options: StorageConformanceOptions;
  /** fast-check runs per property. */
  readonly runs: number;
  provider: StorageProvider;
  cache: PeerCache;
  /** The clock of `cache`, in ms. */
  now: number;
  /** A peer cache over `storage` on the suite's clock. */
  open(storage: StorageProvider): PeerCache;
  /** Reads through a second cache with an empty LRU, so the answer comes from storage. */
  fromStorage(id: bigint): Promise<PeerRecord | undefined>;
}
