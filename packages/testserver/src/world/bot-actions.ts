/**
 * What a bot does through the API: write (with Telegram's checks, in Telegram's order) and show typing.
 */
import { RpcError } from '../backend.js';
import { addChannelMessage } from './chat-actions.js';
import { privateWriteError } from './rules.js';
import type { ChannelRecord, GroupRecord, MessageRecord, UserRecord } from './types.js';
import { account, type World } from './world.js';

/** A resolved destination. */
export type Target =
  | { readonly kind: 'user'; readonly user: UserRecord }
  | { readonly kind: 'group'; readonly group: GroupRecord }
  | { readonly kind: 'channel'; readonly channel: ChannelRecord };

export interface OutgoingMessage {
  text: string;
  randomId: bigint;
  entities?: string[];
  replyMarkup?: string;
  replyToMsgId?: number;
}

export type SendResult =
  | { readonly kind: 'box'; readonly message: MessageRecord; readonly pts: number }
  | { readonly kind: 'channel'; readonly message: MessageRecord; readonly pts: number };

/** Telegram's limit on a text message, in UTF-16 code units after entity parsing. */
export const MESSAGE_LENGTH_MAX = 4096;

/** Whether the bot may write into `target` now; throws the RpcError Telegram would answer. */
export function assertCanWrite(world: World, bot: UserRecord, target: Target): void {
  switch (target.kind) {
    case 'user': {
      const err = privateWriteError(target.user, world.peekRelation(target.user, bot), world.clock.now());
      if (err) throw err;
      return;
    }
    case 'group':
      if (!target.group.members.has(bot.id.toString())) throw new RpcError(403, 'CHAT_WRITE_FORBIDDEN');
      return;
    case 'channel': {
      const ch = target.channel;
      if (!ch.members.has(bot.id.toString())) throw new RpcError(400, 'CHANNEL_PRIVATE');
      if (!ch.megagroup && !ch.admins.has(bot.id.toString())) throw new RpcError(400, 'CHAT_ADMIN_REQUIRED');
      return;
    }
  }
}

function floodKey(target: Target): { kind: 'private' | 'group'; key: string } {
  switch (target.kind) {
    case 'user':
      return { kind: 'private', key: `u${target.user.id}` };
    case 'group':
      return { kind: 'group', key: `c${target.group.id}` };
    case 'channel':
      return { kind: 'group', key: `c${target.channel.id}` };
  }
}

/**
 * messages.sendMessage: peer rules, then the text, then random_id, then flood control; a message that fails
 * any of them leaves no trace (its random_id stays usable).
 */
export function botSendMessage(
  world: World,
  bot: UserRecord,
  target: Target,
  msg: OutgoingMessage,
  authKeyId: string | undefined,
): SendResult {
  const acc = account(bot);
  assertCanWrite(world, bot, target);
  if (msg.text.trim() === '') throw new RpcError(400, 'MESSAGE_EMPTY');
  if (msg.text.length > MESSAGE_LENGTH_MAX) throw new RpcError(400, 'MESSAGE_TOO_LONG');
  const rid = msg.randomId.toString();
  if (acc.randomIds.has(rid)) throw new RpcError(400, 'RANDOM_ID_DUPLICATE');
  const wait = world.flood.checkSend(bot.id, floodKey(target));
  if (wait > 0) throw new RpcError(420, `FLOOD_WAIT_${wait}`);
  acc.randomIds.add(rid);

  const body = {
    fromId: bot.id,
    date: world.date(),
    text: msg.text,
    randomId: msg.randomId,
    ...(msg.entities?.length ? { entities: msg.entities } : {}),
    ...(msg.replyMarkup !== undefined ? { replyMarkup: msg.replyMarkup } : {}),
    ...(msg.replyToMsgId !== undefined ? { replyToMsgId: msg.replyToMsgId } : {}),
  };
  if (target.kind === 'channel') {
    const ch = target.channel;
    // A broadcast post has no sender; in a supergroup the bot is the sender.
    const { fromId: _sender, ...post } = body;
    const message = addChannelMessage(world, ch, ch.megagroup ? body : post);
    world.deliver(bot, { type: 'channel', channel: ch, message, pts: ch.pts, users: [] }, authKeyId);
    return { kind: 'channel', message, pts: ch.pts };
  }
  const peer =
    target.kind === 'user'
      ? ({ type: 'user', id: target.user.id } as const)
      : ({ type: 'chat', id: target.group.id } as const);
  const message = world.addBotMessage(bot, { ...body, peer, out: true });
  const entry = world.appendEntry(
    bot,
    { kind: 'newMessage', messageId: message.id },
    {
      pts: true,
      users: target.kind === 'user' ? [world.mention(target.user, bot, { full: true })] : [],
      chats: target.kind === 'group' ? [peer] : [],
      ...(authKeyId !== undefined ? { excludeAuthKey: authKeyId } : {}),
    },
  );
  return { kind: 'box', message, pts: entry.pts };
}
