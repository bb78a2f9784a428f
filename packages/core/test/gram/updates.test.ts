import { describe, expect, it } from 'vitest';
import { Api, bigInt } from '../../src/gram/tl.js';
import { mapDifference, mapIncoming, mapUpdate, markedPeerId } from '../../src/gram/updates.js';

const big = (n: bigint) => bigInt(n.toString());
const userId = 9007199254740993n; // > 2^53: must survive exactly

describe('gram update mapping', () => {
  it('marks peer ids the way Telegram clients do', () => {
    expect(markedPeerId(new Api.PeerUser({ userId: big(userId) }))).toBe(userId);
    expect(markedPeerId(new Api.PeerChat({ chatId: big(42n) }))).toBe(-42n);
    expect(markedPeerId(new Api.PeerChannel({ channelId: big(1234n) }))).toBe(-1000000001234n);
  });

  it('maps a private /start message with its pts and keeps the 64-bit sender id exact', () => {
    const msg = new Api.Message({
      id: 5,
      peerId: new Api.PeerUser({ userId: big(userId) }),
      date: 1700000000,
      message: '/start ref',
    });
    const got = mapIncoming(
      new Api.Updates({
        updates: [new Api.UpdateNewMessage({ message: msg, pts: 11, ptsCount: 1 })],
        users: [],
        chats: [],
        date: 1700000000,
        seq: 0,
      }),
    );
    expect(got).toEqual({
      kind: 'updates',
      seq: 0,
      seqStart: 0,
      date: 1700000000,
      updates: [
        {
          seq: { box: 'pts', pts: 11, ptsCount: 1 },
          update: {
            type: 'message',
            messageId: 5,
            date: 1700000000,
            fromId: userId,
            chatId: userId,
            isPrivate: true,
            out: false,
            text: '/start ref',
          },
        },
      ],
    });
  });

  it('maps updateBotStopped and join requests to the qts box', () => {
    const got = mapIncoming(
      new Api.Updates({
        updates: [
          new Api.UpdateBotStopped({ userId: big(userId), date: 1, stopped: true, qts: 3 }),
          new Api.UpdateBotChatInviteRequester({
            peer: new Api.PeerChannel({ channelId: big(77n) }),
            date: 2,
            userId: big(userId),
            about: 'hi',
            invite: new Api.ChatInvitePublicJoinRequests(),
            qts: 4,
          }),
        ],
        users: [],
        chats: [],
        date: 2,
        seq: 7,
      }),
    );
    expect(got?.kind === 'updates' && got.updates).toEqual([
      { update: { type: 'botStopped', userId, stopped: true, date: 1 }, seq: { box: 'qts', qts: 3 } },
      {
        update: { type: 'joinRequest', userId, chatId: -1000000000077n, date: 2, about: 'hi' },
        seq: { box: 'qts', qts: 4 },
      },
    ]);
  });

  it('maps the Login Widget service message and a rename', () => {
    const service = new Api.MessageService({
      id: 9,
      peerId: new Api.PeerUser({ userId: big(userId) }),
      date: 3,
      action: new Api.MessageActionBotAllowed({ domain: 'example.com' }),
    });
    const d = mapDifference(
      new Api.updates.Difference({
        newMessages: [service],
        newEncryptedMessages: [],
        otherUpdates: [
          new Api.UpdateUserName({
            userId: big(userId),
            firstName: 'Ann',
            lastName: '',
            usernames: [
              new Api.Username({ username: 'ann_new', active: true }),
              new Api.Username({ username: 'ann_old', active: false }),
            ],
          }),
        ],
        chats: [],
        users: [],
        state: new Api.updates.State({ pts: 1, qts: 2, date: 3, seq: 4, unreadCount: 0 }),
      }),
    );
    expect(d).toEqual({
      kind: 'difference',
      state: { pts: 1, qts: 2, seq: 4, date: 3 },
      updates: [
        {
          update: { type: 'botAllowed', messageId: 9, date: 3, userId, domain: 'example.com' },
          seq: { box: 'none' },
        },
        {
          update: { type: 'userName', userId, firstName: 'Ann', lastName: '', usernames: ['ann_new'] },
          seq: { box: 'none' },
        },
      ],
    });
  });

  it('replaces NUL in the names of a rename with U+FFFD', () => {
    const got = mapUpdate(
      new Api.UpdateUserName({ userId: big(userId), firstName: 'A\0n', lastName: '\0', usernames: [] }),
    );
    expect(got.update).toEqual({
      type: 'userName',
      userId,
      firstName: 'A\uFFFDn',
      lastName: '\uFFFD',
      usernames: [],
    });
  });

  it('maps the result of our own send so the pts box advances', () => {
    const got = mapIncoming(
      new Api.UpdateShortSentMessage({ id: 1, pts: 20, ptsCount: 1, date: 5, out: true }),
    );
    expect(got?.kind === 'updates' && got.updates[0]?.seq).toEqual({ box: 'pts', pts: 20, ptsCount: 1 });
  });
});
