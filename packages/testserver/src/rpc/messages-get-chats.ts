import { Api, toBigint } from '../tl.js';
import { renderGroup } from '../world/render.js';
import { botMethod } from './method.js';

/** messages.getChats: the basic groups the bot is in (others are skipped, as Telegram does). */
export const messagesGetChats = botMethod(Api.messages.GetChats, (req, ctx) => {
  const chats: Api.TypeChat[] = [];
  for (const id of req.id) {
    const group = ctx.world.group(toBigint(id));
    if (group?.members.has(ctx.bot.id.toString())) chats.push(renderGroup(group, ctx.bot));
  }
  return new Api.messages.Chats({ chats });
});
