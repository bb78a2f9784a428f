/**
 * Users in groups and channels. A bot that sees a user only here gets a `min` user: an id, a name and a hash
 * that works in no private chat.
 */
import { botCommandEntities } from './entities.js';
import type { ActionData, ChannelRecord, ChatRecord, MessageRecord, UserRecord } from './types.js';
import type { LangCodeOption } from './user-actions.js';
import { memberBots } from './user-actions.js';
import type { World } from './world.js';

/** A new message in a channel or supergroup (channels number messages and pts per channel). */
export function addChannelMessage(
  world: World,
  channel: ChannelRecord,
  msg: Omit<MessageRecord, 'id' | 'out' | 'peer' | 'pts'>,
): MessageRecord {
  channel.pts += 1;
  const record: MessageRecord = {
    id: channel.nextMessageId++,
    peer: { type: 'channel', id: channel.id },
    out: false,
    pts: channel.pts,
    ...msg,
  };
  channel.messages.set(record.id, record);
  world.changed();
  return record;
}

/** Pushes a channel message to the member bots (`updateNewChannelMessage`, outside the common box). */
export function deliverChannelMessage(
  world: World,
  channel: ChannelRecord,
  message: MessageRecord,
  author: UserRecord | undefined,
  opts: LangCodeOption & { exclude?: { botId: bigint; authKey: string } } = {},
): void {
  for (const bot of memberBots(world, channel)) {
    const users =
      author && author.id !== bot.id
        ? [world.mention(author, bot, { langCode: opts.withLangCode ?? false })]
        : [];
    const exclude = opts.exclude?.botId === bot.id ? opts.exclude.authKey : undefined;
    world.deliver(bot, { type: 'channel', channel, message, pts: channel.pts, users }, exclude);
  }
}

/** A message (or service message) from `author` in a basic group, as every member bot's own copy. */
function groupMessage(
  world: World,
  chat: ChatRecord & { kind: 'group' },
  author: UserRecord,
  content: { text: string; action?: ActionData },
  opts: LangCodeOption,
): void {
  const entities = content.action ? [] : botCommandEntities(content.text);
  for (const bot of memberBots(world, chat)) {
    if (bot.id === author.id) continue;
    const msg = world.addBotMessage(bot, {
      peer: { type: 'chat', id: chat.id },
      fromId: author.id,
      out: false,
      date: world.date(),
      text: content.text,
      ...(entities.length ? { entities } : {}),
      ...(content.action ? { action: content.action } : {}),
    });
    world.appendEntry(
      bot,
      { kind: 'newMessage', messageId: msg.id },
      {
        pts: true,
        users: [world.mention(author, bot, { langCode: opts.withLangCode ?? false })],
        chats: [{ type: 'chat', id: chat.id }],
      },
    );
  }
}

/** Joining through the invite link. */
export function userJoinChat(
  world: World,
  user: UserRecord,
  chat: ChatRecord,
  opts: LangCodeOption = {},
): void {
  if (user.deleted) throw new Error(`user ${user.id} deleted their account`);
  const key = user.id.toString();
  if (chat.members.has(key)) return;
  chat.members.add(key);
  chat.joinRequests.delete(key);
  if (chat.kind === 'group') {
    chat.version += 1;
    groupMessage(
      world,
      chat,
      user,
      { text: '', action: { type: 'chatJoinedByLink', inviterId: chat.creatorId } },
      opts,
    );
  } else if (chat.megagroup) {
    const msg = addChannelMessage(world, chat, {
      fromId: user.id,
      date: world.date(),
      text: '',
      action: { type: 'chatJoinedByLink', inviterId: chat.creatorId },
    });
    deliverChannelMessage(world, chat, msg, user, opts);
  }
  world.changed();
}

/** A text message from `user` in a group or supergroup the user is a member of. */
export function userSendToChat(
  world: World,
  user: UserRecord,
  chat: ChatRecord,
  text: string,
  opts: LangCodeOption = {},
): void {
  if (user.deleted) throw new Error(`user ${user.id} deleted their account`);
  if (!chat.members.has(user.id.toString())) {
    throw new Error(`user ${user.id} is not a member of chat ${chat.id}; call joinGroup() first`);
  }
  if (text.trim() === '') throw new Error('a message needs some text');
  if (chat.kind === 'group') {
    groupMessage(world, chat, user, { text }, opts);
    return;
  }
  if (!chat.megagroup && !chat.admins.has(user.id.toString())) {
    throw new Error(`user ${user.id} cannot post in broadcast channel ${chat.id}`);
  }
  const entities = botCommandEntities(text);
  const msg = addChannelMessage(world, chat, {
    ...(chat.megagroup ? { fromId: user.id } : {}),
    date: world.date(),
    text,
    ...(entities.length ? { entities } : {}),
  });
  deliverChannelMessage(world, chat, msg, user, opts);
}

/** What approving a join request produced for the approving bot. */
export type JoinApproval =
  | { readonly kind: 'none' }
  | { readonly kind: 'box'; readonly message: MessageRecord; readonly pts: number }
  | { readonly kind: 'channel'; readonly channel: ChannelRecord; readonly message: MessageRecord };

/**
 * An admin bot approves or declines a pending join request. Approval adds the user and produces the service
 * message `messageActionChatJoinedByRequest`: returned to the approving bot, pushed to the other member bots.
 */
export function resolveJoinRequest(
  world: World,
  bot: UserRecord,
  chat: ChatRecord,
  user: UserRecord,
  approved: boolean,
  excludeAuthKey: string | undefined,
): JoinApproval {
  const key = user.id.toString();
  chat.joinRequests.delete(key);
  world.changed();
  if (!approved) return { kind: 'none' };
  chat.members.add(key);
  if (chat.kind === 'group') {
    chat.version += 1;
    let mine: JoinApproval = { kind: 'none' };
    for (const b of memberBots(world, chat)) {
      const message = world.addBotMessage(b, {
        peer: { type: 'chat', id: chat.id },
        fromId: user.id,
        out: false,
        date: world.date(),
        text: '',
        action: { type: 'chatJoinedByRequest' },
      });
      const entry = world.appendEntry(
        b,
        { kind: 'newMessage', messageId: message.id },
        {
          pts: true,
          users: [world.mention(user, b)],
          chats: [{ type: 'chat', id: chat.id }],
          ...(b.id === bot.id && excludeAuthKey !== undefined ? { excludeAuthKey } : {}),
        },
      );
      if (b.id === bot.id) mine = { kind: 'box', message, pts: entry.pts };
    }
    return mine;
  }
  const message = addChannelMessage(world, chat, {
    fromId: user.id,
    date: world.date(),
    text: '',
    action: { type: 'chatJoinedByRequest' },
  });
  deliverChannelMessage(
    world,
    chat,
    message,
    user,
    excludeAuthKey !== undefined ? { exclude: { botId: bot.id, authKey: excludeAuthKey } } : {},
  );
  return { kind: 'channel', channel: chat, message };
}
