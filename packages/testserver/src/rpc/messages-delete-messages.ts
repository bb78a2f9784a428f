import { Api } from '../tl.js';
import { botDeleteMessages } from '../world/message-edits.js';
import { botMethod } from './method.js';

/** messages.deleteMessages in the bot's box: `messages.affectedMessages` with the pts it took. */
export const messagesDeleteMessages = botMethod(Api.messages.DeleteMessages, (req, ctx) => {
  const { pts, ptsCount } = botDeleteMessages(ctx.world, ctx.bot, req.id, ctx.call.authKeyId);
  return new Api.messages.AffectedMessages({ pts, ptsCount });
});
