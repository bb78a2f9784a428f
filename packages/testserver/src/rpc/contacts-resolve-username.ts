import { RpcError } from '../backend.js';
import { Api, toBigInteger } from '../tl.js';
import { renderChannel, renderUser } from '../world/render.js';
import { isValidUsername } from '../world/usernames.js';
import { botMethod } from './method.js';

/**
 * contacts.resolveUsername, case-insensitive. Bad syntax is 400 USERNAME_INVALID, a free name 400
 * USERNAME_NOT_OCCUPIED. Resolving a user counts as the bot seeing it (a full user with a working hash).
 */
export const contactsResolveUsername = botMethod(Api.contacts.ResolveUsername, (req, ctx) => {
  const { world, bot } = ctx;
  if (!isValidUsername(req.username)) throw new RpcError(400, 'USERNAME_INVALID');
  const owner = world.usernames.lookup(req.username);
  if (owner?.type === 'channel') {
    const channel = world.channel(owner.id);
    if (channel) {
      return new Api.contacts.ResolvedPeer({
        peer: new Api.PeerChannel({ channelId: toBigInteger(channel.id) }),
        chats: [renderChannel(world, channel, bot)],
        users: [],
      });
    }
  }
  const user = owner?.type === 'user' ? world.user(owner.id) : undefined;
  if (!user || user.deleted) throw new RpcError(400, 'USERNAME_NOT_OCCUPIED');
  if (user.id !== bot.id) world.relation(user, bot).seen = 'full';
  return new Api.contacts.ResolvedPeer({
    peer: new Api.PeerUser({ userId: toBigInteger(user.id) }),
    chats: [],
    users: [renderUser(world, user, bot)],
  });
});
