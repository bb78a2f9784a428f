/**
 * The shared storage conformance suite (`@pm/core/storage/conformance`). Every provider runs it from its own test
 * file:
 *
 * ```ts
 * import { describeStorageConformance } from '@pm/core/storage/conformance';
 * describeStorageConformance('postgres', () => openPostgresStorage({ ... }), { reopen: (p) => ... });
 * ```
 *
 * It registers vitest `describe`/`it` blocks for the merge rules (through {@link PeerCache}), bad input, history,
 * iteration, deletion, 64-bit edge values, persistence across reopen (for persistent providers), the raw
 * repositories (idempotent writes, transactions) and fast-check properties of the merge rules.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DialogService } from '../dialogs/dialog-service.js';
import {
  InvalidAccessHashError,
  InvalidPeerIdError,
  InvalidPeerRecordError,
  InvalidPhoneError,
  InvalidUsernameError,
  type PmError,
  StorageError,
} from '../errors.js';
import type { BotUpdate } from '../updates/types.js';
import { PeerCache } from './peer-cache.js';
import { INT64_MAX, INT64_MIN } from './peer-ids.js';
import type { DialogState, HistoryEntry, PeerInput, PeerRecord, StorageProvider } from './types.js';

/** Options of {@link describeStorageConformance}. */
export interface StorageConformanceOptions {
  /**
   * Opens the same store again after `closed` was closed. Needed (and then required) to test persistence when
   * the provider says it is persistent.
   */
  reopen?: (closed: StorageProvider) => Promise<StorageProvider>;
  /** fast-check runs per property. @default 25 */
  propertyRuns?: number;
}

const T0 = 1_700_000_000_000;
const ANN = 1001n;
const BOB = 1002n;
const CHAT = -4242n;
const CHANNEL = -1_000_000_000_000n - 777n;

type ErrorClass = abstract new (...args: never[]) => PmError;

async function expectError(
  run: () => Promise<unknown>,
  type: ErrorClass,
  mentions: string,
): Promise<PmError> {
  let caught: unknown;
  try {
    await run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(type);
  const error = caught as PmError;
  expect(error.message).toContain(mentions);
  return error;
}

function user(id: bigint, fields: Partial<PeerInput> = {}): PeerInput {
  return { id, type: 'user', accessHash: id * 7n, ...fields };
}

function sampleRecord(id: bigint): PeerRecord {
  return {
    id,
    type: 'user',
    accessHash: 1n,
    min: false,
    usernames: ['repo_ann'],
    firstName: 'A',
    lastName: null,
    title: null,
    phone: null,
    langCode: null,
    langCodeSeenAt: null,
    premium: null,
    verified: null,
    deleted: false,
    photoId: null,
    firstSeen: 1,
    lastSeen: 2,
    lastUpdated: 3,
  };
}

function dialog(userId: bigint, fields: Partial<DialogState> = {}): DialogState {
  return {
    userId,
    startedAt: null,
    via: null,
    payload: null,
    startMessageId: null,
    blocked: false,
    blockedSince: null,
    lastMessageAt: null,
    ...fields,
  };
}

/** Registers the conformance suite for one provider. `makeProvider` must return a fresh, empty store each call. */
export function describeStorageConformance(
  name: string,
  makeProvider: () => Promise<StorageProvider>,
  options: StorageConformanceOptions = {},
): void {
  const runs = options.propertyRuns ?? 25;

  describe(`storage conformance: ${name}`, () => {
    let provider: StorageProvider;
    let cache: PeerCache;
    let now = T0;
    const open = (storage: StorageProvider): PeerCache =>
      new PeerCache({ storage, now: () => now, flushDelayMs: 5, cacheSize: 100, lastSeenResolutionMs: 0 });
    /** Reads through a second cache with an empty LRU, so the answer comes from storage. */
    const fromStorage = async (id: bigint): Promise<PeerRecord | undefined> => {
      await cache.flush();
      return new PeerCache({ storage: provider, closeStorage: false }).get(id);
    };

    beforeEach(async () => {
      now = T0;
      provider = await makeProvider();
      cache = open(provider);
    });

    afterEach(async () => {
      await cache.close();
    });

    describe('records', () => {
      it('stores every field of a record and reads it back from storage', async () => {
        const [result] = await cache.upsert([
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
        expect(await cache.get(ANN)).toEqual(expected);
        expect(await fromStorage(ANN)).toEqual(expected);
      });

      it('stores basic chats and channels with their titles and types', async () => {
        await cache.upsert([
          { id: CHAT, type: 'chat', title: 'Group' },
          { id: CHANNEL, type: 'supergroup', accessHash: 99n, title: 'Super', usernames: ['super_group'] },
        ]);
        expect(await fromStorage(CHAT)).toMatchObject({ type: 'chat', title: 'Group', accessHash: null });
        expect(await fromStorage(CHANNEL)).toMatchObject({
          type: 'supergroup',
          title: 'Super',
          accessHash: 99n,
        });
        expect((await cache.getByUsername('SUPER_GROUP'))?.id).toBe(CHANNEL);
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
        await cache.upsert([record]);
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
        await cache.upsert([user(ANN)]);
        expect((await cache.get('1001'))?.id).toBe(ANN);
      });

      it('returns undefined for a peer never seen', async () => {
        expect(await cache.get(123n)).toBeUndefined();
        expect(await cache.getByUsername('nobody_here')).toBeUndefined();
        expect(await cache.getByPhone('+44 0000')).toBeUndefined();
        expect(await cache.inputPeerFor(123n)).toBeUndefined();
      });

      it('shows a change at once, before it is written', async () => {
        await cache.upsert([user(ANN, { firstName: 'Ann' })]);
        expect((await cache.get(ANN))?.firstName).toBe('Ann');
        expect(await provider.peers.get(ANN)).toBeUndefined();
        await cache.flush();
        expect((await provider.peers.get(ANN))?.firstName).toBe('Ann');
      });

      it('writes pending changes by itself within the flush delay', async () => {
        await cache.upsert([user(ANN, { firstName: 'Ann' })]);
        await expect.poll(() => provider.peers.get(ANN), { timeout: 2000, interval: 5 }).toBeDefined();
      });

      it('hands out records that cannot be modified', async () => {
        const [result] = await cache.upsert([user(ANN, { usernames: ['ann_frozen'] })]);
        expect(Object.isFrozen(result?.record)).toBe(true);
        expect(Object.isFrozen(result?.record.usernames)).toBe(true);
      });
    });

    describe('min rule', () => {
      it('keeps the full access hash when a min user arrives', async () => {
        await cache.upsert([user(ANN, { accessHash: 111n })]);
        const [result] = await cache.upsert([user(ANN, { accessHash: 222n, min: true })]);
        expect(result?.record).toMatchObject({ accessHash: 111n, min: false });
        expect(result?.changes.map((c) => c.field)).not.toContain('accessHash');
        expect(await fromStorage(ANN)).toMatchObject({ accessHash: 111n, min: false });
      });

      it('replaces a min access hash with a full one', async () => {
        await cache.upsert([user(ANN, { accessHash: 222n, min: true })]);
        expect(await cache.get(ANN)).toMatchObject({ accessHash: 222n, min: true });
        const [result] = await cache.upsert([user(ANN, { accessHash: 111n })]);
        expect(result?.record).toMatchObject({ accessHash: 111n, min: false });
        expect(result?.changes).toContainEqual({ field: 'accessHash', before: 222n, after: 111n });
        expect(result?.changes).toContainEqual({ field: 'min', before: true, after: false });
        expect(await fromStorage(ANN)).toMatchObject({ accessHash: 111n, min: false });
      });

      it('keeps the full access hash of a channel when a min channel arrives', async () => {
        await cache.upsert([{ id: CHANNEL, type: 'channel', accessHash: 5n, title: 'News' }]);
        await cache.upsert([{ id: CHANNEL, type: 'channel', accessHash: 6n, min: true, title: 'Other' }]);
        expect(await fromStorage(CHANNEL)).toMatchObject({ accessHash: 5n, min: false, title: 'News' });
      });

      it('lets a min user fill only the fields the full record lacks', async () => {
        await cache.upsert([user(ANN, { firstName: 'Ann', lastName: null, usernames: [] })]);
        const [result] = await cache.upsert([
          user(ANN, {
            min: true,
            firstName: 'Changed',
            lastName: 'Lee',
            usernames: ['ann_min'],
            accessHash: 1n,
          }),
        ]);
        expect(result?.record).toMatchObject({ firstName: 'Ann', lastName: 'Lee', usernames: ['ann_min'] });
        expect((await cache.getByUsername('ann_min'))?.id).toBe(ANN);
      });

      it('lets a min sighting update a record known only from min sightings', async () => {
        await cache.upsert([user(ANN, { min: true, accessHash: 1n, firstName: 'Ann' })]);
        await cache.upsert([user(ANN, { min: true, accessHash: 2n, firstName: 'Anna' })]);
        expect(await fromStorage(ANN)).toMatchObject({ accessHash: 2n, min: true, firstName: 'Anna' });
      });

      it('describes a min-only peer as min in its input peer', async () => {
        await cache.upsert([user(ANN, { min: true, accessHash: 3n })]);
        expect(await cache.inputPeerFor(ANN)).toEqual({ kind: 'user', id: ANN, accessHash: 3n, min: true });
      });
    });

    describe('usernames', () => {
      it('resolves a username case-insensitively, with or without @', async () => {
        await cache.upsert([user(ANN, { usernames: ['Ann_Lee'] })]);
        for (const query of ['ann_lee', 'ANN_LEE', '@Ann_Lee', 'aNn_lEe']) {
          expect((await cache.getByUsername(query))?.id).toBe(ANN);
        }
        await cache.flush();
        const fresh = new PeerCache({ storage: provider, closeStorage: false });
        expect((await fresh.getByUsername('ANN_lee'))?.usernames).toEqual(['Ann_Lee']);
      });

      it('keeps several active usernames per user, each resolving', async () => {
        await cache.upsert([user(ANN, { usernames: ['ann_main', 'ann4', 'Ann_Collectible'] })]);
        await cache.flush();
        const fresh = new PeerCache({ storage: provider, closeStorage: false });
        for (const name of ['ann_main', 'ANN4', 'ann_collectible']) {
          expect((await fresh.getByUsername(name))?.id).toBe(ANN);
        }
      });

      it('stops resolving a username to its old owner when a new owner is seen', async () => {
        await cache.upsert([user(ANN, { usernames: ['shared_name', 'ann_own'] })]);
        await cache.flush();
        now += 1000;
        const [result] = await cache.upsert([user(BOB, { usernames: ['Shared_Name'] })]);
        expect(result?.displaced).toHaveLength(1);
        expect(result?.displaced[0]).toMatchObject({ from: ANN, field: 'usernames', value: 'shared_name' });
        expect(result?.displaced[0]?.record.usernames).toEqual(['ann_own']);
        expect((await cache.getByUsername('shared_name'))?.id).toBe(BOB);
        expect((await cache.get(ANN))?.usernames).toEqual(['ann_own']);
        await cache.flush();
        const fresh = new PeerCache({ storage: provider, closeStorage: false });
        expect((await fresh.getByUsername('shared_name'))?.id).toBe(BOB);
        expect((await fresh.get(ANN))?.usernames).toEqual(['ann_own']);
        expect(await cache.history(ANN)).toEqual([
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
        await cache.upsert([
          user(ANN, { usernames: ['hot_potato'] }),
          user(BOB, { usernames: ['hot_potato'] }),
        ]);
        expect((await cache.getByUsername('hot_potato'))?.id).toBe(BOB);
        expect((await fromStorage(ANN))?.usernames).toEqual([]);
      });

      it('stops resolving a username the user lost', async () => {
        await cache.upsert([user(ANN, { usernames: ['old_name', 'kept_name'] })]);
        await cache.flush();
        await cache.upsert([user(ANN, { usernames: ['kept_name'] })]);
        expect(await cache.getByUsername('old_name')).toBeUndefined();
        await cache.flush();
        const fresh = new PeerCache({ storage: provider, closeStorage: false });
        expect(await fresh.getByUsername('old_name')).toBeUndefined();
        expect((await fresh.getByUsername('kept_name'))?.id).toBe(ANN);
        expect(await provider.usernames.resolveMany(['old_name'])).toEqual(new Map());
      });

      it('keeps the usernames when a sighting does not carry them', async () => {
        await cache.upsert([user(ANN, { usernames: ['ann_kept'] })]);
        await cache.upsert([user(ANN, { firstName: 'Ann' })]);
        expect((await fromStorage(ANN))?.usernames).toEqual(['ann_kept']);
      });
    });

    describe('language', () => {
      it('keeps the last known lang code when an update has none', async () => {
        await cache.upsert([user(ANN, { langCode: 'de' })]);
        now += 5000;
        await cache.upsert([user(ANN, { firstName: 'Ann' }), user(ANN, { langCode: null })]);
        expect(await fromStorage(ANN)).toMatchObject({ langCode: 'de', langCodeSeenAt: T0 });
      });

      it('records when the lang code was last seen', async () => {
        await cache.upsert([user(ANN, { langCode: 'de' })]);
        now += 5000;
        const [result] = await cache.upsert([user(ANN, { langCode: 'de' })]);
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
        await cache.upsert([
          user(ANN, {
            firstName: 'Ann',
            lastName: 'Lee',
            usernames: ['ann_a'],
            phone: '111111',
            langCode: 'en',
          }),
        ]);
        now += 10;
        await cache.upsert([
          user(ANN, {
            firstName: 'Anna',
            lastName: null,
            usernames: ['ann_b'],
            phone: '222222',
            langCode: 'fr',
          }),
        ]);
        now += 10;
        await cache.upsert([user(ANN, { firstName: 'Anne' })]);
        const at = T0 + 10;
        const expected: HistoryEntry[] = [
          { peerId: ANN, field: 'firstName', before: 'Ann', after: 'Anna', at },
          { peerId: ANN, field: 'lastName', before: 'Lee', after: null, at },
          { peerId: ANN, field: 'usernames', before: ['ann_a'], after: ['ann_b'], at },
          { peerId: ANN, field: 'phone', before: '111111', after: '222222', at },
          { peerId: ANN, field: 'langCode', before: 'en', after: 'fr', at },
          { peerId: ANN, field: 'firstName', before: 'Anna', after: 'Anne', at: T0 + 20 },
        ];
        expect(await cache.history(ANN)).toEqual(expected);
        expect(await cache.history('1001')).toEqual(expected);
      });

      it('writes no history row for an unchanged re-ingest', async () => {
        const ann = user(ANN, { firstName: 'Ann', usernames: ['ann_same'], phone: '333333', langCode: 'en' });
        await cache.upsert([ann]);
        now += 1000;
        const [result] = await cache.upsert([ann]);
        expect(result?.created).toBe(false);
        expect(result?.changes).toEqual([]);
        expect(result?.record.lastSeen).toBe(T0 + 1000);
        expect(result?.record.lastUpdated).toBe(T0);
        expect(await cache.history(ANN)).toEqual([]);
      });

      it('keeps title changes of chats', async () => {
        await cache.upsert([{ id: CHAT, type: 'chat', title: 'One' }]);
        await cache.upsert([{ id: CHAT, type: 'chat', title: 'Two' }]);
        expect(await cache.history(CHAT)).toEqual([
          { peerId: CHAT, field: 'title', before: 'One', after: 'Two', at: T0 },
        ]);
      });
    });

    describe('changes', () => {
      it('reports each changed field with its before and after', async () => {
        await cache.upsert([user(ANN, { firstName: 'Ann', premium: false })]);
        const [result] = await cache.upsert([user(ANN, { firstName: 'Anna', premium: true, type: 'bot' })]);
        expect(result?.created).toBe(false);
        expect(result?.before?.firstName).toBe('Ann');
        expect(result?.changes).toEqual([
          { field: 'type', before: 'user', after: 'bot' },
          { field: 'firstName', before: 'Ann', after: 'Anna' },
          { field: 'premium', before: false, after: true },
        ]);
      });
    });

    describe('deleted accounts', () => {
      it('marks a deleted account instead of dropping it', async () => {
        await cache.upsert([user(ANN, { firstName: 'Ann', usernames: ['ann_gone'] })]);
        const [result] = await cache.upsert([{ id: ANN, deleted: true, usernames: [] }]);
        expect(result?.changes).toContainEqual({ field: 'deleted', before: false, after: true });
        expect(await fromStorage(ANN)).toMatchObject({
          deleted: true,
          firstName: 'Ann',
          accessHash: ANN * 7n,
        });
        expect(await cache.getByUsername('ann_gone')).toBeUndefined();
        expect(await cache.count()).toBe(1);
      });

      it('keeps a bot a bot when an empty user arrives', async () => {
        await cache.upsert([user(ANN, { type: 'bot' })]);
        await cache.upsert([{ id: ANN, deleted: true }]);
        expect(await fromStorage(ANN)).toMatchObject({ type: 'bot', deleted: true });
      });
    });

    describe('phones', () => {
      it('finds a peer by phone in any common notation', async () => {
        await cache.upsert([user(ANN, { phone: '79991234567' })]);
        for (const query of ['79991234567', '+7 999 123-45-67', '+7 (999) 1234567']) {
          expect((await cache.getByPhone(query))?.id).toBe(ANN);
        }
      });

      it('hands a phone number over to the peer now seen with it', async () => {
        await cache.upsert([user(ANN, { phone: '79991234567' })]);
        await cache.flush();
        const [result] = await cache.upsert([user(BOB, { phone: '+79991234567' })]);
        expect(result?.displaced).toMatchObject([{ from: ANN, field: 'phone', value: '79991234567' }]);
        expect((await cache.getByPhone('79991234567'))?.id).toBe(BOB);
        expect((await fromStorage(ANN))?.phone).toBeNull();
        const fresh = new PeerCache({ storage: provider, closeStorage: false });
        expect((await fresh.getByPhone('79991234567'))?.id).toBe(BOB);
      });
    });

    describe('input peers', () => {
      it('describes users, basic chats and channels with bare ids', async () => {
        await cache.upsert([
          user(ANN, { accessHash: -9n }),
          { id: CHAT, type: 'chat', title: 'G' },
          { id: CHANNEL, type: 'channel', accessHash: 8n, title: 'C' },
        ]);
        expect(await cache.inputPeerFor(ANN)).toEqual({ kind: 'user', id: ANN, accessHash: -9n, min: false });
        expect(await cache.inputPeerFor(CHAT)).toEqual({
          kind: 'chat',
          id: 4242n,
          accessHash: 0n,
          min: false,
        });
        expect(await cache.inputPeerFor(CHANNEL)).toEqual({
          kind: 'channel',
          id: 777n,
          accessHash: 8n,
          min: false,
        });
      });

      it('has no input peer for a user seen without an access hash', async () => {
        await cache.upsert([{ id: ANN, type: 'user', firstName: 'Ann' }]);
        expect(await cache.inputPeerFor(ANN)).toBeUndefined();
      });
    });

    describe('iterate, count and delete', () => {
      it('iterates every record in ascending id order across pages', async () => {
        const ids = [INT64_MIN, CHANNEL, CHAT, -1n, 1n, 2n ** 53n + 1n, INT64_MAX];
        const inputs = ids.map((id): PeerInput => (id > 0n ? user(id, { accessHash: 1n }) : { id }));
        for (let i = 3n; i < 40n; i++) inputs.push(user(i * 1000n));
        await cache.upsert(inputs);
        const seen: bigint[] = [];
        for await (const record of cache.iterate({ pageSize: 7 })) seen.push(record.id);
        expect(seen).toEqual(
          [...new Set(inputs.map((r) => r.id))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
        );
        expect(await cache.count()).toBe(seen.length);
      });

      it('iterates nothing in an empty store', async () => {
        const seen: PeerRecord[] = [];
        for await (const record of cache.iterate()) seen.push(record);
        expect(seen).toEqual([]);
        expect(await cache.count()).toBe(0);
      });

      it('deletes a peer with its usernames and history', async () => {
        await cache.upsert([
          user(ANN, { usernames: ['ann_del'], firstName: 'A', phone: '444444' }),
          user(BOB),
        ]);
        await cache.upsert([user(ANN, { firstName: 'B' })]);
        await cache.flush();
        expect(await cache.delete(ANN)).toBe(true);
        expect(await cache.get(ANN)).toBeUndefined();
        expect(await cache.getByUsername('ann_del')).toBeUndefined();
        expect(await cache.getByPhone('444444')).toBeUndefined();
        expect(await cache.history(ANN)).toEqual([]);
        expect(await cache.count()).toBe(1);
        expect(await provider.usernames.resolveMany(['ann_del'])).toEqual(new Map());
        expect(await cache.delete(ANN)).toBe(false);
      });

      it('starts afresh when a deleted peer is seen again', async () => {
        await cache.upsert([user(ANN, { firstName: 'A', usernames: ['ann_again'] })]);
        await cache.delete(ANN);
        now += 50;
        const [result] = await cache.upsert([user(ANN, { firstName: 'B', usernames: ['ann_again'] })]);
        expect(result?.created).toBe(true);
        expect(await fromStorage(ANN)).toMatchObject({ firstName: 'B', firstSeen: T0 + 50 });
        expect((await cache.getByUsername('ann_again'))?.id).toBe(ANN);
        expect(await cache.history(ANN)).toEqual([]);
      });
    });

    describe('64-bit values', () => {
      it('round-trips ids and hashes at the edges of the signed 64-bit range', async () => {
        const beyond53 = 2n ** 53n + 1n;
        await cache.upsert([
          user(INT64_MAX, { accessHash: INT64_MIN, photoId: INT64_MAX }),
          { id: INT64_MIN, type: 'channel', accessHash: INT64_MAX, title: 'Edge' },
          user(beyond53, { accessHash: -beyond53, photoId: INT64_MIN }),
          { id: -(1_000_000_000_000n - 1n), type: 'chat', title: 'Last chat' },
        ]);
        expect(await fromStorage(INT64_MAX)).toMatchObject({ accessHash: INT64_MIN, photoId: INT64_MAX });
        expect(await fromStorage(INT64_MIN)).toMatchObject({ accessHash: INT64_MAX, type: 'channel' });
        expect(await fromStorage(beyond53)).toMatchObject({
          id: beyond53,
          accessHash: -beyond53,
          photoId: INT64_MIN,
        });
        expect(await cache.inputPeerFor(INT64_MIN)).toEqual({
          kind: 'channel',
          id: 2n ** 63n - 1_000_000_000_000n,
          accessHash: INT64_MAX,
          min: false,
        });
        expect((await cache.get(String(beyond53)))?.id).toBe(beyond53);
        expect(await cache.get(beyond53 + 1n)).toBeUndefined();
      });
    });

    describe('bad input', () => {
      const rejectsAndKeepsStore = async (records: PeerInput[], type: ErrorClass, mentions: string) => {
        await cache.upsert([user(ANN, { firstName: 'Before' })]);
        await expectError(() => cache.upsert(records), type, mentions);
        expect(await cache.count()).toBe(1);
        expect((await cache.get(ANN))?.firstName).toBe('Before');
        expect(await cache.history(ANN)).toEqual([]);
      };

      it('rejects an id given as a JS number', async () => {
        await rejectsAndKeepsStore([{ id: 42 as unknown as bigint }], InvalidPeerIdError, '42');
        await expectError(() => cache.get(42 as unknown as bigint), InvalidPeerIdError, '42');
      });

      it('rejects ids that are not 64-bit integers', async () => {
        for (const bad of ['abc', '12.5', '', '1e3', ' 1', '9223372036854775808', '-9223372036854775809']) {
          const error = await expectError(() => cache.get(bad), InvalidPeerIdError, JSON.stringify(bad));
          expect(error.code).toBe('INVALID_PEER_ID');
        }
        await rejectsAndKeepsStore([user(2n ** 63n)], InvalidPeerIdError, '9223372036854775808');
        await expectError(() => cache.upsert([user(0n)]), InvalidPeerIdError, '0n');
      });

      it('rejects an access hash outside the signed 64-bit range', async () => {
        await rejectsAndKeepsStore(
          [user(BOB, { accessHash: 2n ** 63n })],
          InvalidAccessHashError,
          '9223372036854775808',
        );
        await expectError(
          () => cache.upsert([user(BOB, { accessHash: -(2n ** 63n) - 1n })]),
          InvalidAccessHashError,
          '-9223372036854775809',
        );
        await expectError(
          () => cache.upsert([user(BOB, { accessHash: 5 as unknown as bigint })]),
          InvalidAccessHashError,
          'records[0].accessHash',
        );
      });

      it('rejects usernames Telegram never allows', async () => {
        const bad = [
          'ab',
          '1abcde',
          'abc__def',
          'abcdef_',
          'ab-cde',
          'user name',
          'пользователь',
          'a'.repeat(33),
          '_abcde',
        ];
        for (const name of bad) {
          await expectError(
            () => cache.upsert([user(BOB, { usernames: [name] })]),
            InvalidUsernameError,
            name,
          );
          await expectError(() => cache.getByUsername(name), InvalidUsernameError, name);
        }
        await rejectsAndKeepsStore(
          [user(BOB, { usernames: ['good_name', 'bad__name'] })],
          InvalidUsernameError,
          'bad__name',
        );
      });

      it('accepts the shortest usernames Telegram has: collectible 4 and its own 3-letter bots', async () => {
        await cache.upsert([user(BOB, { usernames: ['gif', 'abcd', `a${'b'.repeat(31)}`] })]);
        expect((await cache.getByUsername('GIF'))?.id).toBe(BOB);
      });

      it('rejects a phone that is not digits', async () => {
        await rejectsAndKeepsStore([user(BOB, { phone: 'call me' })], InvalidPhoneError, 'call me');
        await expectError(() => cache.getByPhone('12'), InvalidPhoneError, '12');
      });

      it('rejects a type that does not fit the id', async () => {
        await rejectsAndKeepsStore([{ id: CHAT, type: 'user' }], InvalidPeerRecordError, '"user"');
        await expectError(
          () => cache.upsert([{ id: ANN, type: 'robot' as 'bot' }]),
          InvalidPeerRecordError,
          'robot',
        );
        await expectError(() => cache.upsert([{ id: CHAT, accessHash: 5n }]), InvalidAccessHashError, '5n');
      });

      it('validates the whole batch before writing anything', async () => {
        await rejectsAndKeepsStore(
          [
            user(BOB, { usernames: ['bob_valid'] }),
            user(ANN, { firstName: 'After' }),
            user(3n, { langCode: 'x y' }),
          ],
          InvalidPeerRecordError,
          'records[2].langCode',
        );
        expect(await cache.getByUsername('bob_valid')).toBeUndefined();
      });
    });

    describe('text', () => {
      it('stores NUL and lone surrogates the same way everywhere, so a sighting compares equal after a reopen', async () => {
        const sighting = user(ANN, { firstName: 'A\0nn\uD83D', lastName: '\uDE00 Lee 😀', title: null });
        const [first] = await cache.upsert([sighting]);
        expect(first?.record).toMatchObject({ firstName: 'Ann\uFFFD', lastName: '\uFFFD Lee 😀' });
        expect(await fromStorage(ANN)).toMatchObject({ firstName: 'Ann\uFFFD', lastName: '\uFFFD Lee 😀' });
        now += 1000;
        const [again] = await cache.upsert([sighting]);
        expect(again?.changes).toEqual([]);
        if (provider.persistent && options.reopen !== undefined) {
          await cache.close();
          provider = await options.reopen(provider);
          cache = open(provider);
          now += 1000;
          const [reopened] = await cache.upsert([sighting]);
          expect(reopened?.changes).toEqual([]);
        }
        expect(await cache.history(ANN)).toEqual([]);
      });
    });

    describe('a record the store refuses', () => {
      it('is set aside and reported by peer id while every other record is written', async () => {
        const errors: StorageError[] = [];
        const refusing: StorageProvider = {
          ...provider,
          name: provider.name,
          persistent: provider.persistent,
          peers: provider.peers,
          usernames: provider.usernames,
          history: provider.history,
          state: provider.state,
          dialogs: provider.dialogs,
          transaction: (fn) =>
            provider.transaction((tx) =>
              fn({
                ...tx,
                peers: {
                  ...tx.peers,
                  get: (id) => tx.peers.get(id),
                  getMany: (ids) => tx.peers.getMany(ids),
                  findByPhones: (phones) => tx.peers.findByPhones(phones),
                  deleteMany: (ids) => tx.peers.deleteMany(ids),
                  count: () => tx.peers.count(),
                  page: (after, limit) => tx.peers.page(after, limit),
                  upsertMany: async (records) => {
                    const bad = records.find((r) => r.firstName === 'Refused');
                    if (bad !== undefined)
                      throw new StorageError('STORAGE_FAILED', `value refused for ${bad.id}`, {
                        kind: 'record',
                      });
                    await tx.peers.upsertMany(records);
                  },
                },
              }),
            ),
          close: () => provider.close(),
        };
        const guarded = new PeerCache({
          storage: refusing,
          closeStorage: false,
          now: () => now,
          onError: (e) => errors.push(e),
        });
        const ids = Array.from({ length: 12 }, (_, i) => BigInt(i + 1));
        await guarded.upsert(
          ids.map((id) =>
            user(id, { firstName: id === 7n ? 'Refused' : `U${id}`, usernames: [`user_${id}`] }),
          ),
        );
        await guarded.flush();
        await guarded.close();
        expect(errors.map((e) => [e.code, (e as { peerIds?: unknown }).peerIds])).toEqual([
          ['STORAGE_RECORD_REJECTED', [7n]],
        ]);
        expect(await provider.peers.count()).toBe(11);
        expect(await provider.peers.get(7n)).toBeUndefined();
        expect((await provider.usernames.resolveMany(['user_6', 'user_7', 'user_8'])).size).toBe(2);
      });
    });

    describe('dialog starts', () => {
      it('recognises the replay of a start message after a crash as the same first start', async () => {
        await cache.upsert([user(ANN, { firstName: 'Ann' })]);
        const seen: { via: string; first: boolean }[] = [];
        const service = (storage: StorageProvider): DialogService =>
          new DialogService({
            repo: storage.dialogs,
            shared: storage.shared === true,
            clock: { now: () => now },
            getPeer: async () => ({ ...sampleRecord(ANN) }),
            emit: async (event, payload) => {
              if (event === 'dialogStarted') {
                const e = payload as { via: string; first: boolean };
                seen.push({ via: e.via, first: e.first });
              }
            },
            botUsername: () => 'conformance_bot',
          });
        const start = (messageId: number, date: number): BotUpdate => ({
          type: 'message',
          messageId,
          date,
          fromId: ANN,
          chatId: ANN,
          isPrivate: true,
          out: false,
          text: '/start ref',
        });
        // The state is written, then the process dies before the event: a new process gets the same update.
        await service(provider).handle(start(41, 1000));
        if (provider.persistent && options.reopen !== undefined) {
          await cache.close();
          provider = await options.reopen(provider);
          cache = open(provider);
        }
        expect(await provider.dialogs.get(ANN)).toMatchObject({ startMessageId: 41, via: 'start' });
        const again = service(provider);
        expect(await again.handle(start(41, 1000))).toBe(true);
        await again.handle(start(42, 1010)); // a later /start is a repeat
        expect(seen).toEqual([
          { via: 'start', first: true },
          { via: 'start', first: true },
          { via: 'start', first: false },
        ]);
        expect(await provider.dialogs.get(ANN)).toMatchObject({ startMessageId: 41, startedAt: 1_000_000 });
      });
    });

    describe('persistence', () => {
      it('keeps everything across close and reopen', async (ctx) => {
        if (!provider.persistent) ctx.skip(`${name} is not persistent`);
        expect(options.reopen, `${name} is persistent: pass options.reopen to test it`).toBeDefined();
        await cache.upsert([
          user(ANN, { firstName: 'Ann', usernames: ['ann_persist'], langCode: 'en', phone: '555555' }),
          user(INT64_MAX, { accessHash: INT64_MIN }),
        ]);
        await cache.upsert([user(ANN, { firstName: 'Anna' })]);
        await provider.state.set('update_state', '{"pts":1}');
        await provider.dialogs.upsertMany([
          dialog(ANN, { startedAt: T0, via: 'start', payload: 'ref', startMessageId: 2_147_483_647 }),
        ]);
        const before = await cache.get(ANN);
        await cache.close();
        provider = await (options.reopen as NonNullable<typeof options.reopen>)(provider);
        cache = open(provider);
        expect(await cache.get(ANN)).toEqual(before);
        expect((await cache.getByUsername('ANN_PERSIST'))?.id).toBe(ANN);
        expect((await cache.getByPhone('555555'))?.id).toBe(ANN);
        expect(await cache.inputPeerFor(INT64_MAX)).toMatchObject({ accessHash: INT64_MIN });
        expect(await cache.history(ANN)).toHaveLength(1);
        expect(await cache.count()).toBe(2);
        expect(await provider.state.get('update_state')).toBe('{"pts":1}');
        expect(await provider.dialogs.get(ANN)).toMatchObject({
          via: 'start',
          payload: 'ref',
          startMessageId: 2_147_483_647,
        });
      });
    });

    describe('lifecycle', () => {
      it('refuses to work after close', async () => {
        await cache.close();
        await expectError(() => cache.get(ANN), StorageError, 'closed');
        await expectError(() => cache.upsert([user(ANN)]), StorageError, 'closed');
        await expectError(() => provider.peers.get(ANN), StorageError, 'closed');
        await expectError(() => provider.state.set('k', 'v'), StorageError, 'closed');
        await cache.close();
      });
    });

    describe('repositories', () => {
      it('upserts peer rows idempotently', async () => {
        const record = sampleRecord(ANN);
        await provider.peers.upsertMany([record]);
        await provider.peers.upsertMany([record, record]);
        expect(await provider.peers.count()).toBe(1);
        expect(await provider.peers.get(ANN)).toEqual(record);
        expect(await provider.peers.getMany([ANN, BOB])).toEqual(new Map([[ANN, record]]));
        await provider.peers.deleteMany([ANN, BOB]);
        await provider.peers.deleteMany([ANN]);
        expect(await provider.peers.count()).toBe(0);
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
        await provider.peers.upsertMany([newer]);
        await provider.peers.upsertMany([older]);
        expect(await provider.peers.get(ANN)).toMatchObject({
          firstName: 'New',
          lastName: 'Newer',
          lastSeen: 2000,
        });
        // A sighting at the same time or later applies.
        await provider.peers.upsertMany([{ ...older, lastSeen: 1500, lastUpdated: 2000 }]); // changed earlier
        expect(await provider.peers.get(ANN)).toMatchObject({ firstName: 'New' });
        await provider.peers.upsertMany([{ ...older, lastSeen: 2000, lastUpdated: 1500 }]); // fields from before
        expect(await provider.peers.get(ANN)).toMatchObject({ firstName: 'New' });
        await provider.peers.upsertMany([{ ...older, lastSeen: 2000, lastUpdated: 2000 }]);
        expect(await provider.peers.get(ANN)).toMatchObject({ firstName: 'Old', lastName: null });
      });

      it('moves a username row to the peer that claims it', async () => {
        await provider.usernames.replaceForPeers([{ peerId: ANN, usernames: ['Name_One', 'name_two'] }]);
        await provider.usernames.replaceForPeers([{ peerId: BOB, usernames: ['name_one'] }]);
        await provider.usernames.replaceForPeers([{ peerId: BOB, usernames: ['name_one'] }]);
        expect(await provider.usernames.resolveMany(['name_one', 'name_two', 'nobody'])).toEqual(
          new Map([
            ['name_one', BOB],
            ['name_two', ANN],
          ]),
        );
        await provider.usernames.replaceForPeers([{ peerId: ANN, usernames: [] }]);
        await provider.usernames.deleteForPeers([BOB]);
        expect(await provider.usernames.resolveMany(['name_one', 'name_two'])).toEqual(new Map());
      });

      it('appends history rows in order and deletes them per peer', async () => {
        const rows: HistoryEntry[] = [
          { peerId: ANN, field: 'usernames', before: [], after: ['a_b_c', 'def'], at: 5 },
          { peerId: ANN, field: 'phone', before: null, after: '123456', at: 6 },
          { peerId: BOB, field: 'firstName', before: 'x', after: 'y', at: 7 },
        ];
        await provider.history.append(rows);
        expect(await provider.history.list(ANN)).toEqual(rows.slice(0, 2));
        await provider.history.deleteForPeers([ANN]);
        expect(await provider.history.list(ANN)).toEqual([]);
        expect(await provider.history.list(BOB)).toEqual(rows.slice(2));
      });

      it('stores key-value state and lists it by prefix in key order', async () => {
        await provider.state.set('b', '2');
        await provider.state.set('a:2', 'two');
        await provider.state.set('a:1', 'one');
        await provider.state.set('a:1', 'uno');
        await provider.state.set('a', 'root');
        expect(await provider.state.get('a:1')).toBe('uno');
        expect(await provider.state.list('a:')).toEqual([
          ['a:1', 'uno'],
          ['a:2', 'two'],
        ]);
        await provider.state.delete('a:1');
        await provider.state.delete('missing');
        expect(await provider.state.get('a:1')).toBeUndefined();
        expect((await provider.state.list('')).map(([k]) => k)).toEqual(['a', 'a:2', 'b']);
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
        await provider.dialogs.upsertMany([started, blocked, dialog(BOB)]);
        await provider.dialogs.upsertMany([started]);
        expect(await provider.dialogs.get(INT64_MAX)).toEqual(started);
        expect(await provider.dialogs.get(ANN)).toEqual(blocked);
        expect(await provider.dialogs.count()).toBe(3);
        expect(await provider.dialogs.count({ blocked: true })).toBe(1);
        expect(await provider.dialogs.count({ blocked: false })).toBe(2);
        expect((await provider.dialogs.page(null, 2)).map((d) => d.userId)).toEqual([ANN, BOB]);
        expect((await provider.dialogs.page(BOB, 2)).map((d) => d.userId)).toEqual([INT64_MAX]);
        await provider.dialogs.deleteMany([ANN]);
        expect(await provider.dialogs.get(ANN)).toBeUndefined();
      });

      it('rolls back every write of a failed transaction', async () => {
        await provider.state.set('kept', 'yes');
        const failure = new Error('boom');
        await expect(
          provider.transaction(async (tx) => {
            await tx.peers.upsertMany([sampleRecord(ANN)]);
            await tx.usernames.replaceForPeers([{ peerId: ANN, usernames: ['rolled_back'] }]);
            await tx.history.append([{ peerId: ANN, field: 'firstName', before: null, after: 'x', at: 1 }]);
            await tx.state.set('kept', 'no');
            await tx.state.set('new', 'no');
            await tx.dialogs.upsertMany([dialog(ANN)]);
            throw failure;
          }),
        ).rejects.toThrow();
        expect(await provider.peers.get(ANN)).toBeUndefined();
        expect(await provider.usernames.resolveMany(['rolled_back'])).toEqual(new Map());
        expect(await provider.history.list(ANN)).toEqual([]);
        expect(await provider.state.get('kept')).toBe('yes');
        expect(await provider.state.get('new')).toBeUndefined();
        expect(await provider.dialogs.get(ANN)).toBeUndefined();
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
        const tx = provider.transaction(async (repos) => {
          await repos.state.set('tx', '1');
          inside();
          await gate;
          throw new Error('rollback');
        });
        await started;
        let outsideDone = false;
        const outside = provider.state.set('outside', '1').then(() => {
          outsideDone = true;
        });
        await new Promise((resolve) => setTimeout(resolve, 5));
        expect(outsideDone).toBe(false);
        release();
        await expect(tx).rejects.toThrow();
        await outside;
        expect(await provider.state.get('tx')).toBeUndefined();
        expect(await provider.state.get('outside')).toBe('1');
      });

      it('commits every write of a successful transaction', async () => {
        const result = await provider.transaction(async (tx) => {
          await tx.state.set('k', 'v');
          await tx.dialogs.upsertMany([dialog(BOB, { blocked: true, blockedSince: 3 })]);
          return 42;
        });
        expect(result).toBe(42);
        expect(await provider.state.get('k')).toBe('v');
        expect((await provider.dialogs.get(BOB))?.blocked).toBe(true);
      });
    });

    describe('broadcasts', () => {
      const JOB = { id: 'job-1', text: 'hello', options: '{}', status: 'preparing' as const, createdAt: T0 };
      const repo = () => {
        const broadcasts = provider.broadcasts;
        if (broadcasts === undefined) throw new Error(`${name} keeps no broadcasts`);
        return broadcasts;
      };

      it('creates a job once and returns the existing one unchanged', async (ctx) => {
        if (!provider.broadcasts) ctx.skip(`${name} keeps no broadcasts`);
        expect(await repo().createJob(JOB)).toEqual({ ...JOB, updatedAt: T0 });
        expect(await repo().createJob({ ...JOB, text: 'other', createdAt: T0 + 5 })).toEqual({
          ...JOB,
          updatedAt: T0,
        });
        await repo().setJobStatus(JOB.id, 'ready', T0 + 10);
        expect(await repo().getJob(JOB.id)).toMatchObject({ status: 'ready', updatedAt: T0 + 10 });
        await repo().createJob({ ...JOB, id: 'job-0', createdAt: T0 + 1 });
        expect((await repo().listJobs()).map((j) => j.id)).toEqual(['job-1', 'job-0']);
        expect(await repo().getJob('missing')).toBeUndefined();
      });

      it('adds recipients idempotently and counts only the new ones', async (ctx) => {
        if (!provider.broadcasts) ctx.skip(`${name} keeps no broadcasts`);
        await repo().createJob(JOB);
        expect(await repo().addRecipients(JOB.id, [3n, 1n, 2n])).toBe(3);
        expect(await repo().addRecipients(JOB.id, [2n, 3n, INT64_MAX, INT64_MAX])).toBe(1);
        expect(await repo().addRecipients(JOB.id, [])).toBe(0);
        expect(await repo().counts(JOB.id)).toEqual({
          total: 4,
          pending: 4,
          sent: 0,
          skipped: 0,
          skippedByReason: {},
        });
        expect(await repo().getRecipient(JOB.id, INT64_MAX)).toEqual({
          jobId: JOB.id,
          userId: INT64_MAX,
          status: 'pending',
          messageId: null,
          reason: null,
          updatedAt: null,
        });
      });

      it('claims pending recipients in id order, each for one worker only', async (ctx) => {
        if (!provider.broadcasts) ctx.skip(`${name} keeps no broadcasts`);
        await repo().createJob(JOB);
        const ids = Array.from({ length: 60 }, (_, i) => BigInt(60 - i));
        await repo().addRecipients(JOB.id, ids);
        expect(await repo().claim(JOB.id, 'w1', 3, T0, 1000)).toEqual([1n, 2n, 3n]);
        // Claims made at once by several workers never overlap and together take every recipient once.
        const claims = await Promise.all(
          ['w2', 'w3', 'w4', 'w5'].map((w) => repo().claim(JOB.id, w, 20, T0, 1000)),
        );
        const all = claims.flat();
        expect(new Set(all).size).toBe(all.length);
        expect(all.length).toBe(57);
        for (const c of claims) expect(c).toEqual([...c].sort((a, b) => (a < b ? -1 : 1)));
        expect(await repo().claim(JOB.id, 'w6', 10, T0 + 999, 1000)).toEqual([]);
      });

      it('lets another worker take over a claim once its lease has run out', async (ctx) => {
        if (!provider.broadcasts) ctx.skip(`${name} keeps no broadcasts`);
        await repo().createJob(JOB);
        await repo().addRecipients(JOB.id, [1n, 2n]);
        expect(await repo().claim(JOB.id, 'dead', 2, T0, 500)).toEqual([1n, 2n]);
        expect(await repo().claim(JOB.id, 'alive', 2, T0 + 499, 500)).toEqual([]);
        expect(await repo().claim(JOB.id, 'alive', 2, T0 + 500, 500)).toEqual([1n, 2n]);
      });

      it('marks recipients sent or skipped, counts skips by reason and releases claims', async (ctx) => {
        if (!provider.broadcasts) ctx.skip(`${name} keeps no broadcasts`);
        await repo().createJob(JOB);
        await repo().addRecipients(JOB.id, [1n, 2n, 3n, 4n, 5n]);
        expect(await repo().claim(JOB.id, 'w', 5, T0, 60_000)).toEqual([1n, 2n, 3n, 4n, 5n]);
        await repo().markSent(JOB.id, 1n, 77, T0 + 1);
        await repo().markSkipped(JOB.id, 2n, 'blocked', T0 + 2);
        await repo().markSkipped(JOB.id, 3n, 'blocked', T0 + 3);
        await repo().markSkipped(JOB.id, 4n, 'deactivated', T0 + 4);
        expect(await repo().getRecipient(JOB.id, 1n)).toMatchObject({
          status: 'sent',
          messageId: 77,
          updatedAt: T0 + 1,
        });
        expect(await repo().getRecipient(JOB.id, 2n)).toMatchObject({ status: 'skipped', reason: 'blocked' });
        expect(await repo().counts(JOB.id)).toEqual({
          total: 5,
          pending: 1,
          sent: 1,
          skipped: 3,
          skippedByReason: { blocked: 2, deactivated: 1 },
        });
        // Still claimed by w within the lease: nobody gets it until it is released.
        expect(await repo().claim(JOB.id, 'other', 5, T0 + 10, 60_000)).toEqual([]);
        await repo().release(JOB.id, [5n, 1n]);
        expect(await repo().claim(JOB.id, 'other', 5, T0 + 10, 60_000)).toEqual([5n]);
        expect(await repo().getRecipient(JOB.id, 1n)).toMatchObject({ status: 'sent' });
        expect(await repo().getRecipient('job-1', 99n)).toBeUndefined();
        expect(await repo().counts('missing')).toEqual({
          total: 0,
          pending: 0,
          sent: 0,
          skipped: 0,
          skippedByReason: {},
        });
      });
    });

    describe('bulk reads', () => {
      it('reads and resolves hundreds of peers and usernames at once', async () => {
        const inputs = Array.from({ length: 300 }, (_, i) =>
          user(BigInt(i + 1), { usernames: [`bulk_user_${i}`], phone: `${1_000_000 + i}` }),
        );
        await cache.upsert(inputs);
        await cache.flush();
        const ids = inputs.map((r) => r.id);
        const found = await provider.peers.getMany([...ids, 999_999n]);
        expect(found.size).toBe(300);
        expect(found.get(300n)?.usernames).toEqual(['bulk_user_299']);
        const names = inputs.map((_, i) => `bulk_user_${i}`);
        const owners = await provider.usernames.resolveMany([...names, 'nobody_at_all']);
        expect(owners.size).toBe(300);
        expect(owners.get('bulk_user_7')).toBe(8n);
        const phones = await provider.peers.findByPhones(inputs.map((_, i) => `${1_000_000 + i}`));
        expect(phones.get('1000299')).toBe(300n);
        expect((await provider.peers.page(150n, 1000)).map((r) => r.id)).toEqual(ids.slice(150));
      });
    });

    describe('properties', () => {
      const withFreshCache = async (
        body: (c: PeerCache, p: StorageProvider) => Promise<void>,
      ): Promise<void> => {
        const p = await makeProvider();
        const c = new PeerCache({ storage: p, now: () => T0, cacheSize: 3, usernameCacheSize: 3 });
        try {
          await body(c, p);
        } finally {
          await c.close();
        }
      };

      it('ends with the newest full access hash after any sequence of min and full sightings', async () => {
        const sighting = fc.record({
          min: fc.boolean(),
          hash: fc.bigInt(INT64_MIN, INT64_MAX),
          flush: fc.boolean(),
        });
        await fc.assert(
          fc.asyncProperty(fc.array(sighting, { minLength: 1, maxLength: 12 }), async (sightings) => {
            await withFreshCache(async (c, p) => {
              for (const s of sightings) {
                await c.upsert([user(ANN, { accessHash: s.hash, min: s.min })]);
                if (s.flush) await c.flush();
              }
              const full = sightings.filter((s) => !s.min).at(-1);
              const expected = { accessHash: (full ?? sightings.at(-1))?.hash, min: full === undefined };
              expect(await c.get(ANN)).toMatchObject(expected);
              await c.flush();
              expect(await new PeerCache({ storage: p, closeStorage: false }).get(ANN)).toMatchObject(
                expected,
              );
            });
          }),
          { numRuns: runs },
        );
      });

      it('keeps the username index consistent with the owners after any sequence of changes', async () => {
        const pool = ['alpha_one', 'bravo', 'charlie_2', 'delta', 'echo_echo'];
        const peerIds = [1n, 2n, 3n, CHANNEL];
        const op = fc.oneof(
          fc.record({
            kind: fc.constant('set' as const),
            peer: fc.constantFrom(...peerIds),
            names: fc.subarray(pool),
            upper: fc.boolean(),
            min: fc.boolean(),
          }),
          fc.record({ kind: fc.constant('delete' as const), peer: fc.constantFrom(...peerIds) }),
          fc.record({ kind: fc.constant('flush' as const) }),
        );
        await fc.assert(
          fc.asyncProperty(fc.array(op, { maxLength: 15 }), async (ops) => {
            await withFreshCache(async (c, p) => {
              const model = new Map<bigint, string[]>();
              const fullSeen = new Set<bigint>();
              for (const o of ops) {
                if (o.kind === 'flush') await c.flush();
                else if (o.kind === 'delete') {
                  await c.delete(o.peer);
                  model.delete(o.peer);
                  fullSeen.delete(o.peer);
                } else {
                  const names = o.names.map((n) => (o.upper ? n.toUpperCase() : n));
                  const input: PeerInput =
                    o.peer === CHANNEL
                      ? { id: o.peer, type: 'channel', accessHash: 5n, usernames: names, min: o.min }
                      : user(o.peer, { usernames: names, min: o.min });
                  await c.upsert([input]);
                  // The min rule: over a full record, a min sighting only fills an empty username list.
                  const current = model.get(o.peer) ?? [];
                  const applies = !o.min || !fullSeen.has(o.peer) || current.length === 0;
                  if (!o.min) fullSeen.add(o.peer);
                  if (applies) {
                    for (const [other, list] of model) {
                      if (other !== o.peer)
                        model.set(
                          other,
                          list.filter((n) => !o.names.includes(n)),
                        );
                    }
                    model.set(o.peer, [...o.names]);
                  } else if (!model.has(o.peer)) model.set(o.peer, []);
                }
              }
              const check = async (view: PeerCache): Promise<void> => {
                for (const name of pool) {
                  const owner = [...model].find(([, list]) => list.includes(name))?.[0];
                  expect((await view.getByUsername(name.toUpperCase()))?.id).toBe(owner);
                }
                for (const [id, list] of model) {
                  expect((await view.get(id))?.usernames.map((n) => n.toLowerCase())).toEqual(list);
                }
              };
              await check(c);
              await c.flush();
              await check(new PeerCache({ storage: p, closeStorage: false }));
              const index = await p.usernames.resolveMany(pool);
              for (const name of pool) {
                expect(index.get(name)).toBe([...model].find(([, list]) => list.includes(name))?.[0]);
              }
            });
          }),
          { numRuns: runs },
        );
      });

      it('never forgets a known lang code', async () => {
        const code = fc.option(fc.constantFrom('en', 'de', 'pt-br'), { nil: undefined });
        await fc.assert(
          fc.asyncProperty(fc.array(code, { minLength: 1, maxLength: 8 }), async (codes) => {
            await withFreshCache(async (c) => {
              for (const langCode of codes) await c.upsert([user(ANN, { langCode })]);
              const last = codes.filter((x) => x !== undefined).at(-1) ?? null;
              expect((await c.get(ANN))?.langCode).toBe(last);
            });
          }),
          { numRuns: runs },
        );
      });
    });
  });
}
