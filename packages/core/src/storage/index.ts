export {
  countsFromGroups,
  type JobRow,
  jobFromRow,
  type RecipientRow,
  recipientFromRow,
} from './broadcast-rows.js';
export type {
  BroadcastCounts,
  BroadcastJob,
  BroadcastJobStatus,
  BroadcastRecipient,
  BroadcastRepository,
  RecipientStatus,
} from './broadcast-types.js';
export { PEER_CACHE_DEFAULTS, SQLITE_DEFAULTS } from './defaults.js';
export { createMemoryStorage, MemoryStorageProvider } from './memory/index.js';
export {
  isPacked,
  PACKED_WIDTH,
  type PackedPeers,
  type PeerGroup,
  packRecord,
  recordsOf,
  unpack,
} from './packed-peers.js';
export { PeerCache, type PeerCacheOptions } from './peer-cache.js';
export {
  CHANNEL_ID_OFFSET,
  INT64_MAX,
  INT64_MIN,
  markPeerId,
  parsePeerId,
  peerKindOf,
  unmarkPeerId,
} from './peer-ids.js';
export * from './schema/index.js';
export {
  LATEST_SCHEMA_VERSION,
  openSqliteStorage,
  type SqliteStorageOptions,
  SqliteStorageProvider,
} from './sqlite/index.js';
export type {
  BulkLoadResult,
  DialogRepository,
  DialogStartVia,
  DialogState,
  Displacement,
  FieldChange,
  HistoryEntry,
  HistoryField,
  HistoryRepository,
  InputPeerDescriptor,
  KeyValueRepository,
  PeerInput,
  PeerKind,
  PeerRecord,
  PeerRepository,
  PeerType,
  SalvageLoss,
  SalvageReport,
  StorageProvider,
  StorageRepositories,
  TrackedField,
  UpsertResult,
  UsernameRepository,
} from './types.js';
export { HISTORY_FIELDS } from './types.js';
export { normalizePhone, normalizeUsernameQuery, USERNAME_RULE } from './validate.js';
