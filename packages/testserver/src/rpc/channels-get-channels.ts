import { RpcError } from '../backend.js';
import { Api, toBigint } from '../tl.js';
import { renderChannel } from '../world/render.js';
import { botMethod } from './method.js';

/** channels.getChannels: a wrong access hash is 400 CHANNEL_INVALID. */
export const channelsGetChannels = botMethod(Api.channels.GetChannels, (req, ctx) => {
  const chats: Api.TypeChat[] = [];
  for (const input of req.id) {
    const channel =
      input instanceof Api.InputChannel ? ctx.world.channel(toBigint(input.channelId)) : undefined;
    if (
      !channel ||
      ctx.world.channelHash(channel, ctx.bot) !== toBigint((input as Api.InputChannel).accessHash)
    ) {
      throw new RpcError(400, 'CHANNEL_INVALID');
    }
    chats.push(renderChannel(ctx.world, channel, ctx.bot));
  }
  return new Api.messages.Chats({ chats });
});
