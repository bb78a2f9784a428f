import type { Clock } from '../clock.js';
import { NetworkError } from '../errors.js';
import { UsernameInvalidError, UsernameNotOccupiedError } from '../rpc-errors.js';
import type { PeerCache } from '../storage/peer-cache.js';
import type { PeerRecord } from '../storage/types.js';
import { NotAUserError, PeerNotFoundError, PeerNotSeenError } from './errors.js';
import { type PeerRef, parsePeerRef } from './peer-ref.js';

export interface ResolverDeps {
  readonly peers: PeerCache;
  readonly clock: Clock;
  /** A cached username older than this (by the record's lastSeen) is checked with Telegram again. */
  readonly trustWindowMs: number;
  /** contacts.resolveUsername; ingests what it returns and answers the marked id. */
  resolveUsername(username: string): Promise<bigint>;
}

/**
 * Resolves any PeerRef to a peer record: cache first; `contacts.resolveUsername` only on a miss or when the cached
 * username is older than the trust window. A malformed reference fails before any network call.
 */
export class Resolver {
  /** Network look-ups made so far (tests and stats). */
  networkLookups = 0;

  constructor(private readonly deps: ResolverDeps) {}

  async resolvePeer(ref: PeerRef): Promise<PeerRecord> {
    const parsed = parsePeerRef(ref);
    if (parsed.kind === 'id') {
      const rec = await this.deps.peers.get(parsed.id);
      if (!rec) throw new PeerNotSeenError(parsed.id);
      return rec;
    }
    const cached = await this.deps.peers.getByUsername(parsed.username);
    if (cached && this.deps.clock.now() - cached.lastSeen <= this.deps.trustWindowMs) return cached;
    let id: bigint;
    try {
      this.networkLookups++;
      id = await this.deps.resolveUsername(parsed.username);
    } catch (e) {
      if (e instanceof UsernameNotOccupiedError || e instanceof UsernameInvalidError) {
        throw new PeerNotFoundError(parsed.username);
      }
      // Telegram unreachable: a stale cached answer beats none.
      if (cached && e instanceof NetworkError) return cached;
      throw e;
    }
    const rec = await this.deps.peers.get(id);
    if (!rec) throw new PeerNotSeenError(id);
    return rec;
  }

  async resolveUser(ref: PeerRef): Promise<PeerRecord> {
    const rec = await this.resolvePeer(ref);
    if (rec.type !== 'user' && rec.type !== 'bot') throw new NotAUserError(rec.id, rec.type);
    return rec;
  }
}
