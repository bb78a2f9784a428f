import { RpcError } from '../backend.js';
import { Api } from '../tl.js';
import { resolveJoinRequest } from '../world/chat-actions.js';
import { renderChannel, renderGroup, renderMessage, renderUser } from '../world/render.js';
import { botMethod } from './method.js';
import { resolveInputPeer, resolveInputUser } from './peers.js';

/**
 * messages.hideChatJoinRequest: an admin bot approves or declines a pending request. A request that is not
 * pending is 400 HIDE_REQUESTER_MISSING; a bot that is not an admin gets 400 CHAT_ADMIN_REQUIRED.
 */
export const messagesHideChatJoinRequest = botMethod(Api.messages.HideChatJoinRequest, (req, ctx) => {
  const { world, bot } = ctx;
  const target = resolveInputPeer(world, bot, req.peer);
  const chat =
    target.kind === 'group' ? target.group : target.kind === 'channel' ? target.channel : undefined;
  if (!chat) throw new RpcError(400, 'PEER_ID_INVALID');
  if (!chat.admins.has(bot.id.toString())) throw new RpcError(400, 'CHAT_ADMIN_REQUIRED');
  const user = resolveInputUser(world, bot, req.userId);
  if (!chat.joinRequests.has(user.id.toString())) throw new RpcError(400, 'HIDE_REQUESTER_MISSING');
  const result = resolveJoinRequest(world, bot, chat, user, req.approved ?? false, ctx.call.authKeyId);
  const date = world.date();
  const chats = [chat.kind === 'group' ? renderGroup(chat, bot) : renderChannel(world, chat, bot)];
  const users = [renderUser(world, user, bot, { min: world.relation(user, bot).seen !== 'full' })];
  switch (result.kind) {
    case 'none':
      return new Api.Updates({ updates: [], users: [], chats, date, seq: 0 });
    case 'box':
      return new Api.Updates({
        updates: [
          new Api.UpdateNewMessage({
            message: renderMessage(result.message, bot),
            pts: result.pts,
            ptsCount: 1,
          }),
        ],
        users,
        chats,
        date,
        seq: 0,
      });
    case 'channel':
      return new Api.Updates({
        updates: [
          new Api.UpdateNewChannelMessage({
            message: renderMessage(result.message, bot),
            pts: result.channel.pts,
            ptsCount: 1,
          }),
        ],
        users,
        chats,
        date,
        seq: 0,
      });
  }
});
