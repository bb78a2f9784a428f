import bigInt from 'big-integer';
import { Api } from 'telegram';
import { BinaryReader } from 'telegram/extensions/index.js';
import { describe, expect, it } from 'vitest';
import { createMemoryStorage } from '../storage/memory/index.js';
import { PeerCache } from '../storage/peer-cache.js';
import {
  peerInputFromGram,
  peerInputsFromGram,
  peersOf,
  toGramInputChannel,
  toGramInputPeer,
  toGramInputUser,
} from './entities.js';
import { toBigint } from './tl.js';

const MAX = '9223372036854775807';
const MIN = '-9223372036854775808';

describe('peerInputFromGram', () => {
  it('maps a full user with every field, ids and hashes exact beyond 2^53', () => {
    const u = new Api.User({
      id: bigInt('9007199254740993'),
      accessHash: bigInt(MIN),
      firstName: 'Ann',
      lastName: 'Lee',
      username: 'Ann_Lee',
      usernames: [
        new Api.Username({ username: 'Ann_Lee', active: true, editable: true }),
        new Api.Username({ username: 'ann4', active: true }),
        new Api.Username({ username: 'ann_hidden', active: false }),
      ],
      phone: '15550100',
      langCode: 'en',
      premium: true,
      photo: new Api.UserProfilePhoto({ photoId: bigInt(MAX), dcId: 2 }),
    });
    expect(peerInputFromGram(u)).toEqual({
      id: 9007199254740993n,
      type: 'user',
      accessHash: -9223372036854775808n,
      min: false,
      usernames: ['Ann_Lee', 'ann4'],
      firstName: 'Ann',
      lastName: 'Lee',
      phone: '15550100',
      langCode: 'en',
      premium: true,
      verified: false,
      deleted: false,
      photoId: 9223372036854775807n,
    });
  });

  it('states what a full user lacks as null so the cache clears it', () => {
    const input = peerInputFromGram(
      new Api.User({ id: bigInt(5), accessHash: bigInt(1), firstName: 'A', bot: true }),
    );
    expect(input).toMatchObject({ type: 'bot', lastName: null, usernames: [], photoId: null });
    expect(input?.langCode).toBeUndefined();
    expect(input?.phone).toBeUndefined();
  });

  it('leaves out what a min user does not carry', () => {
    const input = peerInputFromGram(
      new Api.User({
        id: bigInt(7),
        accessHash: bigInt(-3),
        min: true,
        firstName: 'Min',
        photo: new Api.UserProfilePhoto({ photoId: bigInt(9), dcId: 1 }),
      }),
    );
    expect(input).toEqual({
      id: 7n,
      type: 'user',
      accessHash: -3n,
      min: true,
      usernames: undefined,
      firstName: 'Min',
      lastName: undefined,
      phone: undefined,
      langCode: undefined,
      deleted: undefined,
      photoId: undefined,
    });
  });

  it('takes the photo of a min user only with apply_min_photo', () => {
    const input = peerInputFromGram(
      new Api.User({
        id: bigInt(7),
        min: true,
        applyMinPhoto: true,
        photo: new Api.UserProfilePhoto({ photoId: bigInt(9), dcId: 1 }),
      }),
    );
    expect(input?.photoId).toBe(9n);
  });

  it('maps UserEmpty and deleted accounts to a deleted mark that keeps the last names', () => {
    expect(peerInputFromGram(new Api.UserEmpty({ id: bigInt(8) }))).toEqual({ id: 8n, deleted: true });
    const deleted = peerInputFromGram(new Api.User({ id: bigInt(8), accessHash: bigInt(2), deleted: true }));
    expect(deleted).toMatchObject({
      deleted: true,
      usernames: [],
      firstName: undefined,
      lastName: undefined,
    });
  });

  it('maps channels and supergroups with marked ids, min channels without their usernames', () => {
    const photo = new Api.ChatPhotoEmpty();
    const channel = new Api.Channel({
      id: bigInt(777),
      accessHash: bigInt(MAX),
      title: 'News',
      username: 'news_chan',
      photo,
      date: 0,
      verified: true,
    });
    expect(peerInputFromGram(channel)).toEqual({
      id: -1000000000777n,
      type: 'channel',
      accessHash: 9223372036854775807n,
      min: false,
      usernames: ['news_chan'],
      title: 'News',
      verified: true,
      photoId: null,
    });
    const min = new Api.Channel({
      id: bigInt(778),
      accessHash: bigInt(1),
      min: true,
      megagroup: true,
      title: 'G',
      photo,
      date: 0,
    });
    expect(peerInputFromGram(min)).toMatchObject({
      id: -1000000000778n,
      type: 'supergroup',
      min: true,
      usernames: undefined,
      verified: undefined,
    });
  });

  it('maps ChannelForbidden with its full access hash', () => {
    const forbidden = new Api.ChannelForbidden({
      id: bigInt(9),
      accessHash: bigInt(-1),
      title: 'Gone',
      megagroup: true,
    });
    expect(peerInputFromGram(forbidden)).toEqual({
      id: -1000000000009n,
      type: 'supergroup',
      accessHash: -1n,
      title: 'Gone',
    });
  });

  it('maps basic chats, forbidden and empty ones', () => {
    const chat = new Api.Chat({
      id: bigInt(42),
      title: 'Group',
      photo: new Api.ChatPhoto({ photoId: bigInt(5), dcId: 2 }),
      participantsCount: 3,
      date: 0,
      version: 1,
    });
    expect(peerInputFromGram(chat)).toEqual({ id: -42n, type: 'chat', title: 'Group', photoId: 5n });
    expect(peerInputFromGram(new Api.ChatForbidden({ id: bigInt(43), title: 'Kicked' }))).toEqual({
      id: -43n,
      type: 'chat',
      title: 'Kicked',
    });
    expect(peerInputFromGram(new Api.ChatEmpty({ id: bigInt(44) }))).toEqual({
      id: -44n,
      type: 'chat',
      deleted: true,
    });
  });

  it('replaces NUL in every name and title Telegram sends with U+FFFD, keeping the peer and its hash', () => {
    const full = new Api.User({ id: bigInt(7), accessHash: bigInt(77), firstName: 'A\0n', lastName: '\0\0' });
    expect(peerInputFromGram(full)).toMatchObject({
      accessHash: 77n,
      firstName: 'A\uFFFDn',
      lastName: '\uFFFD\uFFFD',
    });
    const min = new Api.User({
      id: bigInt(7),
      accessHash: bigInt(78),
      min: true,
      firstName: '\0',
      lastName: 'L\0',
    });
    expect(peerInputFromGram(min)).toMatchObject({ firstName: '\uFFFD', lastName: 'L\uFFFD' });
    const chats = [
      new Api.Channel({
        id: bigInt(5),
        accessHash: bigInt(55),
        title: 'N\0ws',
        photo: new Api.ChatPhotoEmpty(),
        date: 0,
      }),
      new Api.ChannelForbidden({ id: bigInt(5), accessHash: bigInt(55), title: 'N\0ws' }),
      new Api.Chat({
        id: bigInt(6),
        title: 'N\0ws',
        photo: new Api.ChatPhotoEmpty(),
        participantsCount: 2,
        date: 1,
        version: 1,
      }),
      new Api.ChatForbidden({ id: bigInt(6), title: 'N\0ws' }),
    ];
    for (const chat of chats) expect(peerInputFromGram(chat)?.title, chat.className).toBe('N\uFFFDws');
    // As GramJS decodes it from the wire: a TL string holding a 0 byte arrives as U+0000.
    const decoded = new BinaryReader(full.getBytes()).tgReadObject() as Api.User;
    expect(decoded.firstName).toBe('A\0n');
    expect(peerInputFromGram(decoded)).toMatchObject({ firstName: 'A\uFFFDn' });
  });

  it('stores a user whose name Telegram sent with NUL, where the same record from anyone else is refused', async () => {
    const cache = new PeerCache({ storage: createMemoryStorage() });
    const [result] = await cache.upsert(
      peerInputsFromGram([new Api.User({ id: bigInt(7), accessHash: bigInt(77), firstName: 'A\0n' })]),
    );
    expect(result?.record).toMatchObject({ id: 7n, accessHash: 77n, firstName: 'A\uFFFDn' });
    await expect(cache.upsert([{ id: 8n, accessHash: 88n, firstName: 'A\0n' }])).rejects.toThrow(
      'expected text without U+0000 (NUL), which not every store can hold (peer 8)',
    );
    await cache.close();
  });

  it('skips objects that are not users or chats', () => {
    expect(peerInputFromGram(new Api.PeerUser({ userId: bigInt(1) }))).toBeUndefined();
    expect(peerInputsFromGram([new Api.UserEmpty({ id: bigInt(1) }), 'junk', null])).toHaveLength(1);
  });
});

describe('ingesting GramJS objects into the peer cache', () => {
  it('keeps the full hash when the same user later arrives as min, and resolves its usernames', async () => {
    const cache = new PeerCache({ storage: createMemoryStorage() });
    const full = new Api.User({
      id: bigInt(100),
      accessHash: bigInt(111),
      firstName: 'Ann',
      usernames: [new Api.Username({ username: 'Ann_Collect', active: true })],
      langCode: 'de',
    });
    const min = new Api.User({ id: bigInt(100), accessHash: bigInt(222), min: true, firstName: 'Other' });
    await cache.upsert(peerInputsFromGram([full]));
    await cache.upsert(
      peerInputsFromGram([
        min,
        new Api.User({
          id: bigInt(100),
          accessHash: bigInt(111),
          firstName: 'Ann',
          usernames: full.usernames,
        }),
      ]),
    );
    const record = await cache.getByUsername('ann_collect');
    expect(record).toMatchObject({
      id: 100n,
      accessHash: 111n,
      min: false,
      firstName: 'Ann',
      langCode: 'de',
    });
    await cache.close();
  });
});

describe('toGramInputPeer', () => {
  it('builds InputPeerUser, InputPeerChat and InputPeerChannel with exact 64-bit values', () => {
    const userPeer = toGramInputPeer({
      kind: 'user',
      id: 9007199254740993n,
      accessHash: -9223372036854775808n,
    });
    expect(userPeer).toBeInstanceOf(Api.InputPeerUser);
    expect((userPeer as Api.InputPeerUser).userId.toString()).toBe('9007199254740993');
    expect((userPeer as Api.InputPeerUser).accessHash.toString()).toBe(MIN);
    const chat = toGramInputPeer({ kind: 'chat', id: 42n, accessHash: 0n });
    expect(chat).toBeInstanceOf(Api.InputPeerChat);
    expect((chat as Api.InputPeerChat).chatId.toString()).toBe('42');
    const channel = toGramInputPeer({ kind: 'channel', id: 777n, accessHash: 9223372036854775807n });
    expect(channel).toBeInstanceOf(Api.InputPeerChannel);
    expect((channel as Api.InputPeerChannel).accessHash.toString()).toBe(MAX);
  });

  it('builds InputUser and InputChannel', () => {
    expect(toGramInputUser({ id: 5n, accessHash: -1n }).accessHash.toString()).toBe('-1');
    expect(toGramInputChannel({ id: 6n, accessHash: 2n }).channelId.toString()).toBe('6');
  });

  it('round-trips through the cache: inputPeerFor → toGramInputPeer', async () => {
    const cache = new PeerCache({ storage: createMemoryStorage() });
    await cache.upsert(
      peerInputsFromGram([
        new Api.Channel({
          id: bigInt(777),
          accessHash: bigInt(-5),
          title: 'C',
          photo: new Api.ChatPhotoEmpty(),
          date: 0,
        }),
      ]),
    );
    const descriptor = await cache.inputPeerFor(-1000000000777n);
    const peer = toGramInputPeer(descriptor!) as Api.InputPeerChannel;
    expect(peer.channelId.toString()).toBe('777');
    expect(peer.accessHash.toString()).toBe('-5');
    await cache.close();
  });
});

describe('peersOf', () => {
  it('maps every user and chat an RPC result carries, nested in lists and fields, once each', () => {
    const ann = new Api.User({ id: bigInt(7), accessHash: bigInt(70), firstName: 'Ann' });
    const bob = new Api.User({ id: bigInt(8), accessHash: bigInt(80), firstName: 'Bob', min: true });
    const group = new Api.Chat({
      id: bigInt(5),
      title: 'G',
      photo: new Api.ChatPhotoEmpty(),
      participantsCount: 2,
      date: 0,
      version: 1,
    });
    const difference = new Api.updates.Difference({
      newMessages: [],
      newEncryptedMessages: [],
      otherUpdates: [],
      users: [ann, bob],
      chats: [group],
      state: new Api.updates.State({ pts: 1, qts: 0, date: 0, seq: 0, unreadCount: 0 }),
    });
    expect(peersOf(difference)).toEqual([
      peerInputFromGram(ann),
      peerInputFromGram(bob),
      peerInputFromGram(group),
    ]);
    expect(peersOf([ann, new Api.PeerUser({ userId: bigInt(9) })])).toEqual([peerInputFromGram(ann)]);
    expect(peersOf(new Api.auth.Authorization({ user: ann }))).toEqual([peerInputFromGram(ann)]);
    expect(peersOf(true)).toEqual([]);
  });
});

describe('toBigint', () => {
  it('reads every 64-bit value exactly, however big-integer holds it (native, small, or digit array)', () => {
    const values = ['0', '-1', '42', '9007199254740993', '-9007199254740993', MAX, MIN];
    for (const s of values) {
      expect(toBigint(bigInt(s))).toBe(BigInt(s));
      // As GramJS reads a long: parsed from hex.
      const n = BigInt(s);
      expect(toBigint(bigInt((n < 0n ? '-' : '') + (n < 0n ? -n : n).toString(16), 16))).toBe(n);
      // big-integer's own representations on a runtime without BigInt: a safe number, or base-1e7 digits.
      const small = Number(n);
      if (Number.isSafeInteger(small)) expect(toBigint({ value: small, toString: () => s } as never)).toBe(n);
      expect(toBigint({ value: [1, 2], toString: () => s } as never)).toBe(n);
    }
  });
});

describe('usernames of a user', () => {
  it('reads a user whose usernames field is absent as GramJS leaves it (null) or empty', () => {
    for (const usernames of [null, undefined, []]) {
      const u = new Api.User({
        id: bigInt(5),
        accessHash: bigInt(6),
        username: 'Only_One',
        usernames,
      } as never);
      expect(peerInputFromGram(u)?.usernames).toEqual(['Only_One']);
    }
    const many = new Api.User({
      id: bigInt(5),
      accessHash: bigInt(6),
      username: 'Main',
      usernames: [
        new Api.Username({ username: 'main', active: true }),
        new Api.Username({ username: 'Second', active: true }),
        new Api.Username({ username: 'Gone', active: false }),
      ],
    });
    expect(peerInputFromGram(many)?.usernames).toEqual(['Main', 'Second']);
  });
});
