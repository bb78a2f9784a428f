import { Api } from '../tl.js';
import { assertCanWrite } from '../world/bot-actions.js';
import { botMethod } from './method.js';
import { resolveInputPeer } from './peers.js';

/**
 * messages.setTyping fails exactly as a message would (blocked, never started, bot, deleted), which is what
 * makes "show typing" a harmless probe of whether the bot may write.
 */
export const messagesSetTyping = botMethod(Api.messages.SetTyping, (req, ctx) => {
  assertCanWrite(ctx.world, ctx.bot, resolveInputPeer(ctx.world, ctx.bot, req.peer));
  return true;
});
