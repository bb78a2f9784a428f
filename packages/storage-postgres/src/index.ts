export type { PeerChangeListener } from './change-feed.js';
export { POSTGRES_DEFAULTS } from './defaults.js';
export { PostgresDriver, type PostgresStorageOptions, redactUrl } from './driver.js';
export { type PostgresFailure, PostgresStorageError } from './errors.js';
export { LATEST_POSTGRES_SCHEMA_VERSION } from './migrations.js';
export { type InvalidatablePeerCache, openPostgresStorage, PostgresStorageProvider } from './provider.js';
export type { PeerChanges } from './write-context.js';
