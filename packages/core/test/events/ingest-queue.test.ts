import { describe, expect, it } from 'vitest';
import { IngestQueue } from '../../src/client/ingest.js';
import type { PmEvents } from '../../src/client/options.js';
import { TypedEmitter } from '../../src/events.js';
import { createLog } from '../../src/log.js';
import { createMemoryStorage } from '../../src/storage/memory/index.js';
import { PeerCache } from '../../src/storage/peer-cache.js';

describe('IngestQueue', () => {
  it('says it is idle only once every queued batch is in the cache and its profile changes were told', async () => {
    const peers = new PeerCache({ storage: createMemoryStorage() });
    const emitter = new TypedEmitter<PmEvents>();
    let release!: () => void;
    const told: string[] = [];
    emitter.on('profileChanged', async (e) => {
      await new Promise<void>((r) => (release = r));
      told.push(e.user.firstName ?? '');
    });
    const queue = new IngestQueue(peers, emitter, createLog('storage'));
    expect(queue.isIdle).toBe(true);
    await queue.add([{ id: 5n, type: 'user', accessHash: 1n, firstName: 'Ann' }]);
    expect(queue.isIdle).toBe(true);
    const renamed = queue.add([{ id: 5n, type: 'user', accessHash: 1n, firstName: 'Anna' }]);
    expect(queue.isIdle).toBe(false);
    await new Promise((r) => setTimeout(r, 5));
    expect(queue.isIdle).toBe(false); // stored, but its profileChanged listener still runs
    release();
    await renamed;
    expect(told).toEqual(['Anna']);
    expect(queue.isIdle).toBe(true);
    await peers.close();
  });
});
