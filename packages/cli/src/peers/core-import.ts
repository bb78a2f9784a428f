/**
 * The import/export API of @pm/core. It is not re-exported from '@pm/core' yet, so it is reached through the
 * package's sources here, in one place; switch this to '@pm/core' once the index exports it.
 */
export {
  type ExportFormat,
  exportPeers,
  ImportError,
  type ImportFormat,
  type ImportResult,
  ImportRowError,
  importPeers,
  readExport,
} from '../../../core/src/import/index.js';
