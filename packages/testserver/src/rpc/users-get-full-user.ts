import { Api, toBigInteger } from '../tl.js';
import { renderUser } from '../world/render.js';
import { botMethod } from './method.js';
import { resolveInputUser } from './peers.js';

/** users.getFullUser: the profile, plus the command list for bots. */
export const usersGetFullUser = botMethod(Api.users.GetFullUser, (req, ctx) => {
  const { world, bot } = ctx;
  const user = resolveInputUser(world, bot, req.id);
  if (user.id !== bot.id) world.relation(user, bot).seen = 'full';
  const key = user.id.toString();
  let common = 0;
  for (const chat of world.chats.values()) {
    if (chat.members.has(key) && chat.members.has(bot.id.toString())) common++;
  }
  const commands = user.account?.commands.find(
    (c) => c.scope === 'BotCommandScopeDefault' && c.langCode === '',
  );
  return new Api.users.UserFull({
    fullUser: new Api.UserFull({
      id: toBigInteger(user.id),
      settings: new Api.PeerSettings({}),
      notifySettings: new Api.PeerNotifySettings({}),
      commonChatsCount: common,
      ...(user.bot
        ? {
            botInfo: new Api.BotInfo({
              userId: toBigInteger(user.id),
              description: '',
              commands: (commands?.commands ?? []).map((c) => new Api.BotCommand(c)),
            }),
          }
        : {}),
    }),
    chats: [],
    users: [renderUser(world, user, bot)],
  });
});
