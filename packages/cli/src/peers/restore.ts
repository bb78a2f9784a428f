/**
 * Writing imported peers into a storage. pm's own exports carry whole records (first/last seen, language seen
 * at...): a peer the storage does not know yet is written as is, so export → import → export gives the same
 * file. Everything else (foreign formats, peers already known, usernames or phones held by another peer) goes
 * through the peer cache's merge rules, like any other sighting.
 */
import { PeerCache, type PeerInput, type PeerRecord, type StorageProvider } from '@pm/core';

export interface RestoreCounts {
  /** New peers written exactly as exported. */
  restored: number;
  /** Peers merged by the cache's rules (foreign sources, known peers, conflicts). */
  merged: number;
}

export interface RestoreOptions {
  /** Peers handled per transaction. @default 25_000 */
  readonly batchSize?: number;
  /** Called after each batch with the counts so far. */
  readonly onProgress?: (counts: RestoreCounts) => void;
}

const lower = (s: string): string => s.toLowerCase();

/** A record from pm's export: every field present, timestamps included. */
function isWholeRecord(p: PeerInput): p is PeerRecord {
  const r = p as Partial<PeerRecord>;
  return (
    typeof r.firstSeen === 'number' && typeof r.lastSeen === 'number' && typeof r.lastUpdated === 'number'
  );
}

export async function restorePeers(
  storage: StorageProvider,
  records: AsyncIterable<PeerInput>,
  options: RestoreOptions = {},
): Promise<RestoreCounts> {
  const size = options.batchSize ?? 25_000;
  const counts: RestoreCounts = { restored: 0, merged: 0 };
  let batch: PeerInput[] = [];
  const run = async () => {
    await writeBatch(storage, batch, counts);
    batch = [];
    options.onProgress?.({ ...counts });
  };
  for await (const record of records) {
    batch.push(record);
    if (batch.length >= size) await run();
  }
  if (batch.length > 0) await run();
  return counts;
}

async function writeBatch(
  storage: StorageProvider,
  batch: PeerInput[],
  counts: RestoreCounts,
): Promise<void> {
  const whole = batch.filter(isWholeRecord);
  const existing = await storage.peers.getMany(whole.map((r) => r.id));
  const owners = await storage.usernames.resolveMany([
    ...new Set(whole.flatMap((r) => r.usernames.map(lower))),
  ]);
  const phones = await storage.peers.findByPhones([
    ...new Set(whole.flatMap((r) => (r.phone ? [r.phone] : []))),
  ]);
  const direct: PeerRecord[] = [];
  const rest: PeerInput[] = [];
  const claimedIds = new Set<bigint>();
  const claimedNames = new Set<string>();
  const claimedPhones = new Set<string>();
  for (const r of batch) {
    const free =
      isWholeRecord(r) &&
      !existing.has(r.id) &&
      !claimedIds.has(r.id) &&
      r.usernames.every((u) => {
        const owner = owners.get(lower(u));
        return (owner === undefined || owner === r.id) && !claimedNames.has(lower(u));
      }) &&
      (r.phone === null || ((phones.get(r.phone) ?? r.id) === r.id && !claimedPhones.has(r.phone)));
    claimedIds.add(r.id);
    if (free) {
      for (const u of r.usernames) claimedNames.add(lower(u));
      if (r.phone) claimedPhones.add(r.phone);
      direct.push(r);
    } else rest.push(r);
  }
  if (direct.length > 0) {
    await storage.transaction(async (tx) => {
      await tx.peers.upsertMany(direct);
      await tx.usernames.replaceForPeers(
        direct.map((r) => ({ peerId: r.id, usernames: r.usernames, isNew: true, withRecord: true })),
      );
    });
    counts.restored += direct.length;
  }
  if (rest.length > 0) {
    // A fresh cache per batch: nothing it holds in memory can predate the direct writes above.
    const cache = new PeerCache({ storage, closeStorage: false });
    try {
      await cache.upsert(rest);
      await cache.flush();
    } finally {
      await cache.close();
    }
    counts.merged += rest.length;
  }
}
