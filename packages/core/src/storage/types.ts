/**
 * Interfaces first: the records the peer cache keeps, and the repositories every storage provider implements.
 *
 * Ids. `PeerRecord.id` is the *marked* peer id Bot API and GramJS's `getPeerId()` use, so users, basic chats
 * and channels share one key space without colliding: a user is its own positive id, a basic chat is `-chatId`,
 * a channel or supergroup is `-1000000000000 - channelId`. {@link InputPeerDescriptor} carries the bare id
 * Telegram wants. All 64-bit values are `bigint` and never pass through a JS number.
 */

import type { BroadcastRepository } from './broadcast-types.js';

/** What kind of peer a record is. Bots are users with the `bot` flag; supergroups are megagroup channels. */
export type PeerType = 'user' | 'bot' | 'chat' | 'channel' | 'supergroup';

/** The three id spaces of Telegram, as in `InputPeerUser` / `InputPeerChat` / `InputPeerChannel`. */
export type PeerKind = 'user' | 'chat' | 'channel';

/** Everything the peer cache knows about one user, basic chat or channel. Immutable: a change is a new object. */
export interface PeerRecord {
  /** Marked peer id (see the module comment). */
  readonly id: bigint;
  readonly type: PeerType;
  /** Signed 64-bit access hash; null for basic chats and for peers seen without one. */
  readonly accessHash: bigint | null;
  /**
   * True while the stored access hash came from a `min` constructor (valid only in the message it came with),
   * or no access hash and no full constructor was seen. A full constructor's hash clears it for good.
   */
  readonly min: boolean;
  /** Active usernames as Telegram spells them (case kept), the main one first; collectible ones included. */
  readonly usernames: readonly string[];
  readonly firstName: string | null;
  readonly lastName: string | null;
  /** Title of a chat or channel; null for users. */
  readonly title: string | null;
  /** Digits only, without `+`. */
  readonly phone: string | null;
  /** Last known `lang_code` (Telegram leaves it out of many updates; it is never cleared). */
  readonly langCode: string | null;
  /** When `langCode` was last seen in an update (ms), null if never. */
  readonly langCodeSeenAt: number | null;
  /** null: not known (e.g. only seen as `min`). */
  readonly premium: boolean | null;
  readonly verified: boolean | null;
  /** A deleted account (`UserEmpty`, `user.deleted`) or an empty chat: marked, never dropped. */
  readonly deleted: boolean;
  readonly photoId: bigint | null;
  /** First time this peer was ingested (ms, from the injected clock). */
  readonly firstSeen: number;
  /** Last time this peer was ingested, changed or not. */
  readonly lastSeen: number;
  /** Last time a field (not a timestamp) changed. */
  readonly lastUpdated: number;
}

/**
 * A sighting of a peer, as handed to `PeerCache.upsert()`: from `gram/entities.ts` or from the project's own
 * records (a {@link PeerRecord} is accepted as is). `undefined` means "not in this sighting, keep what is known";
 * `null` means "known to be empty" (e.g. the user removed their last name).
 */
export interface PeerInput {
  /** Marked peer id. */
  readonly id: bigint;
  /** Inferred from the id when absent: user for positive ids (keeping a known `bot`), chat, or channel. */
  readonly type?: PeerType | undefined;
  readonly accessHash?: bigint | null | undefined;
  /** The sighting came from a `min` constructor. @default false */
  readonly min?: boolean | undefined;
  readonly usernames?: readonly string[] | undefined;
  readonly firstName?: string | null | undefined;
  readonly lastName?: string | null | undefined;
  readonly title?: string | null | undefined;
  /** Digits, optionally with `+`, spaces, dashes or brackets, which are dropped. */
  readonly phone?: string | null | undefined;
  /** `null` is treated like `undefined`: a missing lang code keeps the last known one. */
  readonly langCode?: string | null | undefined;
  readonly premium?: boolean | null | undefined;
  readonly verified?: boolean | null | undefined;
  readonly deleted?: boolean | undefined;
  readonly photoId?: bigint | null | undefined;
}

/** Fields whose changes `upsert()` reports. */
export type TrackedField =
  | 'type'
  | 'accessHash'
  | 'min'
  | 'usernames'
  | 'firstName'
  | 'lastName'
  | 'title'
  | 'phone'
  | 'langCode'
  | 'premium'
  | 'verified'
  | 'deleted'
  | 'photoId';

/** Fields whose changes are also kept as history rows. */
export type HistoryField = 'firstName' | 'lastName' | 'title' | 'usernames' | 'phone' | 'langCode';

/** The history fields, in the order changes are reported. */
export const HISTORY_FIELDS: readonly HistoryField[] = [
  'firstName',
  'lastName',
  'title',
  'usernames',
  'phone',
  'langCode',
];

/** One field's before/after, typed by field. */
export type FieldChange = {
  [F in TrackedField]: { field: F; before: PeerRecord[F]; after: PeerRecord[F] };
}[TrackedField];

/** One history row: a change of a {@link HistoryField} at a time (ms). */
export type HistoryEntry = {
  [F in HistoryField]: { peerId: bigint; field: F; before: PeerRecord[F]; after: PeerRecord[F]; at: number };
}[HistoryField];

/** What `upsert()` did with one input record. */
export interface UpsertResult {
  /** The record as stored after the merge. */
  readonly record: PeerRecord;
  /** The record before, undefined when created. */
  readonly before: PeerRecord | undefined;
  readonly created: boolean;
  /** Changed fields; empty for an unchanged re-ingest (which still moves `lastSeen`). */
  readonly changes: readonly FieldChange[];
  /** Other peers that lost a username or phone to this one; their records changed too. */
  readonly displaced: readonly Displacement[];
}

/** A username or phone moving from its old owner to the peer being ingested. */
export interface Displacement {
  readonly from: bigint;
  readonly field: 'usernames' | 'phone';
  readonly value: string;
  /** The old owner before losing the value. */
  readonly before: PeerRecord;
  /** The old owner after losing the value. */
  readonly record: PeerRecord;
  readonly changes: readonly FieldChange[];
}

/** What GramJS needs to address a peer; `gram/entities.ts` turns it into `Api.InputPeer*`. */
export interface InputPeerDescriptor {
  readonly kind: PeerKind;
  /** The bare (unmarked) id. */
  readonly id: bigint;
  /** 0n for basic chats. */
  readonly accessHash: bigint;
  /** The hash came from a `min` constructor and may be refused outside its original context. */
  readonly min: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// Dialog state (written by the dialogs/blocks modules, stored here so every provider keeps it)
// ---------------------------------------------------------------------------------------------------------------

/** How a private dialog with the bot started. */
export type DialogStartVia = 'start' | 'join-request' | 'login-widget' | 'message';

/** Per-user dialog state. */
export interface DialogState {
  readonly userId: bigint;
  readonly startedAt: number | null;
  readonly via: DialogStartVia | null;
  /** The deep-link payload of `/start <payload>`. */
  readonly payload: string | null;
  /**
   * The id of the message that started the dialog (`/start` or a first message), null for starts without one
   * (join request, Login Widget). A replay of that message after a crash is recognised as the same start.
   */
  readonly startMessageId: number | null;
  readonly blocked: boolean;
  readonly blockedSince: number | null;
  readonly lastMessageAt: number | null;
}

/** The state of a user the bot has no dialog with yet. */
export function emptyDialogState(userId: bigint): DialogState {
  return {
    userId,
    startedAt: null,
    via: null,
    payload: null,
    startMessageId: null,
    blocked: false,
    blockedSince: null,
    lastMessageAt: null,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Repositories. Writes are idempotent upserts/deletes so that a retried batch is harmless and a SQL provider can
// express each as one statement; the merge rules live in the service (peer-cache.ts), not here.
// ---------------------------------------------------------------------------------------------------------------

/** Peer rows, keyed by marked id. */
export interface PeerRepository {
  get(id: bigint): Promise<PeerRecord | undefined>;
  /**
   * Optional: the same as {@link get}, answered at once, for stores whose reads are synchronous (SQLite, memory).
   * PeerCache's lookups that miss its memory read through it when present, without a promise per layer.
   */
  getNow?(id: bigint): PeerRecord | undefined;
  /** Records found among `ids`; missing ids are absent from the map. */
  getMany(ids: readonly bigint[]): Promise<Map<bigint, PeerRecord>>;
  /** Current holders of normalized phones (digits only). */
  findByPhones(phones: readonly string[]): Promise<Map<string, bigint>>;
  /**
   * Insert or replace whole records. A record older than the stored one of the same kind (both min or both full;
   * its `lastSeen`, the time of its last sighting, or its `lastUpdated`, when its fields last changed, is earlier)
   * changes none of the stored fields:
   * with several processes, a delayed write must not bring back what another process saw since. (PostgreSQL,
   * merging in SQL, still takes the newer access hash or lang code.)
   */
  upsertMany(records: readonly PeerRecord[]): Promise<void>;
  deleteMany(ids: readonly bigint[]): Promise<void>;
  count(): Promise<number>;
  /** Up to `limit` records with id > `after` (all when null), ascending by id: keyset pagination. */
  page(after: bigint | null, limit: number): Promise<PeerRecord[]>;
}

/** The usernames one peer should own, for {@link UsernameRepository.replaceForPeers}. */
export interface UsernameEntry {
  readonly peerId: bigint;
  readonly usernames: readonly string[];
  readonly isNew?: boolean;
  /**
   * A hint: the peer's record holding these usernames is written by `peers.upsertMany` in the same transaction, so a
   * provider that indexes a record's first username with the record itself (SQLite) need not index it again.
   */
  readonly withRecord?: boolean;
}

/** The username index: lower-cased username → owner. One row per active username. */
export interface UsernameRepository {
  /** Owners of lower-cased usernames; unknown names are absent. */
  resolveMany(lowerNames: readonly string[]): Promise<Map<string, bigint>>;
  /** Optional: the owner of one lower-cased username (undefined if none), answered at once, as {@link PeerRepository.getNow}. */
  resolveNow?(lowerName: string): bigint | undefined;
  /**
   * Makes each peer own exactly the given usernames: drops the peer's other rows, and takes over a name from
   * whoever held it (the service has already updated that owner's record in the same batch). `isNew` is a hint
   * that the peer has no rows yet, so there is nothing to drop.
   */
  replaceForPeers(entries: readonly UsernameEntry[]): Promise<void>;
  deleteForPeers(peerIds: readonly bigint[]): Promise<void>;
}

/** Append-only change history. */
export interface HistoryRepository {
  append(entries: readonly HistoryEntry[]): Promise<void>;
  /** Oldest first, in append order. */
  list(peerId: bigint): Promise<HistoryEntry[]>;
  deleteForPeers(peerIds: readonly bigint[]): Promise<void>;
}

/** Small string values under string keys (update state, session data, settings). */
export interface KeyValueRepository {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  /** Entries whose key starts with `prefix`, sorted by key. */
  list(prefix: string): Promise<[string, string][]>;
}

/** Per-user dialog state. */
export interface DialogRepository {
  get(userId: bigint): Promise<DialogState | undefined>;
  upsertMany(states: readonly DialogState[]): Promise<void>;
  deleteMany(userIds: readonly bigint[]): Promise<void>;
  /** Ascending by user id after `after` (all when null). */
  page(after: bigint | null, limit: number): Promise<DialogState[]>;
  count(filter?: { blocked?: boolean }): Promise<number>;
}

/**
 * The repositories a provider offers. New ones are added here as optional members first, so existing providers
 * keep compiling, and become required once all have them.
 */
export interface StorageRepositories {
  readonly peers: PeerRepository;
  readonly usernames: UsernameRepository;
  readonly history: HistoryRepository;
  readonly state: KeyValueRepository;
  readonly dialogs: DialogRepository;
  /** Resumable broadcasts (`broadcast-types.ts`). Outside transactions only. */
  readonly broadcasts?: BroadcastRepository | undefined;
}

/**
 * A storage provider: a driver (connection, migrations, transactions) plus its repositories. Factories such as
 * `openSqliteStorage()` return it opened and migrated.
 */
export interface StorageProvider extends StorageRepositories {
  /** For messages and test names, e.g. 'sqlite'. */
  readonly name: string;
  /** Data survives `close()` and a process restart. */
  readonly persistent: boolean;
  /** Several processes may use the store at once (e.g. PostgreSQL); memory and SQLite are single-process. */
  readonly shared?: boolean | undefined;
  /**
   * Shared stores: keeps a peer cache coherent with other processes (drops what they changed from its memory).
   * PmClient calls it on connect when present. Resolves once changes flow; returns the function that detaches.
   */
  attachPeerCache?(cache: {
    invalidate(ids: Iterable<bigint>): void;
    invalidateUsernames(lowerNames: Iterable<string>): void;
    invalidateAll(): void;
  }): Promise<() => void>;
  /**
   * Runs `fn` in one atomic transaction; `tx` offers the same repositories bound to it. Writes made outside `tx`
   * while it runs wait until it ends. If `fn` throws, nothing it wrote stays.
   */
  transaction<T>(fn: (tx: StorageRepositories) => Promise<T>): Promise<T>;
  /**
   * Checks the whole store for damage (SQLite: `PRAGMA integrity_check`): an empty list when it is sound, else
   * what was found. Absent when the provider has no such check.
   */
  check?(): Promise<string[]>;
  /**
   * Reads every peer record that can still be read from a damaged store, past the damage, in the order first stored
   * (SQLite: the table's own B-tree, each row on a sound page; see sqlite/salvage.ts); when the iteration ends,
   * `done` gets what was lost. A sound store gives every record. Absent when the provider has no such path.
   */
  salvagePeers?(done: (report: SalvageReport) => void): AsyncIterable<PeerRecord>;
  /**
   * Loads whole records, ids strictly increasing, into a store that holds no peers and no usernames, as one
   * transaction with the indexes built once at the end (SQLite). Resolves to undefined, having read nothing from
   * `batches`, when the store is not empty; then write through the peer cache. If `batches` or the load fails, the
   * store stays empty. A group is records or the same packed as rows (`PackedPeers`, what pm's export reader hands
   * out). SQLite: when no other connection has the file open, the load takes it to itself (a rollback journal
   * instead of the WAL, see driver.ts) and other processes wait for it to end to read the store. Absent when the
   * provider has no bulk path.
   */
  bulkLoadPeers?(batches: AsyncIterable<PeerGroup>): Promise<BulkLoadResult | undefined>;
  /** Idempotent. Any later call fails with `StorageError('STORAGE_CLOSED')`. */
  close(): Promise<void>;
}

/**
 * Records in id order packed as rows ready to bind (see packed-peers.ts for the values of a row): one group of a
 * bulk load, as pm's export reader hands it out.
 */
export interface PackedPeers {
  /** Rows: `count` × 19 values. */
  readonly values: readonly unknown[];
  readonly count: number;
  /**
   * If the packer computed them: `nameHash` of each row's lookup username (0 without one), so that the writer need
   * not (see packed-peers.ts).
   */
  readonly nameHashes?: Int32Array | undefined;
  /** The first row's id and the last one's; ids increase strictly from row to row. */
  readonly firstId: bigint;
  readonly lastId: bigint;
}

/** A group of a bulk load: records, or the same packed. */
export type PeerGroup = readonly PeerRecord[] | PackedPeers;

/** What {@link StorageProvider.bulkLoadPeers} did. */
export interface BulkLoadResult {
  /** Records written as given. */
  readonly loaded: number;
  /**
   * Records that claim a username or phone an earlier record of the load claimed first, in load order; they are
   * not in the store: merge them (through the peer cache) after the load, as any other sighting.
   */
  readonly deferred: PeerRecord[];
}

/** What a salvage could not read. */
export type SalvageLoss =
  /**
   * Rows stored at `seq`s `fromSeq..throughSeq` (inclusive; SQLite: the row's place in its table) sit on or beside
   * damaged pages: each was then read on its own, those that read are among the records, and `unread` seqs could
   * not be read (some may have held no row).
   */
  | {
      readonly kind: 'damaged';
      readonly fromSeq: bigint;
      readonly throughSeq: bigint;
      /** Null when the stretch was too long to read seq by seq (a damaged root page). */
      readonly unread: bigint | null;
      readonly reason: string;
    }
  /** A row that could be read but not decoded into a record. */
  | { readonly kind: 'record'; readonly id: bigint; readonly reason: string };

/** What a salvage found, when it ended. */
export interface SalvageReport {
  /** Records read and handed out. */
  readonly records: number;
  /** Each damaged stretch and each row set aside, in the order met. */
  readonly losses: readonly SalvageLoss[];
  /**
   * Ids of the rows lost on damaged pages, as the `peers_id` index still maps them (at most 1000 named), and how
   * many the index maps in all; undefined when nothing was lost or the index cannot be read either.
   */
  readonly lostIds?:
    | {
        readonly count: number;
        readonly ids: readonly bigint[];
        /** False when the index is damaged too: more peers may be lost than it names. */
        readonly complete: boolean;
      }
    | undefined;
}
