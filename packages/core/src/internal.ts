/**
 * `@pm/core/internal`: helpers pm's own packages share (the PostgreSQL provider and the CLI use them). Not part of the
 * public API: they may change in any release.
 */
export { backoffDelay } from './connection/options.js';
export { EXPORT_FIELDS } from './import/export-schema.js';
export { type RetryOptions, retry } from './retry.js';
