import { markId } from '../storage/peer-ids.js';
import type {
  BotUpdate,
  Difference,
  IncomingUpdates,
  SequencedUpdate,
  UpdateState,
} from '../updates/types.js';
import { Api, textFromTl, toBigint } from './tl.js';

/** Marked peer id as Telegram clients write it: users as is, basic chats negated, channels -100…. */
export function markedPeerId(peer: Api.TypePeer): bigint {
  if (peer instanceof Api.PeerUser) return markId('user', toBigint(peer.userId));
  if (peer instanceof Api.PeerChat) return markId('chat', toBigint(peer.chatId));
  return markId('channel', toBigint((peer as Api.PeerChannel).channelId));
}

function usernamesOf(list: readonly Api.TypeUsername[] | undefined): string[] {
  return (list ?? [])
    .filter((u) => u instanceof Api.Username && u.active)
    .map((u) => (u as Api.Username).username);
}

/** Maps one message (from an update or a difference) to a BotUpdate. */
export function mapMessage(m: Api.TypeMessage): BotUpdate {
  if (m instanceof Api.Message) {
    const isPrivate = m.peerId instanceof Api.PeerUser;
    const chatId = markedPeerId(m.peerId);
    const fromId = m.fromId ? markedPeerId(m.fromId) : isPrivate && !m.out ? chatId : undefined;
    return {
      type: 'message',
      messageId: m.id,
      date: m.date,
      fromId,
      chatId,
      isPrivate,
      out: Boolean(m.out),
      text: m.message ?? '',
    };
  }
  if (m instanceof Api.MessageService && m.action instanceof Api.MessageActionBotAllowed) {
    const a = m.action;
    const base = {
      type: 'botAllowed' as const,
      messageId: m.id,
      date: m.date,
      userId: markedPeerId(m.peerId),
    };
    return {
      ...base,
      ...(a.domain !== undefined ? { domain: a.domain } : {}),
      ...(a.fromRequest ? { fromRequest: true } : {}),
      ...(a.attachMenu ? { attachMenu: true } : {}),
    };
  }
  return { type: 'other', name: m.className };
}

/** Maps one update to a BotUpdate with its sequencing (pts/qts/none). */
export function mapUpdate(u: Api.TypeUpdate): SequencedUpdate {
  if (u instanceof Api.UpdateNewMessage) {
    return { update: mapMessage(u.message), seq: { box: 'pts', pts: u.pts, ptsCount: u.ptsCount } };
  }
  if (u instanceof Api.UpdateBotCallbackQuery) {
    return {
      update: {
        type: 'callbackQuery',
        queryId: toBigint(u.queryId),
        userId: toBigint(u.userId),
        chatId: markedPeerId(u.peer),
        messageId: u.msgId,
        data: u.data ? Buffer.from(u.data) : undefined,
        chatInstance: toBigint(u.chatInstance),
      },
      seq: { box: 'none' },
    };
  }
  if (u instanceof Api.UpdateBotStopped) {
    return {
      update: { type: 'botStopped', userId: toBigint(u.userId), stopped: Boolean(u.stopped), date: u.date },
      seq: { box: 'qts', qts: u.qts },
    };
  }
  if (u instanceof Api.UpdateBotChatInviteRequester) {
    const invite = u.invite instanceof Api.ChatInviteExported ? u.invite.link : undefined;
    return {
      update: {
        type: 'joinRequest',
        userId: toBigint(u.userId),
        chatId: markedPeerId(u.peer),
        date: u.date,
        ...(u.about ? { about: u.about } : {}),
        ...(invite ? { inviteLink: invite } : {}),
      },
      seq: { box: 'qts', qts: u.qts },
    };
  }
  if (u instanceof Api.UpdateUserName) {
    return {
      update: {
        type: 'userName',
        userId: toBigint(u.userId),
        firstName: textFromTl(u.firstName),
        lastName: textFromTl(u.lastName),
        usernames: usernamesOf(u.usernames),
      },
      seq: { box: 'none' },
    };
  }
  if (u instanceof Api.UpdateUserPhone) {
    return {
      update: { type: 'userPhone', userId: toBigint(u.userId), ...(u.phone ? { phone: u.phone } : {}) },
      seq: { box: 'none' },
    };
  }
  if (u instanceof Api.UpdateUser) {
    return { update: { type: 'userChanged', userId: toBigint(u.userId) }, seq: { box: 'none' } };
  }
  // Anything else that moves pts (read receipts, deletions...) must still advance the box.
  const any = u as { pts?: number; ptsCount?: number; qts?: number; className: string };
  if (
    typeof any.pts === 'number' &&
    typeof any.ptsCount === 'number' &&
    !(u instanceof Api.UpdateChannelTooLong)
  ) {
    const channelScoped = 'channelId' in (u as object);
    if (!channelScoped) {
      return {
        update: { type: 'other', name: any.className },
        seq: { box: 'pts', pts: any.pts, ptsCount: any.ptsCount },
      };
    }
  }
  if (typeof any.qts === 'number') {
    return { update: { type: 'other', name: any.className }, seq: { box: 'qts', qts: any.qts } };
  }
  return { update: { type: 'other', name: any.className }, seq: { box: 'none' } };
}

/** One pts-sequenced update from a short container (updateShortMessage, updateShortSentMessage...). */
function shortUpdate(
  obj: { pts: number; ptsCount: number; date: number },
  update: BotUpdate,
): IncomingUpdates {
  return {
    kind: 'updates',
    updates: [{ update, seq: { box: 'pts', pts: obj.pts, ptsCount: obj.ptsCount } }],
    seq: 0,
    seqStart: 0,
    date: obj.date,
  };
}

/** Maps whatever the MTProto sender hands to its update callback. */
export function mapIncoming(obj: unknown): IncomingUpdates | undefined {
  if (obj instanceof Api.Updates || obj instanceof Api.UpdatesCombined) {
    return {
      kind: 'updates',
      updates: obj.updates.map(mapUpdate),
      seq: obj.seq,
      seqStart: obj instanceof Api.UpdatesCombined ? obj.seqStart : obj.seq,
      date: obj.date,
    };
  }
  if (obj instanceof Api.UpdateShort) {
    return { kind: 'updates', updates: [mapUpdate(obj.update)], seq: 0, seqStart: 0, date: obj.date };
  }
  if (obj instanceof Api.UpdateShortMessage) {
    const userId = toBigint(obj.userId);
    return shortUpdate(obj, {
      type: 'message',
      messageId: obj.id,
      date: obj.date,
      fromId: obj.out ? undefined : userId,
      chatId: userId,
      isPrivate: true,
      out: Boolean(obj.out),
      text: obj.message,
    });
  }
  if (obj instanceof Api.UpdateShortChatMessage) {
    return shortUpdate(obj, {
      type: 'message',
      messageId: obj.id,
      date: obj.date,
      fromId: toBigint(obj.fromId),
      chatId: markId('chat', toBigint(obj.chatId)),
      isPrivate: false,
      out: Boolean(obj.out),
      text: obj.message,
    });
  }
  if (obj instanceof Api.UpdateShortSentMessage) {
    return shortUpdate(obj, { type: 'other', name: 'UpdateShortSentMessage' });
  }
  if (obj instanceof Api.UpdatesTooLong) return { kind: 'tooLong' };
  const state = (obj as { state?: unknown }).state;
  if (typeof state === 'number') {
    // GramJS's UpdateConnectionState: -1 disconnected, 1 connected, 0 broken (not a TL object)
    return {
      kind: 'connection',
      state: state === 1 ? 'connected' : state === -1 ? 'disconnected' : 'broken',
    };
  }
  return undefined;
}

export function mapState(s: Api.updates.State): UpdateState {
  return { pts: s.pts, qts: s.qts, seq: s.seq, date: s.date };
}

/** Maps an updates.getDifference answer; messages come first, then the other updates, as Telegram orders them. */
export function mapDifference(d: Api.updates.TypeDifference): Difference {
  if (d instanceof Api.updates.DifferenceEmpty) return { kind: 'empty', date: d.date, seq: d.seq };
  if (d instanceof Api.updates.DifferenceTooLong) return { kind: 'tooLong', pts: d.pts };
  const updates: SequencedUpdate[] = [
    ...d.newMessages.map((m) => ({ update: mapMessage(m), seq: { box: 'none' as const } })),
    ...d.otherUpdates.map(mapUpdate),
  ];
  if (d instanceof Api.updates.DifferenceSlice) {
    return { kind: 'slice', updates, state: mapState(d.intermediateState as Api.updates.State) };
  }
  return {
    kind: 'difference',
    updates,
    state: mapState((d as Api.updates.Difference).state as Api.updates.State),
  };
}
