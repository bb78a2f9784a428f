import { Api } from '../tl.js';
import { renderUser } from '../world/render.js';
import { botMethod } from './method.js';
import { findInputUser } from './peers.js';

/**
 * users.getUsers, including `inputUserSelf` (GramJS's getMe). Entries the bot may not address (unknown id,
 * wrong or min hash) are left out of the answer rather than failing the whole call.
 */
export const usersGetUsers = botMethod(
  Api.users.GetUsers,
  (req, ctx) => {
    const out: Api.TypeUser[] = [];
    for (const input of req.id) {
      const user = findInputUser(ctx.world, ctx.bot, input);
      if (!user) continue;
      if (user.id !== ctx.bot.id) ctx.world.relation(user, ctx.bot).seen = 'full';
      out.push(renderUser(ctx.world, user, ctx.bot));
    }
    return out;
  },
  { floodable: false },
);
