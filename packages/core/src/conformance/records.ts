/** Conformance: records, the min rule, deleted accounts, phones and input peers. */
import { describe, expect, it } from 'vitest';
import { PeerCache } from '../storage/peer-cache.js';
import type { PeerRecord } from '../storage/types.js';
import { ANN, BOB, CHANNEL, CHAT, type Suite, T0, user } from './fixtures.js';

export function describeRecords(s: Suite): void {
  const { makeProvider, fromStorage } = s;
  describe('records', () => {
    it('stores every field of a record and reads it back from storage', async () => {
      const [result] = await s.cache.upsert([
        {
          id: ANN,
          type: 'user',
          accessHash: -5_555_555_555_555_555_555n,
          usernames: ['Ann_Main', 'ann4'],
          firstName: 'Ann',
          lastName: 'Lee',
          phone: '+1 555-0100',
          langCode: 'pt-br',
          premium: true,
          verified: false,
          photoId: 9_100_000_000_000_000_001n,
        },
      ]);
      expect(result?.created).toBe(true);
      const expected: PeerRecord = {
        id: ANN,
        type: 'user',
        accessHash: -5_555_555_555_555_555_555n,
        min: false,
        usernames: ['Ann_Main', 'ann4'],
        firstName: 'Ann',
        lastName: 'Lee',
        title: null,
        phone: '15550100',
        langCode: 'pt-br',
        langCodeSeenAt: T0,
        premium: true,
        verified: false,
        deleted: false,
        photoId: 9_100_000_000_000_000_001n,
        firstSeen: T0,
        lastSeen: T0,
        lastUpdated: T0,
      };
      expect(result?.record).toEqual(expected);
      expect(await s.cache.get(ANN)).toEqual(expected);
      expect(await fromStorage(ANN)).toEqual(expected);
    });

    it('stores basic chats and channels with their titles and types', async () => {
      await s.cache.upsert([
        { id: CHAT, type: 'chat', title: 'Group' },
        { id: CHANNEL, type: 'supergroup', accessHash: 99n, title: 'Super', usernames: ['super_group'] },
      ]);
      expect(await fromStorage(CHAT)).toMatchObject({ type: 'chat', title: 'Group', accessHash: null });
      expect(await fromStorage(CHANNEL)).toMatchObject({
        type: 'supergroup',
        title: 'Super',
        accessHash: 99n,
      });
      expect((await s.cache.getByUsername('SUPER_GROUP'))?.id).toBe(CHANNEL);
    });

    it('accepts its own records as input, e.g. copied from another store', async () => {
      const source = new PeerCache({ storage: await makeProvider(), now: () => T0 - 1000 });
      const [copied] = await source.upsert([
        user(ANN, {
          usernames: ['copied_ann'],
          firstName: 'Ann',
          phone: '777777',
          langCode: 'it',
          photoId: 5n,
        }),
      ]);
      await source.close();
      const record = copied?.record as PeerRecord;
      await s.cache.upsert([record]);
      // Everything but the times of this store's own sightings.
      expect(await fromStorage(ANN)).toEqual({
        ...record,
        firstSeen: T0,
        lastSeen: T0,
        lastUpdated: T0,
        langCodeSeenAt: T0,
      });
    });

    it('accepts a decimal string id for lookups', async () => {
      await s.cache.upsert([user(ANN)]);
      expect((await s.cache.get('1001'))?.id).toBe(ANN);
    });

    it('returns undefined for a peer never seen', async () => {
      expect(await s.cache.get(123n)).toBeUndefined();
      expect(await s.cache.getByUsername('nobody_here')).toBeUndefined();
      expect(await s.cache.getByPhone('+44 0000')).toBeUndefined();
      expect(await s.cache.inputPeerFor(123n)).toBeUndefined();
    });

    it('shows a change at once, before it is written', async () => {
      await s.cache.upsert([user(ANN, { firstName: 'Ann' })]);
      expect((await s.cache.get(ANN))?.firstName).toBe('Ann');
      expect(await s.provider.peers.get(ANN)).toBeUndefined();
      await s.cache.flush();
      expect((await s.provider.peers.get(ANN))?.firstName).toBe('Ann');
    });

    it('writes pending changes by itself within the flush delay', async () => {
      await s.cache.upsert([user(ANN, { firstName: 'Ann' })]);
      await expect.poll(() => s.provider.peers.get(ANN), { timeout: 2000, interval: 5 }).toBeDefined();
    });

    it('hands out records that cannot be modified', async () => {
      const [result] = await s.cache.upsert([user(ANN, { usernames: ['ann_frozen'] })]);
      expect(Object.isFrozen(result?.record)).toBe(true);
      expect(Object.isFrozen(result?.record.usernames)).toBe(true);
    });
  });

  describe('min rule', () => {
    it('keeps the full access hash when a min user arrives', async () => {
      await s.cache.upsert([user(ANN, { accessHash: 111n })]);
      const [result] = await s.cache.upsert([user(ANN, { accessHash: 222n, min: true })]);
      expect(result?.record).toMatchObject({ accessHash: 111n, min: false });
      expect(result?.changes.map((c) => c.field)).not.toContain('accessHash');
      expect(await fromStorage(ANN)).toMatchObject({ accessHash: 111n, min: false });
    });

    it('replaces a min access hash with a full one', async () => {
      await s.cache.upsert([user(ANN, { accessHash: 222n, min: true })]);
      expect(await s.cache.get(ANN)).toMatchObject({ accessHash: 222n, min: true });
      const [result] = await s.cache.upsert([user(ANN, { accessHash: 111n })]);
      expect(result?.record).toMatchObject({ accessHash: 111n, min: false });
      expect(result?.changes).toContainEqual({ field: 'accessHash', before: 222n, after: 111n });
      expect(result?.changes).toContainEqual({ field: 'min', before: true, after: false });
      expect(await fromStorage(ANN)).toMatchObject({ accessHash: 111n, min: false });
    });

    it('keeps the full access hash of a channel when a min channel arrives', async () => {
      await s.cache.upsert([{ id: CHANNEL, type: 'channel', accessHash: 5n, title: 'News' }]);
      await s.cache.upsert([{ id: CHANNEL, type: 'channel', accessHash: 6n, min: true, title: 'Other' }]);
      expect(await fromStorage(CHANNEL)).toMatchObject({ accessHash: 5n, min: false, title: 'News' });
    });

    it('lets a min user fill only the fields the full record lacks', async () => {
      await s.cache.upsert([user(ANN, { firstName: 'Ann', lastName: null, usernames: [] })]);
      const [result] = await s.cache.upsert([
        user(ANN, {
          min: true,
          firstName: 'Changed',
          lastName: 'Lee',
          usernames: ['ann_min'],
          accessHash: 1n,
        }),
      ]);
      expect(result?.record).toMatchObject({ firstName: 'Ann', lastName: 'Lee', usernames: ['ann_min'] });
      expect((await s.cache.getByUsername('ann_min'))?.id).toBe(ANN);
    });

    it('lets a min sighting update a record known only from min sightings', async () => {
      await s.cache.upsert([user(ANN, { min: true, accessHash: 1n, firstName: 'Ann' })]);
      await s.cache.upsert([user(ANN, { min: true, accessHash: 2n, firstName: 'Anna' })]);
      expect(await fromStorage(ANN)).toMatchObject({ accessHash: 2n, min: true, firstName: 'Anna' });
    });

    it('describes a min-only peer as min in its input peer', async () => {
      await s.cache.upsert([user(ANN, { min: true, accessHash: 3n })]);
      expect(await s.cache.inputPeerFor(ANN)).toEqual({ kind: 'user', id: ANN, accessHash: 3n, min: true });
    });
  });

  describe('deleted accounts', () => {
    it('marks a deleted account instead of dropping it', async () => {
      await s.cache.upsert([user(ANN, { firstName: 'Ann', usernames: ['ann_gone'] })]);
      const [result] = await s.cache.upsert([{ id: ANN, deleted: true, usernames: [] }]);
      expect(result?.changes).toContainEqual({ field: 'deleted', before: false, after: true });
      expect(await fromStorage(ANN)).toMatchObject({
        deleted: true,
        firstName: 'Ann',
        accessHash: ANN * 7n,
      });
      expect(await s.cache.getByUsername('ann_gone')).toBeUndefined();
      expect(await s.cache.count()).toBe(1);
    });

    it('keeps a bot a bot when an empty user arrives', async () => {
      await s.cache.upsert([user(ANN, { type: 'bot' })]);
      await s.cache.upsert([{ id: ANN, deleted: true }]);
      expect(await fromStorage(ANN)).toMatchObject({ type: 'bot', deleted: true });
    });
  });

  describe('phones', () => {
    it('finds a peer by phone in any common notation', async () => {
      await s.cache.upsert([user(ANN, { phone: '79991234567' })]);
      for (const query of ['79991234567', '+7 999 123-45-67', '+7 (999) 1234567']) {
        expect((await s.cache.getByPhone(query))?.id).toBe(ANN);
      }
    });

    it('hands a phone number over to the peer now seen with it', async () => {
      await s.cache.upsert([user(ANN, { phone: '79991234567' })]);
      await s.cache.flush();
      const [result] = await s.cache.upsert([user(BOB, { phone: '+79991234567' })]);
      expect(result?.displaced).toMatchObject([{ from: ANN, field: 'phone', value: '79991234567' }]);
      expect((await s.cache.getByPhone('79991234567'))?.id).toBe(BOB);
      expect((await fromStorage(ANN))?.phone).toBeNull();
      const fresh = new PeerCache({ storage: s.provider, closeStorage: false });
      expect((await fresh.getByPhone('79991234567'))?.id).toBe(BOB);
    });
  });

  describe('input peers', () => {
    it('describes users, basic chats and channels with bare ids', async () => {
      await s.cache.upsert([
        user(ANN, { accessHash: -9n }),
        { id: CHAT, type: 'chat', title: 'G' },
        { id: CHANNEL, type: 'channel', accessHash: 8n, title: 'C' },
      ]);
      expect(await s.cache.inputPeerFor(ANN)).toEqual({ kind: 'user', id: ANN, accessHash: -9n, min: false });
      expect(await s.cache.inputPeerFor(CHAT)).toEqual({
        kind: 'chat',
        id: 4242n,
        accessHash: 0n,
        min: false,
      });
      expect(await s.cache.inputPeerFor(CHANNEL)).toEqual({
        kind: 'channel',
        id: 777n,
        accessHash: 8n,
        min: false,
      });
    });

    it('has no input peer for a user seen without an access hash', async () => {
      await s.cache.upsert([{ id: ANN, type: 'user', firstName: 'Ann' }]);
      expect(await s.cache.inputPeerFor(ANN)).toBeUndefined();
    });
  });
}
