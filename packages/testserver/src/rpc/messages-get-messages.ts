import { Api } from '../tl.js';
import { renderEntities, renderMessage } from '../world/render.js';
import type { MessageRecord, PeerRef, UserMention } from '../world/types.js';
import { botMethod } from './method.js';

/**
 * messages.getMessages over the bot's own box (private chats and basic groups). An id it does not hold comes
 * back as `messageEmpty`, as Telegram answers.
 */
export const messagesGetMessages = botMethod(Api.messages.GetMessages, (req, ctx) => {
  const { world, bot } = ctx;
  const box = bot.account?.messages ?? new Map<number, MessageRecord>();
  const messages: Api.TypeMessage[] = [];
  const users: UserMention[] = [];
  const chats: PeerRef[] = [];
  for (const input of req.id) {
    let found: MessageRecord | undefined;
    let id = 0;
    if (input instanceof Api.InputMessageID) {
      id = input.id;
      found = box.get(id);
    } else if (input instanceof Api.InputMessageReplyTo) {
      id = input.id;
      const replyId = box.get(id)?.replyToMsgId;
      found = replyId === undefined ? undefined : box.get(replyId);
    }
    if (!found) {
      messages.push(new Api.MessageEmpty({ id }));
      continue;
    }
    messages.push(renderMessage(found, bot));
    if (found.peer.type === 'chat') chats.push(found.peer);
    for (const uid of [found.fromId, found.peer.type === 'user' ? found.peer.id : undefined]) {
      const user = uid === undefined || uid === bot.id ? undefined : world.user(uid);
      if (user) users.push(world.mention(user, bot));
    }
  }
  return new Api.messages.Messages({ messages, ...renderEntities(world, bot, users, chats) });
});
