export type { SqliteStorageOptions } from './driver.js';
export { SqliteDriver } from './driver.js';
export { LATEST_SCHEMA_VERSION } from './migrations.js';
export { openSqliteStorage, SqliteStorageProvider } from './provider.js';
