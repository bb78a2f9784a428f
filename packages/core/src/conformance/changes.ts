/** Conformance: usernames, language, history and the changes reported. */
import { describe, expect, it } from 'vitest';
import { PeerCache } from '../storage/peer-cache.js';
import type { HistoryEntry } from '../storage/types.js';
import { ANN, BOB, CHAT, type Suite, T0, user } from './fixtures.js';

export function describeChanges(s: Suite): void {
  const { fromStorage } = s;
  describe('usernames', () => {
    it('resolves a username case-insensitively, with or without @', async () => {
      await s.cache.upsert([user(ANN, { usernames: ['Ann_Lee'] })]);
      for (const query of ['ann_lee', 'ANN_LEE', '@Ann_Lee', 'aNn_lEe']) {
        expect((await s.cache.getByUsername(query))?.id).toBe(ANN);
      }
      await s.cache.flush();
      const fresh = new PeerCache({ storage: s.provider, closeStorage: false });
      expect((await fresh.getByUsername('ANN_lee'))?.usernames).toEqual(['Ann_Lee']);
    });

    it('keeps several active usernames per user, each resolving', async () => {
      await s.cache.upsert([user(ANN, { usernames: ['ann_main', 'ann4', 'Ann_Collectible'] })]);
      await s.cache.flush();
      const fresh = new PeerCache({ storage: s.provider, closeStorage: false });
      for (const name of ['ann_main', 'ANN4', 'ann_collectible']) {
        expect((await fresh.getByUsername(name))?.id).toBe(ANN);
      }
    });

    it('stops resolving a username to its old owner when a new owner is seen', async () => {
      await s.cache.upsert([user(ANN, { usernames: ['shared_name', 'ann_own'] })]);
      await s.cache.flush();
      s.now += 1000;
      const [result] = await s.cache.upsert([user(BOB, { usernames: ['Shared_Name'] })]);
      expect(result?.displaced).toHaveLength(1);
      expect(result?.displaced[0]).toMatchObject({ from: ANN, field: 'usernames', value: 'shared_name' });
      expect(result?.displaced[0]?.record.usernames).toEqual(['ann_own']);
      expect((await s.cache.getByUsername('shared_name'))?.id).toBe(BOB);
      expect((await s.cache.get(ANN))?.usernames).toEqual(['ann_own']);
      await s.cache.flush();
      const fresh = new PeerCache({ storage: s.provider, closeStorage: false });
      expect((await fresh.getByUsername('shared_name'))?.id).toBe(BOB);
      expect((await fresh.get(ANN))?.usernames).toEqual(['ann_own']);
      expect(await s.cache.history(ANN)).toEqual([
        {
          peerId: ANN,
          field: 'usernames',
          before: ['shared_name', 'ann_own'],
          after: ['ann_own'],
          at: T0 + 1000,
        },
      ]);
    });

    it('moves a username within one batch to the last peer seen with it', async () => {
      await s.cache.upsert([
        user(ANN, { usernames: ['hot_potato'] }),
        user(BOB, { usernames: ['hot_potato'] }),
      ]);
      expect((await s.cache.getByUsername('hot_potato'))?.id).toBe(BOB);
      expect((await fromStorage(ANN))?.usernames).toEqual([]);
    });

    it('stops resolving a username the user lost', async () => {
      await s.cache.upsert([user(ANN, { usernames: ['old_name', 'kept_name'] })]);
      await s.cache.flush();
      await s.cache.upsert([user(ANN, { usernames: ['kept_name'] })]);
      expect(await s.cache.getByUsername('old_name')).toBeUndefined();
      await s.cache.flush();
      const fresh = new PeerCache({ storage: s.provider, closeStorage: false });
      expect(await fresh.getByUsername('old_name')).toBeUndefined();
      expect((await fresh.getByUsername('kept_name'))?.id).toBe(ANN);
      expect(await s.provider.usernames.resolveMany(['old_name'])).toEqual(new Map());
    });

    it('keeps the usernames when a sighting does not carry them', async () => {
      await s.cache.upsert([user(ANN, { usernames: ['ann_kept'] })]);
      await s.cache.upsert([user(ANN, { firstName: 'Ann' })]);
      expect((await fromStorage(ANN))?.usernames).toEqual(['ann_kept']);
    });
  });

  describe('language', () => {
    it('keeps the last known lang code when an update has none', async () => {
      await s.cache.upsert([user(ANN, { langCode: 'de' })]);
      s.now += 5000;
      await s.cache.upsert([user(ANN, { firstName: 'Ann' }), user(ANN, { langCode: null })]);
      expect(await fromStorage(ANN)).toMatchObject({ langCode: 'de', langCodeSeenAt: T0 });
    });

    it('records when the lang code was last seen', async () => {
      await s.cache.upsert([user(ANN, { langCode: 'de' })]);
      s.now += 5000;
      const [result] = await s.cache.upsert([user(ANN, { langCode: 'de' })]);
      expect(result?.changes).toEqual([]);
      expect(await fromStorage(ANN)).toMatchObject({
        langCode: 'de',
        langCodeSeenAt: T0 + 5000,
        lastSeen: T0 + 5000,
      });
    });
  });

  describe('history', () => {
    it('keeps each change of names, usernames, phone and lang code with its time', async () => {
      await s.cache.upsert([
        user(ANN, {
          firstName: 'Ann',
          lastName: 'Lee',
          usernames: ['ann_a'],
          phone: '111111',
          langCode: 'en',
        }),
      ]);
      s.now += 10;
      await s.cache.upsert([
        user(ANN, {
          firstName: 'Anna',
          lastName: null,
          usernames: ['ann_b'],
          phone: '222222',
          langCode: 'fr',
        }),
      ]);
      s.now += 10;
      await s.cache.upsert([user(ANN, { firstName: 'Anne' })]);
      const at = T0 + 10;
      const expected: HistoryEntry[] = [
        { peerId: ANN, field: 'firstName', before: 'Ann', after: 'Anna', at },
        { peerId: ANN, field: 'lastName', before: 'Lee', after: null, at },
        { peerId: ANN, field: 'usernames', before: ['ann_a'], after: ['ann_b'], at },
        { peerId: ANN, field: 'phone', before: '111111', after: '222222', at },
        { peerId: ANN, field: 'langCode', before: 'en', after: 'fr', at },
        { peerId: ANN, field: 'firstName', before: 'Anna', after: 'Anne', at: T0 + 20 },
      ];
      expect(await s.cache.history(ANN)).toEqual(expected);
      expect(await s.cache.history('1001')).toEqual(expected);
    });

    it('writes no history row for an unchanged re-ingest', async () => {
      const ann = user(ANN, { firstName: 'Ann', usernames: ['ann_same'], phone: '333333', langCode: 'en' });
      await s.cache.upsert([ann]);
      s.now += 1000;
      const [result] = await s.cache.upsert([ann]);
      expect(result?.created).toBe(false);
      expect(result?.changes).toEqual([]);
      expect(result?.record.lastSeen).toBe(T0 + 1000);
      expect(result?.record.lastUpdated).toBe(T0);
      expect(await s.cache.history(ANN)).toEqual([]);
    });

    it('keeps title changes of chats', async () => {
      await s.cache.upsert([{ id: CHAT, type: 'chat', title: 'One' }]);
      await s.cache.upsert([{ id: CHAT, type: 'chat', title: 'Two' }]);
      expect(await s.cache.history(CHAT)).toEqual([
        { peerId: CHAT, field: 'title', before: 'One', after: 'Two', at: T0 },
      ]);
    });
  });

  describe('changes', () => {
    it('reports each changed field with its before and after', async () => {
      await s.cache.upsert([user(ANN, { firstName: 'Ann', premium: false })]);
      const [result] = await s.cache.upsert([user(ANN, { firstName: 'Anna', premium: true, type: 'bot' })]);
      expect(result?.created).toBe(false);
      expect(result?.before?.firstName).toBe('Ann');
      expect(result?.changes).toEqual([
        { field: 'type', before: 'user', after: 'bot' },
        { field: 'firstName', before: 'Ann', after: 'Anna' },
        { field: 'premium', before: false, after: true },
      ]);
    });
  });
}
