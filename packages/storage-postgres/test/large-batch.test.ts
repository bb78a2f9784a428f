/**
 * A write-behind batch as large as PeerCache makes them under load (50,000 peers) in one transaction: the advisory
 * locks that order writers are taken per bucket of peers, so the batch fits the server's lock table. One lock per
 * peer failed it with "out of shared memory" (53200), a store failure PeerCache retried forever.
 */
import { sampleRecord } from '@pm/core/conformance';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { dropSchemas, openTestStorage, PG_URL, SKIP_MESSAGE } from './pg.js';

afterAll(dropSchemas);

const record = (id: bigint) =>
  sampleRecord(id, {
    accessHash: id * 3n,
    usernames: [`big_${id}`],
    firstName: 'Big',
    lastSeen: 1,
    lastUpdated: 1,
  });

describe.skipIf(!PG_URL)(PG_URL ? 'postgres: a large batch' : SKIP_MESSAGE, () => {
  it('writes more new peers in one transaction than the server has lock slots', async () => {
    // The shared lock table holds about max_locks_per_transaction × max_connections locks.
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    const { rows } = await client.query<{ n: string }>(
      "SELECT (current_setting('max_locks_per_transaction')::int * current_setting('max_connections')::int)::text AS n",
    );
    await client.end();
    const peers = Math.min(100_000, 2 * Number(rows[0]?.n ?? 0));
    const store = await openTestStorage();
    try {
      const records = Array.from({ length: peers }, (_, i) => record(BigInt(i + 1)));
      await store.transaction(async (tx) => {
        for (let i = 0; i < records.length; i += 5000) await tx.peers.upsertMany(records.slice(i, i + 5000));
      });
      expect(await store.peers.count()).toBe(peers);
      expect(await store.usernames.resolveMany([`big_${peers}`])).toEqual(
        new Map([[`big_${peers}`, BigInt(peers)]]),
      );
    } finally {
      await store.close();
    }
  }, 180_000);
});
