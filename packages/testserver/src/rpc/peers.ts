/**
 * Input peers and users from requests → world records, with Telegram's access-hash checks: a hash is valid only
 * for the bot it was issued to, and a `min` user's hash is never valid (use inputPeerUserFromMessage).
 */
import { RpcError, type TLObject } from '../backend.js';
import { Api, toBigint } from '../tl.js';
import type { Target } from '../world/bot-actions.js';
import { writeErrors } from '../world/rules.js';
import type { ChatRecord, MessageRecord, UserRecord } from '../world/types.js';
import type { World } from '../world/world.js';

const { peerIdInvalid } = writeErrors;

/** The message `msgId` in `chat` as `bot` knows it, if any. */
function messageIn(bot: UserRecord, chat: ChatRecord, msgId: number): MessageRecord | undefined {
  if (chat.kind === 'channel') return chat.messages.get(msgId);
  const m = bot.account?.messages.get(msgId);
  return m && m.peer.type === 'chat' && m.peer.id === chat.id ? m : undefined;
}

/** The chat an input peer names, if it is a chat the bot may address (no throwing). */
function findChat(world: World, bot: UserRecord, peer: TLObject): ChatRecord | undefined {
  if (peer instanceof Api.InputPeerChat) return world.group(toBigint(peer.chatId));
  if (peer instanceof Api.InputPeerChannel) {
    const channel = world.channel(toBigint(peer.channelId));
    return channel && world.channelHash(channel, bot) === toBigint(peer.accessHash) ? channel : undefined;
  }
  return undefined;
}

/** A user the bot saw in a message of a chat (inputPeerUserFromMessage / inputUserFromMessage). */
function userFromMessage(
  world: World,
  bot: UserRecord,
  peer: TLObject,
  msgId: number,
  userId: bigint,
): UserRecord | undefined {
  const chat = findChat(world, bot, peer);
  const msg = chat ? messageIn(bot, chat, msgId) : undefined;
  const user = world.user(userId);
  return msg && user && msg.fromId === userId ? user : undefined;
}

/** A user by id and hash as `bot` must present it. */
function userByHash(
  world: World,
  bot: UserRecord,
  userId: bigint,
  accessHash: bigint,
): UserRecord | undefined {
  const user = world.user(userId);
  if (!user) return undefined;
  if (user.id === bot.id) return user;
  return world.accessHash(user, bot) === accessHash ? user : undefined;
}

export function resolveInputPeer(world: World, bot: UserRecord, peer: TLObject): Target {
  if (peer instanceof Api.InputPeerSelf) return { kind: 'user', user: bot };
  if (peer instanceof Api.InputPeerUser) {
    const user = userByHash(world, bot, toBigint(peer.userId), toBigint(peer.accessHash));
    if (!user) throw peerIdInvalid();
    return { kind: 'user', user };
  }
  if (peer instanceof Api.InputPeerUserFromMessage) {
    const user = userFromMessage(world, bot, peer.peer, peer.msgId, toBigint(peer.userId));
    if (!user) throw peerIdInvalid();
    return { kind: 'user', user };
  }
  if (peer instanceof Api.InputPeerChat) {
    const group = world.group(toBigint(peer.chatId));
    if (!group) throw peerIdInvalid();
    return { kind: 'group', group };
  }
  if (peer instanceof Api.InputPeerChannel) {
    const channel = world.channel(toBigint(peer.channelId));
    if (!channel || world.channelHash(channel, bot) !== toBigint(peer.accessHash)) {
      throw new RpcError(400, 'CHANNEL_INVALID');
    }
    return { kind: 'channel', channel };
  }
  throw peerIdInvalid();
}

/** Whether `input` is a constructor that names a user at all (an InputUser, or an InputPeer of a user). */
export function namesUser(input: TLObject): boolean {
  return (
    input instanceof Api.InputUserSelf ||
    input instanceof Api.InputUser ||
    input instanceof Api.InputUserFromMessage ||
    input instanceof Api.InputPeerSelf ||
    input instanceof Api.InputPeerUser ||
    input instanceof Api.InputPeerUserFromMessage
  );
}

/**
 * The user an InputUser names, or undefined when the bot may not address it (unknown, wrong or min hash).
 * Input peers of users are taken too: Telegram reads `inputPeerUser` where it expects `InputUser` (same fields),
 * and Pyrogram/Kurigram send it in users.getUsers.
 */
export function findInputUser(world: World, bot: UserRecord, input: TLObject): UserRecord | undefined {
  if (input instanceof Api.InputUserSelf || input instanceof Api.InputPeerSelf) return bot;
  if (input instanceof Api.InputUser || input instanceof Api.InputPeerUser) {
    return userByHash(world, bot, toBigint(input.userId), toBigint(input.accessHash));
  }
  if (input instanceof Api.InputUserFromMessage || input instanceof Api.InputPeerUserFromMessage) {
    return userFromMessage(world, bot, input.peer, input.msgId, toBigint(input.userId));
  }
  return undefined;
}

/** An InputUser; an unknown user or a wrong hash is 400 USER_ID_INVALID (as users.getFullUser answers). */
export function resolveInputUser(world: World, bot: UserRecord, input: TLObject): UserRecord {
  const user = findInputUser(world, bot, input);
  if (!user) throw new RpcError(400, 'USER_ID_INVALID');
  return user;
}
