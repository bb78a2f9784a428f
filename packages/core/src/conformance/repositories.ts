/** Conformance: the raw repositories: idempotent writes, transactions, bulk reads. */
import { describe, expect, it } from 'vitest';
import { INT64_MAX } from '../storage/peer-ids.js';
import type { HistoryEntry } from '../storage/types.js';
import { ANN, BOB, CHAT, dialog, type Suite, sampleRecord, user } from './fixtures.js';

export function describeRepositories(s: Suite): void {
  describe('repositories', () => {
    it('upserts peer rows idempotently', async () => {
      const record = sampleRecord(ANN);
      await s.provider.peers.upsertMany([record]);
      await s.provider.peers.upsertMany([record, record]);
      expect(await s.provider.peers.count()).toBe(1);
      expect(await s.provider.peers.get(ANN)).toEqual(record);
      expect(await s.provider.peers.getMany([ANN, BOB])).toEqual(new Map([[ANN, record]]));
      await s.provider.peers.deleteMany([ANN, BOB]);
      await s.provider.peers.deleteMany([ANN]);
      expect(await s.provider.peers.count()).toBe(0);
    });

    it('keeps what a later sighting stored when a record seen earlier arrives after it', async () => {
      const newer = {
        ...sampleRecord(ANN),
        firstName: 'New',
        lastName: 'Newer',
        lastSeen: 2000,
        lastUpdated: 2000,
      };
      const older = {
        ...sampleRecord(ANN),
        firstName: 'Old',
        lastName: null,
        lastSeen: 1000,
        lastUpdated: 1000,
      };
      await s.provider.peers.upsertMany([newer]);
      await s.provider.peers.upsertMany([older]);
      expect(await s.provider.peers.get(ANN)).toMatchObject({
        firstName: 'New',
        lastName: 'Newer',
        lastSeen: 2000,
      });
      // A sighting at the same time or later applies.
      await s.provider.peers.upsertMany([{ ...older, lastSeen: 1500, lastUpdated: 2000 }]); // changed earlier
      expect(await s.provider.peers.get(ANN)).toMatchObject({ firstName: 'New' });
      await s.provider.peers.upsertMany([{ ...older, lastSeen: 2000, lastUpdated: 1500 }]); // fields from before
      expect(await s.provider.peers.get(ANN)).toMatchObject({ firstName: 'New' });
      await s.provider.peers.upsertMany([{ ...older, lastSeen: 2000, lastUpdated: 2000 }]);
      expect(await s.provider.peers.get(ANN)).toMatchObject({ firstName: 'Old', lastName: null });
    });

    it('moves a username row to the peer that claims it', async () => {
      await s.provider.usernames.replaceForPeers([{ peerId: ANN, usernames: ['Name_One', 'name_two'] }]);
      await s.provider.usernames.replaceForPeers([{ peerId: BOB, usernames: ['name_one'] }]);
      await s.provider.usernames.replaceForPeers([{ peerId: BOB, usernames: ['name_one'] }]);
      expect(await s.provider.usernames.resolveMany(['name_one', 'name_two', 'nobody'])).toEqual(
        new Map([
          ['name_one', BOB],
          ['name_two', ANN],
        ]),
      );
      await s.provider.usernames.replaceForPeers([{ peerId: ANN, usernames: [] }]);
      await s.provider.usernames.deleteForPeers([BOB]);
      expect(await s.provider.usernames.resolveMany(['name_one', 'name_two'])).toEqual(new Map());
    });

    it('answers a single lookup at once, where it offers that, as its promises answer it', async () => {
      const { peers, usernames } = s.provider;
      await s.cache.upsert([
        user(ANN, { usernames: ['Sync_Ann', 'sync_ann_too'], firstName: 'Ann', phone: '4915100000001' }),
        user(BOB, { usernames: ['sync_bob'], lastName: null }),
        { id: CHAT, type: 'chat', title: 'Chat' },
      ]);
      // A name moving to another owner: the index must name the new one at once too.
      await s.cache.upsert([user(BOB, { usernames: ['sync_bob', 'sync_ann_too'] })]);
      await s.cache.flush();
      for (const id of [ANN, BOB, CHAT, 9_999n]) {
        if (peers.getNow !== undefined) expect(peers.getNow(id)).toEqual(await peers.get(id));
      }
      for (const name of ['sync_ann', 'sync_ann_too', 'sync_bob', 'nobody_here']) {
        const owner = (await usernames.resolveMany([name])).get(name);
        if (usernames.resolveNow !== undefined) expect(usernames.resolveNow(name)).toBe(owner);
      }
      expect((await usernames.resolveMany(['sync_ann_too'])).get('sync_ann_too')).toBe(BOB);
    });

    it('appends history rows in order and deletes them per peer', async () => {
      const rows: HistoryEntry[] = [
        { peerId: ANN, field: 'usernames', before: [], after: ['a_b_c', 'def'], at: 5 },
        { peerId: ANN, field: 'phone', before: null, after: '123456', at: 6 },
        { peerId: BOB, field: 'firstName', before: 'x', after: 'y', at: 7 },
      ];
      await s.provider.history.append(rows);
      expect(await s.provider.history.list(ANN)).toEqual(rows.slice(0, 2));
      await s.provider.history.deleteForPeers([ANN]);
      expect(await s.provider.history.list(ANN)).toEqual([]);
      expect(await s.provider.history.list(BOB)).toEqual(rows.slice(2));
    });

    it('stores key-value state and lists it by prefix in key order', async () => {
      await s.provider.state.set('b', '2');
      await s.provider.state.set('a:2', 'two');
      await s.provider.state.set('a:1', 'one');
      await s.provider.state.set('a:1', 'uno');
      await s.provider.state.set('a', 'root');
      expect(await s.provider.state.get('a:1')).toBe('uno');
      expect(await s.provider.state.list('a:')).toEqual([
        ['a:1', 'uno'],
        ['a:2', 'two'],
      ]);
      await s.provider.state.delete('a:1');
      await s.provider.state.delete('missing');
      expect(await s.provider.state.get('a:1')).toBeUndefined();
      expect((await s.provider.state.list('')).map(([k]) => k)).toEqual(['a', 'a:2', 'b']);
    });

    it('stores dialog state per user', async () => {
      const started = dialog(INT64_MAX, { startedAt: 10, via: 'join-request', lastMessageAt: 11 });
      const blocked = dialog(ANN, {
        startedAt: 1,
        via: 'start',
        payload: 'p',
        startMessageId: 77,
        blocked: true,
        blockedSince: 2,
      });
      await s.provider.dialogs.upsertMany([started, blocked, dialog(BOB)]);
      await s.provider.dialogs.upsertMany([started]);
      expect(await s.provider.dialogs.get(INT64_MAX)).toEqual(started);
      expect(await s.provider.dialogs.get(ANN)).toEqual(blocked);
      expect(await s.provider.dialogs.count()).toBe(3);
      expect(await s.provider.dialogs.count({ blocked: true })).toBe(1);
      expect(await s.provider.dialogs.count({ blocked: false })).toBe(2);
      expect((await s.provider.dialogs.page(null, 2)).map((d) => d.userId)).toEqual([ANN, BOB]);
      expect((await s.provider.dialogs.page(BOB, 2)).map((d) => d.userId)).toEqual([INT64_MAX]);
      await s.provider.dialogs.deleteMany([ANN]);
      expect(await s.provider.dialogs.get(ANN)).toBeUndefined();
    });

    it('rolls back every write of a failed transaction', async () => {
      await s.provider.state.set('kept', 'yes');
      const failure = new Error('boom');
      await expect(
        s.provider.transaction(async (tx) => {
          await tx.peers.upsertMany([sampleRecord(ANN)]);
          await tx.usernames.replaceForPeers([{ peerId: ANN, usernames: ['rolled_back'] }]);
          await tx.history.append([{ peerId: ANN, field: 'firstName', before: null, after: 'x', at: 1 }]);
          await tx.state.set('kept', 'no');
          await tx.state.set('new', 'no');
          await tx.dialogs.upsertMany([dialog(ANN)]);
          throw failure;
        }),
      ).rejects.toThrow();
      expect(await s.provider.peers.get(ANN)).toBeUndefined();
      expect(await s.provider.usernames.resolveMany(['rolled_back'])).toEqual(new Map());
      expect(await s.provider.history.list(ANN)).toEqual([]);
      expect(await s.provider.state.get('kept')).toBe('yes');
      expect(await s.provider.state.get('new')).toBeUndefined();
      expect(await s.provider.dialogs.get(ANN)).toBeUndefined();
    });

    it('holds back writes made outside a running transaction until it ends', async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let inside!: () => void;
      const started = new Promise<void>((resolve) => {
        inside = resolve;
      });
      const tx = s.provider.transaction(async (repos) => {
        await repos.state.set('tx', '1');
        inside();
        await gate;
        throw new Error('rollback');
      });
      await started;
      let outsideDone = false;
      const outside = s.provider.state.set('outside', '1').then(() => {
        outsideDone = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(outsideDone).toBe(false);
      release();
      await expect(tx).rejects.toThrow();
      await outside;
      expect(await s.provider.state.get('tx')).toBeUndefined();
      expect(await s.provider.state.get('outside')).toBe('1');
    });

    it('commits every write of a successful transaction', async () => {
      const result = await s.provider.transaction(async (tx) => {
        await tx.state.set('k', 'v');
        await tx.dialogs.upsertMany([dialog(BOB, { blocked: true, blockedSince: 3 })]);
        return 42;
      });
      expect(result).toBe(42);
      expect(await s.provider.state.get('k')).toBe('v');
      expect((await s.provider.dialogs.get(BOB))?.blocked).toBe(true);
    });
  });

  describe('bulk reads', () => {
    it('reads and resolves hundreds of peers and usernames at once', async () => {
      const inputs = Array.from({ length: 300 }, (_, i) =>
        user(BigInt(i + 1), { usernames: [`bulk_user_${i}`], phone: `${1_000_000 + i}` }),
      );
      await s.cache.upsert(inputs);
      await s.cache.flush();
      const ids = inputs.map((r) => r.id);
      const found = await s.provider.peers.getMany([...ids, 999_999n]);
      expect(found.size).toBe(300);
      expect(found.get(300n)?.usernames).toEqual(['bulk_user_299']);
      const names = inputs.map((_, i) => `bulk_user_${i}`);
      const owners = await s.provider.usernames.resolveMany([...names, 'nobody_at_all']);
      expect(owners.size).toBe(300);
      expect(owners.get('bulk_user_7')).toBe(8n);
      const phones = await s.provider.peers.findByPhones(inputs.map((_, i) => `${1_000_000 + i}`));
      expect(phones.get('1000299')).toBe(300n);
      expect((await s.provider.peers.page(150n, 1000)).map((r) => r.id)).toEqual(ids.slice(150));
    });
  });
}
