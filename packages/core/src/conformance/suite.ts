import { afterEach, beforeEach, describe } from 'vitest';
import { PeerCache } from '../storage/peer-cache.js';
import type { StorageProvider } from '../storage/types.js';
import { describeBroadcasts } from './broadcasts.js';
import { describeChanges } from './changes.js';
import { describeEdges } from './edges.js';
import { type StorageConformanceOptions, type Suite, T0 } from './fixtures.js';
import { describeLifecycle } from './lifecycle.js';
import { describeProperties } from './properties.js';
import { describeRecords } from './records.js';
import { describeRepositories } from './repositories.js';

/** Registers the conformance suite for one provider. `makeProvider` must return a fresh, empty store each call. */
export function describeStorageConformance(
  name: string,
  makeProvider: () => Promise<StorageProvider>,
  options: StorageConformanceOptions = {},
): void {
  describe(`storage conformance: ${name}`, () => {
    const s: Suite = {
      name,
      makeProvider,
      options,
      runs: options.propertyRuns ?? 25,
      // Set in beforeEach, before any test reads them.
      provider: undefined as unknown as StorageProvider,
      cache: undefined as unknown as PeerCache,
      now: T0,
      open: (storage) =>
        new PeerCache({
          storage,
          now: () => s.now,
          flushDelayMs: 5,
          cacheSize: 100,
          lastSeenResolutionMs: 0,
        }),
      fromStorage: async (id) => {
        await s.cache.flush();
        return new PeerCache({ storage: s.provider, closeStorage: false }).get(id);
      },
    };

    beforeEach(async () => {
      s.now = T0;
      s.provider = await makeProvider();
      s.cache = s.open(s.provider);
    });

    afterEach(async () => {
      await s.cache.close();
    });

    describeRecords(s);
    describeChanges(s);
    describeEdges(s);
    describeLifecycle(s);
    describeRepositories(s);
    describeBroadcasts(s);
    describeProperties(s);
  });
}
