/** Conformance: iteration and deletion, 64-bit edge values, bad input, text (lone surrogates, NUL) and records the store refuses. */
import { describe, expect, it } from 'vitest';
import {
  InvalidAccessHashError,
  InvalidPeerIdError,
  InvalidPeerRecordError,
  InvalidPhoneError,
  InvalidUsernameError,
  StorageError,
} from '../errors.js';
import { PeerCache } from '../storage/peer-cache.js';
import { INT64_MAX, INT64_MIN } from '../storage/peer-ids.js';
import type { PeerInput, PeerRecord, StorageProvider } from '../storage/types.js';
import { ANN, BOB, CHANNEL, CHAT, type ErrorClass, expectError, type Suite, T0, user } from './fixtures.js';

export function describeEdges(s: Suite): void {
  const { options, open, fromStorage } = s;
  describe('iterate, count and delete', () => {
    it('iterates every record in ascending id order across pages', async () => {
      const ids = [INT64_MIN, CHANNEL, CHAT, -1n, 1n, 2n ** 53n + 1n, INT64_MAX];
      const inputs = ids.map((id): PeerInput => (id > 0n ? user(id, { accessHash: 1n }) : { id }));
      for (let i = 3n; i < 40n; i++) inputs.push(user(i * 1000n));
      await s.cache.upsert(inputs);
      const seen: bigint[] = [];
      for await (const record of s.cache.iterate({ pageSize: 7 })) seen.push(record.id);
      expect(seen).toEqual(
        [...new Set(inputs.map((r) => r.id))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
      );
      expect(await s.cache.count()).toBe(seen.length);
    });

    it('iterates nothing in an empty store', async () => {
      const seen: PeerRecord[] = [];
      for await (const record of s.cache.iterate()) seen.push(record);
      expect(seen).toEqual([]);
      expect(await s.cache.count()).toBe(0);
    });

    it('deletes a peer with its usernames and history', async () => {
      await s.cache.upsert([
        user(ANN, { usernames: ['ann_del'], firstName: 'A', phone: '444444' }),
        user(BOB),
      ]);
      await s.cache.upsert([user(ANN, { firstName: 'B' })]);
      await s.cache.flush();
      expect(await s.cache.delete(ANN)).toBe(true);
      expect(await s.cache.get(ANN)).toBeUndefined();
      expect(await s.cache.getByUsername('ann_del')).toBeUndefined();
      expect(await s.cache.getByPhone('444444')).toBeUndefined();
      expect(await s.cache.history(ANN)).toEqual([]);
      expect(await s.cache.count()).toBe(1);
      expect(await s.provider.usernames.resolveMany(['ann_del'])).toEqual(new Map());
      expect(await s.cache.delete(ANN)).toBe(false);
    });

    it('starts afresh when a deleted peer is seen again', async () => {
      await s.cache.upsert([user(ANN, { firstName: 'A', usernames: ['ann_again'] })]);
      await s.cache.delete(ANN);
      s.now += 50;
      const [result] = await s.cache.upsert([user(ANN, { firstName: 'B', usernames: ['ann_again'] })]);
      expect(result?.created).toBe(true);
      expect(await fromStorage(ANN)).toMatchObject({ firstName: 'B', firstSeen: T0 + 50 });
      expect((await s.cache.getByUsername('ann_again'))?.id).toBe(ANN);
      expect(await s.cache.history(ANN)).toEqual([]);
    });
  });

  describe('64-bit values', () => {
    it('round-trips ids and hashes at the edges of the signed 64-bit range', async () => {
      const beyond53 = 2n ** 53n + 1n;
      await s.cache.upsert([
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
      expect(await s.cache.inputPeerFor(INT64_MIN)).toEqual({
        kind: 'channel',
        id: 2n ** 63n - 1_000_000_000_000n,
        accessHash: INT64_MAX,
        min: false,
      });
      expect((await s.cache.get(String(beyond53)))?.id).toBe(beyond53);
      expect(await s.cache.get(beyond53 + 1n)).toBeUndefined();
    });
  });

  describe('bad input', () => {
    const rejectsAndKeepsStore = async (records: PeerInput[], type: ErrorClass, mentions: string) => {
      await s.cache.upsert([user(ANN, { firstName: 'Before' })]);
      await expectError(() => s.cache.upsert(records), type, mentions);
      expect(await s.cache.count()).toBe(1);
      expect((await s.cache.get(ANN))?.firstName).toBe('Before');
      expect(await s.cache.history(ANN)).toEqual([]);
    };

    it('rejects an id given as a JS number', async () => {
      await rejectsAndKeepsStore([{ id: 42 as unknown as bigint }], InvalidPeerIdError, '42');
      await expectError(() => s.cache.get(42 as unknown as bigint), InvalidPeerIdError, '42');
    });

    it('rejects ids that are not 64-bit integers', async () => {
      for (const bad of ['abc', '12.5', '', '1e3', ' 1', '9223372036854775808', '-9223372036854775809']) {
        const error = await expectError(() => s.cache.get(bad), InvalidPeerIdError, JSON.stringify(bad));
        expect(error.code).toBe('INVALID_PEER_ID');
      }
      await rejectsAndKeepsStore([user(2n ** 63n)], InvalidPeerIdError, '9223372036854775808');
      await expectError(() => s.cache.upsert([user(0n)]), InvalidPeerIdError, '0n');
    });

    it('rejects an access hash outside the signed 64-bit range', async () => {
      await rejectsAndKeepsStore(
        [user(BOB, { accessHash: 2n ** 63n })],
        InvalidAccessHashError,
        '9223372036854775808',
      );
      await expectError(
        () => s.cache.upsert([user(BOB, { accessHash: -(2n ** 63n) - 1n })]),
        InvalidAccessHashError,
        '-9223372036854775809',
      );
      await expectError(
        () => s.cache.upsert([user(BOB, { accessHash: 5 as unknown as bigint })]),
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
          () => s.cache.upsert([user(BOB, { usernames: [name] })]),
          InvalidUsernameError,
          name,
        );
        await expectError(() => s.cache.getByUsername(name), InvalidUsernameError, name);
      }
      await rejectsAndKeepsStore(
        [user(BOB, { usernames: ['good_name', 'bad__name'] })],
        InvalidUsernameError,
        'bad__name',
      );
    });

    it('accepts the shortest usernames Telegram has: collectible 4 and its own 3-letter bots', async () => {
      await s.cache.upsert([user(BOB, { usernames: ['gif', 'abcd', `a${'b'.repeat(31)}`] })]);
      expect((await s.cache.getByUsername('GIF'))?.id).toBe(BOB);
    });

    it('rejects a phone that is not digits', async () => {
      await rejectsAndKeepsStore([user(BOB, { phone: 'call me' })], InvalidPhoneError, 'call me');
      await expectError(() => s.cache.getByPhone('12'), InvalidPhoneError, '12');
    });

    it('rejects a type that does not fit the id', async () => {
      await rejectsAndKeepsStore([{ id: CHAT, type: 'user' }], InvalidPeerRecordError, '"user"');
      await expectError(
        () => s.cache.upsert([{ id: ANN, type: 'robot' as 'bot' }]),
        InvalidPeerRecordError,
        'robot',
      );
      await expectError(() => s.cache.upsert([{ id: CHAT, accessHash: 5n }]), InvalidAccessHashError, '5n');
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
      expect(await s.cache.getByUsername('bob_valid')).toBeUndefined();
    });
  });

  describe('text', () => {
    it('stores lone surrogates the same way everywhere, so a sighting compares equal after a reopen', async () => {
      const sighting = user(ANN, { firstName: 'Ann\uD83D', lastName: '\uDE00 Lee 😀', title: null });
      const [first] = await s.cache.upsert([sighting]);
      expect(first?.record).toMatchObject({ firstName: 'Ann\uFFFD', lastName: '\uFFFD Lee 😀' });
      expect(await fromStorage(ANN)).toMatchObject({ firstName: 'Ann\uFFFD', lastName: '\uFFFD Lee 😀' });
      s.now += 1000;
      const [again] = await s.cache.upsert([sighting]);
      expect(again?.changes).toEqual([]);
      if (s.provider.persistent && options.reopen !== undefined) {
        await s.cache.close();
        s.provider = await options.reopen(s.provider);
        s.cache = open(s.provider);
        s.now += 1000;
        const [reopened] = await s.cache.upsert([sighting]);
        expect(reopened?.changes).toEqual([]);
      }
      expect(await s.cache.history(ANN)).toEqual([]);
    });

    it('refuses NUL in any text of a record the same way everywhere, naming the field and the peer, and loses nothing else', async () => {
      // Sightings waiting to be written when the refused batch comes: every one of them is written after it.
      const waiting = [
        user(BOB, { firstName: 'Bob', usernames: ['bob_nul'] }),
        { id: CHANNEL, type: 'channel' as const, accessHash: 3n, title: 'News' },
      ];
      await s.cache.upsert(waiting);
      const cases: [Partial<PeerInput>, ErrorClass, string][] = [
        [{ firstName: 'A\0n' }, InvalidPeerRecordError, 'records[1].firstName'],
        [{ lastName: '\0' }, InvalidPeerRecordError, 'records[1].lastName'],
        [{ title: 'T\0' }, InvalidPeerRecordError, 'records[1].title'],
        [{ usernames: ['ann_nul', 'a\0nn'] }, InvalidUsernameError, 'records[1].usernames[1]'],
        [{ phone: '555\u00000001' }, InvalidPhoneError, 'records[1].phone'],
        [{ langCode: 'e\0n' }, InvalidPeerRecordError, 'records[1].langCode'],
      ];
      for (const [fields, type, field] of cases) {
        const error = await expectError(
          () => s.cache.upsert([user(3n, { firstName: 'Good' }), user(ANN, fields)]),
          type,
          `at ${field}: expected text without U+0000 (NUL)`,
        );
        expect(error.message).toContain(`(peer ${ANN})`);
        expect(error).toMatchObject({ field });
      }
      await s.cache.flush();
      // The refused batch wrote nothing (validated whole first); what was waiting before it is all stored.
      expect(await fromStorage(ANN)).toBeUndefined();
      expect(await fromStorage(3n)).toBeUndefined();
      expect(await fromStorage(BOB)).toMatchObject({ firstName: 'Bob', usernames: ['bob_nul'] });
      expect(await fromStorage(CHANNEL)).toMatchObject({ title: 'News', accessHash: 3n });
      expect(await s.provider.peers.count()).toBe(2);
      expect((await s.cache.getByUsername('bob_nul'))?.id).toBe(BOB);
    });
  });

  describe('a record the store refuses', () => {
    it('is set aside and reported by peer id while every other record is written', async () => {
      const errors: StorageError[] = [];
      const refusing: StorageProvider = {
        ...s.provider,
        name: s.provider.name,
        persistent: s.provider.persistent,
        peers: s.provider.peers,
        usernames: s.provider.usernames,
        history: s.provider.history,
        state: s.provider.state,
        dialogs: s.provider.dialogs,
        transaction: (fn) =>
          s.provider.transaction((tx) =>
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
        close: () => s.provider.close(),
      };
      const guarded = new PeerCache({
        storage: refusing,
        closeStorage: false,
        now: () => s.now,
        onError: (e) => errors.push(e),
      });
      const ids = Array.from({ length: 12 }, (_, i) => BigInt(i + 1));
      await guarded.upsert(
        ids.map((id) => user(id, { firstName: id === 7n ? 'Refused' : `U${id}`, usernames: [`user_${id}`] })),
      );
      await guarded.flush();
      await guarded.close();
      expect(errors.map((e) => [e.code, (e as { peerIds?: unknown }).peerIds])).toEqual([
        ['STORAGE_RECORD_REJECTED', [7n]],
      ]);
      expect(await s.provider.peers.count()).toBe(11);
      expect(await s.provider.peers.get(7n)).toBeUndefined();
      expect((await s.provider.usernames.resolveMany(['user_6', 'user_7', 'user_8'])).size).toBe(2);
    });
  });
}
