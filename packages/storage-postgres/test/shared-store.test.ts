/**
 * Two providers on one schema stand for two processes: each with its own pool and its own PeerCache, whose memory
 * goes stale when the other one writes. The merge rules must hold in what PostgreSQL ends up storing.
 */
import { PeerCache, type PeerInput, type PeerRecord } from '@pm/core';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PostgresStorageProvider } from '../src/index.js';
import { dropSchemas, freshSchema, openTestStorage, PG_URL, SKIP_MESSAGE } from './pg.js';

afterAll(dropSchemas);

const ANN = 1001n;
const BOB = 1002n;
const CARL = 1003n;
const user = (id: bigint, fields: Partial<PeerInput> = {}): PeerInput => ({ id, type: 'user', ...fields });

describe.skipIf(!PG_URL)(PG_URL ? 'two processes on one store' : SKIP_MESSAGE, () => {
  let a: PostgresStorageProvider;
  let b: PostgresStorageProvider;
  let ca: PeerCache;
  let cb: PeerCache;
  let now = 1_000;
  const open = (storage: PostgresStorageProvider) =>
    new PeerCache({ storage, now: () => now, flushDelayMs: 5, lastSeenResolutionMs: 0 });

  beforeEach(async () => {
    now = 1_000;
    const schema = freshSchema('shared');
    a = await openTestStorage({ schema });
    b = await openTestStorage({ schema });
    ca = open(a);
    cb = open(b);
  });
  afterEach(async () => {
    await ca.close();
    await cb.close();
  });

  const stored = async (id: bigint): Promise<PeerRecord | undefined> => a.peers.get(id);

  it('keeps the full access hash another process stored when a stale process writes a min sighting', async () => {
    await ca.upsert([user(ANN, { accessHash: 1n, min: true, firstName: 'Seen min' })]);
    await ca.flush();
    now += 10;
    await cb.upsert([user(ANN, { accessHash: 777n, firstName: 'Ann', lastName: null })]);
    await cb.flush();
    now += 10;
    // A still believes ANN is min-only, so its merge lets the new min sighting replace everything.
    const [seen] = await ca.upsert([
      user(ANN, { accessHash: 2n, min: true, firstName: 'Other', lastName: 'Lee' }),
    ]);
    expect(seen?.record).toMatchObject({ accessHash: 2n, min: true });
    await ca.flush();
    // Not even the gap (lastName): A's record mixes the sighting with stale memory, so it changes nothing.
    expect(await stored(ANN)).toMatchObject({
      accessHash: 777n,
      min: false,
      firstName: 'Ann',
      lastName: null,
    });
    expect(await a.history.list(ANN)).toEqual([
      { peerId: ANN, field: 'firstName', before: 'Seen min', after: 'Ann', at: 1010 },
    ]);
  });

  it('moves a username once when two processes see the same move', async () => {
    await ca.upsert([user(ANN, { usernames: ['shared_name', 'ann_own'] }), user(BOB)]);
    await ca.flush();
    expect((await cb.getByUsername('shared_name'))?.id).toBe(ANN);
    expect((await ca.getByUsername('shared_name'))?.id).toBe(ANN);
    now += 100;
    await Promise.all([
      ca.upsert([user(BOB, { usernames: ['shared_name'] })]).then(() => ca.flush()),
      cb.upsert([user(BOB, { usernames: ['shared_name'] })]).then(() => cb.flush()),
    ]);
    expect(await a.usernames.resolveMany(['shared_name', 'ann_own'])).toEqual(
      new Map([
        ['shared_name', BOB],
        ['ann_own', ANN],
      ]),
    );
    expect((await stored(ANN))?.usernames).toEqual(['ann_own']);
    expect(await a.history.list(ANN)).toEqual([
      { peerId: ANN, field: 'usernames', before: ['shared_name', 'ann_own'], after: ['ann_own'], at: 1100 },
    ]);
    expect(await a.history.list(BOB)).toEqual([
      { peerId: BOB, field: 'usernames', before: [], after: ['shared_name'], at: 1100 },
    ]);
  });

  it('takes a username from the owner another process gave it to, not from the one a stale cache knows', async () => {
    await ca.upsert([user(ANN, { usernames: ['hot_name'] }), user(BOB), user(CARL)]);
    await ca.flush();
    expect((await ca.getByUsername('hot_name'))?.id).toBe(ANN);
    now += 10;
    await cb.upsert([user(BOB, { usernames: ['hot_name'] })]);
    await cb.flush();
    now += 10;
    // A still believes ANN owns the name and takes it from her; in storage BOB has it by now.
    const [carl] = await ca.upsert([user(CARL, { usernames: ['hot_name'] })]);
    expect(carl?.displaced.map((d) => d.from)).toEqual([ANN]);
    await ca.flush();
    expect(await a.usernames.resolveMany(['hot_name'])).toEqual(new Map([['hot_name', CARL]]));
    expect((await stored(ANN))?.usernames).toEqual([]);
    expect((await stored(BOB))?.usernames).toEqual([]);
    expect((await stored(CARL))?.usernames).toEqual(['hot_name']);
    expect((await a.history.list(ANN)).map((h) => [h.before, h.after])).toEqual([[['hot_name'], []]]);
    expect((await a.history.list(BOB)).map((h) => [h.before, h.after, h.at])).toEqual([
      [[], ['hot_name'], 1010],
      [['hot_name'], [], 1020],
    ]);
  });

  it('records a change from the value actually stored, not the one a stale cache saw', async () => {
    await ca.upsert([user(ANN, { firstName: 'A1', accessHash: 5n })]);
    await ca.flush();
    await ca.get(ANN);
    now += 10;
    await cb.upsert([user(ANN, { firstName: 'A2', accessHash: 5n })]);
    await cb.flush();
    now += 10;
    await ca.upsert([user(ANN, { firstName: 'A3', accessHash: 5n })]);
    await ca.flush();
    expect(await a.history.list(ANN)).toEqual([
      { peerId: ANN, field: 'firstName', before: 'A1', after: 'A2', at: 1010 },
      { peerId: ANN, field: 'firstName', before: 'A2', after: 'A3', at: 1020 },
    ]);
  });

  it('hands a phone over from whoever holds it in storage', async () => {
    await ca.upsert([user(ANN, { phone: '5550001' })]);
    await ca.flush();
    const bob = { ...(await ca.upsert([user(BOB)]))[0]?.record, phone: '5550001' } as PeerRecord;
    await ca.flush();
    await b.peers.upsertMany([bob]);
    expect(await a.peers.findByPhones(['5550001'])).toEqual(new Map([['5550001', BOB]]));
    expect((await stored(ANN))?.phone).toBeNull();
    expect((await a.history.list(ANN)).map((h) => [h.field, h.before, h.after])).toEqual([
      ['phone', '5550001', null],
    ]);
  });

  it('never writes half a batch when the batch fails', async () => {
    await ca.upsert([user(ANN, { usernames: ['kept_name'] })]);
    await ca.flush();
    await expect(
      a.transaction(async (tx) => {
        await tx.peers.upsertMany([
          { ...((await a.peers.get(ANN)) as PeerRecord), usernames: ['gone_name'] },
        ]);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await a.usernames.resolveMany(['kept_name', 'gone_name'])).toEqual(new Map([['kept_name', ANN]]));
  });
});
