export { createStoreStatements, createTableStatements, sqlType } from './ddl.js';
export {
  compareSchemas,
  describedSchema,
  type LiveColumn,
  type LiveIndex,
  type LiveSchema,
  type LiveTable,
  sqliteSchemaOf,
} from './live.js';
export { PEER_COLUMNS, type PeerColumn, type PeerRowCodec, peerRowCodec } from './peer-codec.js';
export {
  type ColumnSpec,
  type ColumnType,
  columnsIn,
  type Dialect,
  type IndexSpec,
  indexesIn,
  primaryKeyIn,
  STORE_TABLES,
  type TableSpec,
  tableSpec,
} from './tables.js';
