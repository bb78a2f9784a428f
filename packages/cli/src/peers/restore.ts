/**
 * Writing imported peers into a storage. pm's own exports carry whole records (first/last seen, language seen
 * at...): a peer the storage does not know yet is written as is, so export → import → export gives the same
 * file. Everything else (foreign formats, peers already known, usernames or phones held by another peer) goes
 * through the peer cache's merge rules, like any other sighting.
 */
import {
  type PackedPeers,
  PeerCache,
  type PeerGroup,
  type PeerInput,
  type PeerRecord,
  recordsOf,
  type StorageProvider,
} from '@pm/core';
import { EXPORT_FIELDS } from '@pm/core/internal';

export interface RestoreCounts {
  /** New peers written exactly as exported. */
  restored: number;
  /** Peers merged by the cache's rules (foreign sources, known peers, conflicts). */
  merged: number;
}

export interface RestoreOptions {
  /** Peers handled per transaction on the merge path. @default 25_000 */
  readonly batchSize?: number;
  /**
   * Into an empty store that offers it (SQLite), load pm's whole records in one transaction with the indexes built
   * once (`StorageProvider.bulkLoadPeers`) for as long as they come sorted by id. @default true
   */
  readonly bulk?: boolean;
  /** Called after each batch with the counts so far. */
  readonly onProgress?: (counts: RestoreCounts) => void;
}

/** Records one by one, or (as `importPeers` hands out pm's exports) also in groups. */
export type RestoreSource =
  | AsyncIterable<PeerInput>
  | {
      readonly records: AsyncIterable<PeerInput>;
      readonly batches?: AsyncIterable<readonly PeerInput[]>;
      readonly groups?: AsyncIterable<PeerGroup>;
    };

const lower = (s: string): string => s.toLowerCase();

/**
 * A record from pm's export: every field present, timestamps included. (An import leaves out usernames or a phone
 * pm would refuse, as unknown: such a record is merged.)
 */
function isWholeRecord(p: PeerInput): p is PeerRecord {
  const r = p as Partial<PeerRecord>;
  return (
    typeof r.firstSeen === 'number' &&
    typeof r.lastSeen === 'number' &&
    typeof r.lastUpdated === 'number' &&
    Array.isArray(r.usernames) &&
    EXPORT_FIELDS.every((f) => r[f] !== undefined)
  );
}

/** The records of a group, unpacked. */
const unpacked = (group: PeerGroup | readonly PeerInput[]): readonly PeerInput[] =>
  Array.isArray(group) ? group : recordsOf(group as PackedPeers);

async function* grouped(records: AsyncIterable<PeerInput>, size: number): AsyncGenerator<PeerInput[]> {
  let group: PeerInput[] = [];
  for await (const record of records) {
    group.push(record);
    if (group.length >= size) {
      yield group;
      group = [];
    }
  }
  if (group.length > 0) yield group;
}

export async function restorePeers(
  storage: StorageProvider,
  source: RestoreSource,
  options: RestoreOptions = {},
): Promise<RestoreCounts> {
  const size = options.batchSize ?? 25_000;
  const counts: RestoreCounts = { restored: 0, merged: 0 };
  const groups: AsyncIterable<PeerGroup | readonly PeerInput[]> =
    Symbol.asyncIterator in source
      ? grouped(source, size)
      : (source.groups ?? source.batches ?? grouped(source.records, size));
  const it = groups[Symbol.asyncIterator]();
  let batch: PeerInput[] = [];
  const run = async () => {
    await writeBatch(storage, batch, counts);
    batch = [];
    options.onProgress?.({ ...counts });
  };
  const add = async (group: PeerGroup | readonly PeerInput[]) => {
    for (const record of unpacked(group)) {
      batch.push(record);
      if (batch.length >= size) await run();
    }
  };

  if (storage.bulkLoadPeers !== undefined && (options.bulk ?? true)) {
    // The bulk load takes records while they come whole and sorted; the first that does not, and all after it,
    // take the merge path below.
    let rest: readonly PeerInput[] = [];
    let last: bigint | undefined;
    async function* sorted(): AsyncGenerator<PeerGroup> {
      for (;;) {
        const next = await it.next();
        if (next.done) return;
        const packed = next.value;
        if (!Array.isArray(packed)) {
          // Whole records, ids increasing within: as they are when they follow the last.
          const p = packed as PackedPeers;
          if (last === undefined || p.firstId > last) {
            last = p.lastId;
            yield p;
            continue;
          }
        }
        const group = unpacked(packed);
        let i = 0;
        for (; i < group.length; i++) {
          const r = group[i] as PeerInput;
          if (!isWholeRecord(r) || (last !== undefined && !(r.id > last))) break;
          last = r.id;
        }
        if (i === group.length) {
          yield group as readonly PeerRecord[];
          continue;
        }
        if (i > 0) yield group.slice(0, i) as PeerRecord[];
        rest = group.slice(i);
        return;
      }
    }
    const loaded = await storage.bulkLoadPeers(sorted());
    if (loaded !== undefined) {
      counts.restored += loaded.loaded;
      options.onProgress?.({ ...counts });
      // Records that lost a username or phone to an earlier one: merged, as the per-batch path would.
      await add(loaded.deferred);
    }
    await add(rest);
  }
  for (;;) {
    const next = await it.next();
    if (next.done) break;
    await add(next.value);
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
