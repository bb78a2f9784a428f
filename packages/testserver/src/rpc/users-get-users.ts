import { RpcError } from '../backend.js';
import { Api } from '../tl.js';
import { renderUser } from '../world/render.js';
import { botMethod } from './method.js';
import { findInputUser, namesUser } from './peers.js';

/**
 * users.getUsers, including `inputUserSelf` (GramJS's getMe) and input peers of users (Kurigram). Entries the bot
 * may not address (unknown id, wrong or min hash) are left out of the answer rather than failing the whole call,
 * as Telegram does; an entry that names no user at all (`inputUserEmpty`, a chat or channel peer) is
 * 400 USER_ID_INVALID.
 */
export const usersGetUsers = botMethod(
  Api.users.GetUsers,
  (req, ctx) => {
    const out: Api.TypeUser[] = [];
    for (const input of req.id) {
      if (!namesUser(input)) throw new RpcError(400, 'USER_ID_INVALID');
      const user = findInputUser(ctx.world, ctx.bot, input);
      if (!user) continue;
      if (user.id !== ctx.bot.id) ctx.world.relation(user, ctx.bot).seen = 'full';
      out.push(renderUser(ctx.world, user, ctx.bot));
    }
    return out;
  },
  { floodable: false },
);
