/**
 * The shared storage conformance suite (`@pm/core/conformance`). Every provider runs it from its own test file:
 *
 * ```ts
 * import { describeStorageConformance } from '@pm/core/conformance';
 * describeStorageConformance('postgres', () => openPostgresStorage({ ... }), { reopen: (p) => ... });
 * ```
 *
 * It registers vitest `describe`/`it` blocks for the merge rules (through `PeerCache`), bad input, history,
 * iteration, deletion, 64-bit edge values, persistence across reopen (for persistent providers), the raw
 * repositories (idempotent writes, transactions) and fast-check properties of the merge rules. It needs `vitest`
 * and `fast-check`, optional peer dependencies of `@pm/core`: only this entry point imports them.
 */
export { type StorageConformanceOptions, sampleRecord } from './fixtures.js';
export { describeStorageConformance } from './suite.js';
