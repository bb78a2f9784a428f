/**
 * World records → GramJS `Api.*` objects, always from one bot's point of view (access hashes, min users and
 * `out` depend on who looks).
 */
import { Api, type BigInteger, toBigInteger } from '../tl.js';
import { tlFromBase64 } from './entities.js';
import type {
  ActionData,
  ChannelRecord,
  GroupRecord,
  LogEntry,
  MessageRecord,
  PeerRef,
  UpdateData,
  UserMention,
  UserRecord,
} from './types.js';
import type { World } from './world.js';
import type { Delivery } from './world-options.js';

const big = (v: bigint): BigInteger => toBigInteger(v);

function usernameFields(user: { usernames: readonly string[] }): {
  username?: string;
  usernames?: Api.Username[];
} {
  const [main] = user.usernames;
  if (main === undefined) return {};
  if (user.usernames.length === 1) return { username: main };
  // Several active usernames (collectibles): Telegram sends the list, flagged active, plus the main one.
  return {
    username: main,
    usernames: user.usernames.map(
      (u, i) => new Api.Username({ username: u, active: true, editable: i === 0 }),
    ),
  };
}

/** The bot itself, as it sees itself (`self`). */
export function renderSelf(world: World, bot: UserRecord): Api.User {
  return renderUser(world, bot, bot);
}

/** `user` as `viewer` sees it: itself (`self`), a `min` copy (a hash only good where it came from), or in full. */
export function renderUser(
  world: World,
  user: UserRecord,
  viewer: UserRecord,
  opts: { min?: boolean; langCode?: boolean } = {},
): Api.User {
  const self = user.id === viewer.id;
  if (user.deleted && !self) {
    return new Api.User({ deleted: true, id: big(user.id), accessHash: big(world.accessHash(user, viewer)) });
  }
  const min = !self && opts.min === true;
  return new Api.User({
    ...(self ? { self: true } : {}),
    ...(min ? { min: true } : {}),
    id: big(user.id),
    accessHash: big(min ? world.minAccessHash(user, viewer) : world.accessHash(user, viewer)),
    firstName: user.firstName,
    ...(user.lastName !== undefined ? { lastName: user.lastName } : {}),
    ...usernameFields(user),
    ...(user.bot ? { bot: true, botInfoVersion: 1 } : {}),
    ...(user.premium ? { premium: true } : {}),
    ...(!min && !self && opts.langCode && user.langCode !== undefined && !user.bot
      ? { langCode: user.langCode }
      : {}),
  });
}

export function renderMention(world: World, m: UserMention, viewer: UserRecord): Api.TypeUser {
  const user = world.user(m.id);
  if (!user) return new Api.UserEmpty({ id: big(m.id) });
  return renderUser(world, user, viewer, { min: m.min, langCode: m.langCode });
}

export function renderGroup(group: GroupRecord, viewer: UserRecord): Api.Chat {
  const member = group.members.has(viewer.id.toString());
  return new Api.Chat({
    id: big(group.id),
    title: group.title,
    photo: new Api.ChatPhotoEmpty(),
    participantsCount: group.members.size,
    date: group.date,
    version: group.version,
    ...(member ? {} : { left: true }),
    ...(group.creatorId === viewer.id ? { creator: true } : {}),
    ...(member && group.admins.has(viewer.id.toString()) ? { adminRights: adminRights() } : {}),
  });
}

export function renderChannel(world: World, channel: ChannelRecord, viewer: UserRecord): Api.Channel {
  const member = channel.members.has(viewer.id.toString());
  return new Api.Channel({
    id: big(channel.id),
    accessHash: big(world.channelHash(channel, viewer)),
    title: channel.title,
    photo: new Api.ChatPhotoEmpty(),
    date: channel.date,
    participantsCount: channel.members.size,
    ...(channel.megagroup ? { megagroup: true } : { broadcast: true }),
    ...(channel.username !== undefined ? { username: channel.username } : {}),
    ...(member ? {} : { left: true }),
    ...(channel.creatorId === viewer.id ? { creator: true } : {}),
    ...(member && channel.admins.has(viewer.id.toString()) ? { adminRights: adminRights() } : {}),
  });
}

function adminRights(): Api.ChatAdminRights {
  return new Api.ChatAdminRights({
    changeInfo: true,
    postMessages: true,
    editMessages: true,
    deleteMessages: true,
    banUsers: true,
    inviteUsers: true,
    pinMessages: true,
  });
}

export function renderChatRef(world: World, ref: PeerRef, viewer: UserRecord): Api.TypeChat | undefined {
  const chat = world.chat(ref.id);
  if (!chat) return undefined;
  return chat.kind === 'group' ? renderGroup(chat, viewer) : renderChannel(world, chat, viewer);
}

export function renderPeer(ref: PeerRef): Api.TypePeer {
  switch (ref.type) {
    case 'user':
      return new Api.PeerUser({ userId: big(ref.id) });
    case 'chat':
      return new Api.PeerChat({ chatId: big(ref.id) });
    case 'channel':
      return new Api.PeerChannel({ channelId: big(ref.id) });
  }
}

export function inviteLink(hash: string): string {
  return `https://t.me/+${hash}`;
}

export function renderInvite(world: World, ref: PeerRef): Api.ChatInviteExported {
  const chat = world.chat(ref.id);
  return new Api.ChatInviteExported({
    link: inviteLink(chat?.inviteHash ?? '0'),
    adminId: big(chat?.creatorId ?? 0n),
    date: chat?.date ?? 0,
    permanent: true,
    requestNeeded: true,
  });
}

function renderAction(a: ActionData): Api.TypeMessageAction {
  switch (a.type) {
    case 'botAllowed':
      return new Api.MessageActionBotAllowed({
        ...(a.domain !== undefined ? { domain: a.domain } : {}),
        ...(a.fromRequest ? { fromRequest: true } : {}),
      });
    case 'chatAddUser':
      return new Api.MessageActionChatAddUser({ users: a.users.map(big) });
    case 'chatJoinedByLink':
      return new Api.MessageActionChatJoinedByLink({ inviterId: big(a.inviterId) });
    case 'chatJoinedByRequest':
      return new Api.MessageActionChatJoinedByRequest();
    case 'chatCreate':
      return new Api.MessageActionChatCreate({ title: a.title, users: a.users.map(big) });
    case 'channelCreate':
      return new Api.MessageActionChannelCreate({ title: a.title });
  }
}

/** A message as `viewer` sees it (channel messages are shared, so `out` is computed here). */
export function renderMessage(msg: MessageRecord, viewer: UserRecord): Api.Message | Api.MessageService {
  const out = msg.peer.type === 'channel' ? msg.fromId === viewer.id : msg.out;
  const common = {
    id: msg.id,
    peerId: renderPeer(msg.peer),
    date: msg.date,
    ...(out ? { out: true } : {}),
    ...(msg.fromId !== undefined ? { fromId: new Api.PeerUser({ userId: big(msg.fromId) }) } : {}),
    ...(msg.peer.type === 'channel' && msg.fromId === undefined ? { post: true } : {}),
    ...(msg.replyToMsgId !== undefined
      ? { replyTo: new Api.MessageReplyHeader({ replyToMsgId: msg.replyToMsgId }) }
      : {}),
    ...(msg.editDate !== undefined ? { editDate: msg.editDate } : {}),
  };
  if (msg.action) return new Api.MessageService({ ...common, action: renderAction(msg.action) });
  return new Api.Message({
    ...common,
    message: msg.text,
    ...(msg.entities?.length ? { entities: msg.entities.map(tlFromBase64) } : {}),
    ...(msg.replyMarkup !== undefined ? { replyMarkup: tlFromBase64(msg.replyMarkup) } : {}),
  });
}

/** A message of the bot's message box as it is now, or messageEmpty when it was deleted since. */
function renderBotMessage(bot: UserRecord, id: number): Api.TypeMessage {
  const msg = bot.account?.messages.get(id);
  return msg ? renderMessage(msg, bot) : new Api.MessageEmpty({ id });
}

/** The TL update for a log entry (newMessage entries need the bot's message box). */
export function renderUpdate(world: World, bot: UserRecord, entry: LogEntry): Api.TypeUpdate {
  const u: UpdateData = entry.update;
  switch (u.kind) {
    case 'newMessage': {
      return new Api.UpdateNewMessage({
        message: renderBotMessage(bot, u.messageId),
        pts: entry.pts,
        ptsCount: entry.ptsCount,
      });
    }
    case 'botStopped':
      return new Api.UpdateBotStopped({
        userId: big(u.userId),
        date: entry.date,
        stopped: u.stopped,
        qts: entry.qts,
      });
    case 'inviteRequester':
      return new Api.UpdateBotChatInviteRequester({
        peer: renderPeer(u.chat),
        date: entry.date,
        userId: big(u.userId),
        about: u.about,
        invite: renderInvite(world, u.chat),
        qts: entry.qts,
      });
    case 'userName':
      return new Api.UpdateUserName({
        userId: big(u.userId),
        firstName: u.firstName,
        lastName: u.lastName,
        usernames: u.usernames.map(
          (name, i) => new Api.Username({ username: name, active: true, editable: i === 0 }),
        ),
      });
    case 'user':
      return new Api.UpdateUser({ userId: big(u.userId) });
    case 'editMessage': {
      return new Api.UpdateEditMessage({
        message: renderBotMessage(bot, u.messageId),
        pts: entry.pts,
        ptsCount: entry.ptsCount,
      });
    }
    case 'deleteMessages':
      return new Api.UpdateDeleteMessages({
        messages: [...u.messageIds],
        pts: entry.pts,
        ptsCount: entry.ptsCount,
      });
    case 'callbackQuery':
      return new Api.UpdateBotCallbackQuery({
        queryId: big(BigInt(u.queryId)),
        userId: big(u.userId),
        peer: new Api.PeerUser({ userId: big(u.userId) }),
        msgId: u.messageId,
        chatInstance: big(BigInt(u.chatInstance)),
        data: Buffer.from(u.data, 'base64'),
      });
  }
}

/** Users and chats for a set of mentions, deduplicated; full wins over min and lang_code over none. */
export function renderEntities(
  world: World,
  viewer: UserRecord,
  users: readonly UserMention[],
  chats: readonly PeerRef[],
): { users: Api.TypeUser[]; chats: Api.TypeChat[] } {
  const merged = new Map<string, UserMention>();
  for (const m of users) {
    const prev = merged.get(m.id.toString());
    merged.set(
      m.id.toString(),
      prev ? { id: m.id, min: prev.min && m.min, langCode: prev.langCode || m.langCode } : m,
    );
  }
  const seenChats = new Set<string>();
  const renderedChats: Api.TypeChat[] = [];
  for (const c of chats) {
    if (seenChats.has(c.id.toString())) continue;
    seenChats.add(c.id.toString());
    const r = renderChatRef(world, c, viewer);
    if (r) renderedChats.push(r);
  }
  return { users: [...merged.values()].map((m) => renderMention(world, m, viewer)), chats: renderedChats };
}

/** The `Updates` container pushed live for one delivery. */
export function renderDelivery(world: World, bot: UserRecord, d: Delivery): Api.Updates {
  if (d.type === 'entry') {
    const { users, chats } = renderEntities(world, bot, d.entry.users, d.entry.chats);
    return new Api.Updates({
      updates: [renderUpdate(world, bot, d.entry)],
      users,
      chats,
      date: d.entry.date,
      seq: d.entry.ptsCount > 0 || d.entry.qtsBump ? 0 : d.entry.seq,
    });
  }
  const { users, chats } = renderEntities(world, bot, d.users, [{ type: 'channel', id: d.channel.id }]);
  return new Api.Updates({
    updates: [
      new Api.UpdateNewChannelMessage({ message: renderMessage(d.message, bot), pts: d.pts, ptsCount: 1 }),
    ],
    users,
    chats,
    date: d.message.date,
    seq: 0,
  });
}
