/** Cache coherence across real processes: a child process moves a username; this process's cache follows. */
import { randomBytes } from 'node:crypto';
import { PeerCache } from '@pm/core';
import { openPostgresStorage, type PostgresStorageProvider } from '@pm/storage-postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exited, PG_URL, SKIP_MESSAGE, spawnFixture } from './helpers.js';

const schema = `pm_xcoherence_${randomBytes(4).toString('hex')}`;
const ANN = 501n;
const BOB = 502n;

describe.skipIf(!PG_URL)(PG_URL ? 'cache coherence across processes' : SKIP_MESSAGE, () => {
  let store: PostgresStorageProvider;
  let cache: PeerCache;
  beforeAll(async () => {
    store = await openPostgresStorage({ url: PG_URL as string, schema });
    cache = new PeerCache({ storage: store, closeStorage: false, flushDelayMs: 5 });
    await store.attachPeerCache(cache);
  });
  afterAll(async () => {
    await cache?.close();
    await store?.driver.read(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await store?.close();
  });

  it('stops resolving the old owner once another process saw the username move', async () => {
    await cache.upsert([
      { id: ANN, type: 'user', accessHash: 1n, usernames: ['xp_moving'] },
      { id: BOB, type: 'user', accessHash: 2n },
    ]);
    await cache.flush();
    expect(cache.peekInputPeer('xp_moving')?.id).toBe(ANN);
    const { child, output } = spawnFixture('upsert-child.ts', [
      schema,
      JSON.stringify([{ id: String(BOB), type: 'user', accessHash: '2', usernames: ['XP_Moving'] }]),
    ]);
    expect(await exited(child), output()).toBe(0);
    await expect
      .poll(() => cache.peekInputPeer('xp_moving'), { timeout: 5000, interval: 10 })
      .toBeUndefined();
    expect((await cache.getByUsername('xp_moving'))?.id).toBe(BOB);
    expect((await cache.get(ANN))?.usernames).toEqual([]);
    expect(cache.peekInputPeer('@XP_MOVING')?.id).toBe(BOB);
  }, 30_000);

  it('keeps the newer name another process saw when an older sighting is written after it', async () => {
    const CAROL = 503n;
    const slow = new PeerCache({ storage: store, closeStorage: false, flushDelayMs: 600_000 });
    await slow.upsert([{ id: CAROL, type: 'user', accessHash: 3n, firstName: 'Original' }]);
    await slow.flush();
    // This process sees a rename, but its write is held back...
    await slow.upsert([{ id: CAROL, type: 'user', accessHash: 3n, firstName: 'Stale' }]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // ...while another process sees a later rename and writes it at once.
    const { child, output } = spawnFixture('upsert-child.ts', [
      schema,
      JSON.stringify([{ id: String(CAROL), type: 'user', accessHash: '3', firstName: 'Fresh' }]),
    ]);
    expect(await exited(child), output()).toBe(0);
    await slow.flush(); // the older sighting arrives last
    await slow.close();
    expect(await store.peers.get(CAROL)).toMatchObject({ firstName: 'Fresh' });
    const names = (await store.history.list(CAROL)).filter((h) => h.field === 'firstName');
    expect(names.at(-1)?.after).toBe('Fresh');
    for (const [i, row] of names.entries()) if (i > 0) expect(row.before).toBe(names[i - 1]?.after);
  }, 30_000);
});
