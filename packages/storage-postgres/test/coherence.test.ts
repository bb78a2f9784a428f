/** Cross-process cache coherence over LISTEN/NOTIFY, with two providers (two pools) standing for two processes. */
import { PeerCache, type PeerInput } from '@pm/core';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PostgresStorageProvider } from '../src/index.js';
import { dropSchemas, freshSchema, openTestStorage, PG_URL, SKIP_MESSAGE } from './pg.js';

afterAll(dropSchemas);

const ANN = 2001n;
const BOB = 2002n;
const user = (id: bigint, fields: Partial<PeerInput> = {}): PeerInput => ({ id, type: 'user', ...fields });

describe.skipIf(!PG_URL)(PG_URL ? 'cache coherence between processes' : SKIP_MESSAGE, () => {
  let a: PostgresStorageProvider;
  let b: PostgresStorageProvider;
  let ca: PeerCache;
  let cb: PeerCache;
  let detach: () => void;

  beforeEach(async () => {
    const schema = freshSchema('coherence');
    a = await openTestStorage({ schema });
    b = await openTestStorage({ schema });
    ca = new PeerCache({ storage: a, flushDelayMs: 5 });
    cb = new PeerCache({ storage: b, flushDelayMs: 5 });
    detach = await a.attachPeerCache(ca);
  });
  afterEach(async () => {
    detach();
    await ca.close();
    await cb.close();
  });

  it('stops resolving the old owner of a username another process moved', async () => {
    await cb.upsert([
      user(ANN, { accessHash: 1n, usernames: ['moving_name'] }),
      user(BOB, { accessHash: 2n }),
    ]);
    await cb.flush();
    // A caches the owner and the record (the LRU answers from now on).
    expect((await ca.getByUsername('moving_name'))?.id).toBe(ANN);
    expect(ca.peekInputPeer('moving_name')?.id).toBe(ANN);
    // An unattached cache on A's store shows what the notifications are for: it keeps answering from memory.
    const deaf = new PeerCache({ storage: a, closeStorage: false });
    expect((await deaf.getByUsername('moving_name'))?.id).toBe(ANN);

    await cb.upsert([user(BOB, { usernames: ['moving_name'] })]);
    await cb.flush();
    await expect.poll(() => ca.peekInputPeer('moving_name'), { timeout: 5000, interval: 10 }).toBeUndefined();
    expect((await ca.getByUsername('moving_name'))?.id).toBe(BOB);
    expect((await ca.get(ANN))?.usernames).toEqual([]);
    expect((await deaf.getByUsername('moving_name'))?.id).toBe(ANN);
  });

  it('drops a peer another process changed, so the next read sees the change', async () => {
    await cb.upsert([user(ANN, { accessHash: 1n, min: true, firstName: 'Ann' })]);
    await cb.flush();
    expect(await ca.inputPeerFor(ANN)).toMatchObject({ accessHash: 1n, min: true });
    await cb.upsert([user(ANN, { accessHash: 9n, firstName: 'Ann' })]);
    await cb.flush();
    await expect.poll(() => ca.peek(ANN), { timeout: 5000, interval: 10 }).toBeUndefined();
    expect(await ca.inputPeerFor(ANN)).toMatchObject({ accessHash: 9n, min: false });
  });

  it("forgets its own write where the stored row kept another process's full hash", async () => {
    await ca.upsert([user(ANN, { accessHash: 1n, min: true })]);
    await ca.flush();
    expect(ca.peek(ANN)).toMatchObject({ accessHash: 1n, min: true });
    // Another writer stores the full hash without notifying (plain SQL), so A's memory stays stale...
    const raw = new pg.Client({ connectionString: PG_URL });
    await raw.connect();
    await raw.query(`UPDATE "${a.schema}".peers SET access_hash = 9, min = false WHERE id = $1`, [
      String(ANN),
    ]);
    await raw.end();
    // ...and A merges a min sighting into its min-only record. PostgreSQL keeps the full hash.
    const [result] = await ca.upsert([user(ANN, { accessHash: 3n, min: true })]);
    expect(result?.record).toMatchObject({ accessHash: 3n, min: true });
    await ca.flush();
    expect(ca.peek(ANN)).toBeUndefined();
    expect(await ca.inputPeerFor(ANN)).toMatchObject({ accessHash: 9n, min: false });
  });
});
