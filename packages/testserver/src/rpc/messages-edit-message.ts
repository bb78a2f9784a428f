import { Api } from '../tl.js';
import { tlToBase64 } from '../world/entities.js';
import { botEditMessage } from '../world/message-edits.js';
import { renderEntities, renderMessage } from '../world/render.js';
import type { PeerRef } from '../world/types.js';
import { botMethod } from './method.js';
import { resolveInputPeer } from './peers.js';

/**
 * messages.editMessage of the bot's own message in a private chat or basic group: answers `updates` with
 * updateEditMessage (pts + 1), as Telegram does. Errors: world/message-edits.ts.
 */
export const messagesEditMessage = botMethod(Api.messages.EditMessage, (req, ctx) => {
  const { world, bot } = ctx;
  const target = resolveInputPeer(world, bot, req.peer);
  if (target.kind === 'channel') throw new Error('messages.editMessage in channels is not emulated');
  const peer: PeerRef =
    target.kind === 'user' ? { type: 'user', id: target.user.id } : { type: 'chat', id: target.group.id };
  const { message, pts } = botEditMessage(
    world,
    bot,
    peer,
    req.id,
    {
      ...(req.message !== undefined ? { text: req.message } : {}),
      ...(req.entities?.length ? { entities: req.entities.map(tlToBase64) } : {}),
      ...(req.replyMarkup ? { replyMarkup: tlToBase64(req.replyMarkup) } : {}),
    },
    ctx.call.authKeyId,
  );
  const { users, chats } = renderEntities(
    world,
    bot,
    peer.type === 'user' ? [world.mention(world.user(peer.id)!, bot, { full: true })] : [],
    peer.type === 'chat' ? [peer] : [],
  );
  return new Api.Updates({
    updates: [new Api.UpdateEditMessage({ message: renderMessage(message, bot), pts, ptsCount: 1 })],
    users,
    chats,
    date: world.date(),
    seq: 0,
  });
});
