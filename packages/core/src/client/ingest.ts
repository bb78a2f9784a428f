import type { TypedEmitter } from '../events.js';
import { errorLine, type Log } from '../log.js';
import { profileChangeEvents } from '../profiles/profile.js';
import type { PeerCache } from '../storage/peer-cache.js';
import type { PeerInput, UpsertResult } from '../storage/types.js';
import type { PmEvents } from './options.js';

/**
 * The one path every user and chat sighting takes into the peer cache (from updates, RPC results, update fields),
 * in the order they arrived, each batch after the one before; emits `profileChanged` for what changed.
 */
export class IngestQueue {
  private queue: Promise<unknown> = Promise.resolve();
  /** Batches added and not yet stored and reported. */
  private inFlight = 0;

  constructor(
    private readonly peers: PeerCache,
    private readonly emitter: TypedEmitter<PmEvents>,
    private readonly log: Log,
  ) {}

  /** Queues sightings; resolves once they, and everything queued before, are in the cache and reported. */
  add(inputs: readonly PeerInput[]): Promise<void> {
    if (inputs.length === 0) return this.idle();
    this.inFlight++;
    const run = this.queue.then(async () => {
      try {
        let results: UpsertResult[];
        try {
          results = await this.peers.upsert(inputs);
        } catch (error) {
          this.log.error(`storing ${inputs.length} peer(s) failed: ${errorLine(error)}`);
          await this.emitter.emit('error', { error, where: 'ingest' });
          return;
        }
        for (const event of profileChangeEvents(results)) await this.emitter.emit('profileChanged', event);
      } finally {
        this.inFlight--;
      }
    });
    this.queue = run;
    return run;
  }

  /** Resolves when everything queued so far is in the cache. */
  idle(): Promise<void> {
    return this.queue.then(() => {});
  }

  /** Nothing queued is still being stored or reported: {@link idle} would resolve with nothing to wait for. */
  get isIdle(): boolean {
    return this.inFlight === 0;
  }
}
