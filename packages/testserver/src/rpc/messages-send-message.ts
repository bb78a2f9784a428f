import { Api, toBigInteger, toBigint } from '../tl.js';
import { botSendMessage } from '../world/bot-actions.js';
import { tlToBase64 } from '../world/entities.js';
import { renderChannel, renderMessage } from '../world/render.js';
import { botMethod } from './method.js';
import { resolveInputPeer } from './peers.js';

/**
 * messages.sendMessage. As Telegram: a private chat or basic group answers `updateShortSentMessage` (the
 * message lands in the bot's common box, pts + 1); a channel or supergroup answers `updates` with
 * `updateMessageID` and `updateNewChannelMessage`.
 */
export const messagesSendMessage = botMethod(Api.messages.SendMessage, (req, ctx) => {
  const { world, bot } = ctx;
  const target = resolveInputPeer(world, bot, req.peer);
  // Always present on the wire (GramJS fills it in when the caller did not).
  const randomId = toBigint(req.randomId ?? 0);
  const replyTo = req.replyTo instanceof Api.InputReplyToMessage ? req.replyTo.replyToMsgId : undefined;
  const result = botSendMessage(
    world,
    bot,
    target,
    {
      text: req.message,
      randomId,
      ...(req.entities?.length ? { entities: req.entities.map(tlToBase64) } : {}),
      ...(req.replyMarkup ? { replyMarkup: tlToBase64(req.replyMarkup) } : {}),
      ...(replyTo !== undefined ? { replyToMsgId: replyTo } : {}),
    },
    ctx.call.authKeyId,
  );
  ctx.stats.messagesSent++;
  const { message } = result;
  if (result.kind === 'box') {
    return new Api.UpdateShortSentMessage({
      out: true,
      id: message.id,
      pts: result.pts,
      ptsCount: 1,
      date: message.date,
    });
  }
  const channel = world.channel(message.peer.id)!;
  return new Api.Updates({
    updates: [
      new Api.UpdateMessageID({ id: message.id, randomId: toBigInteger(randomId) }),
      new Api.UpdateNewChannelMessage({ message: renderMessage(message, bot), pts: result.pts, ptsCount: 1 }),
    ],
    users: [],
    chats: [renderChannel(world, channel, bot)],
    date: message.date,
    seq: 0,
  });
});
