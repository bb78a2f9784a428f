import { RpcError } from '../backend.js';
import { Api, toBigint } from '../tl.js';
import { renderChannel, renderEntities, renderMessage } from '../world/render.js';
import type { UserMention } from '../world/types.js';
import { botMethod } from './method.js';

/**
 * updates.getChannelDifference for a channel or supergroup the bot is in: the messages after `pts`, at most
 * `limit` of them (then `final` is false and the client asks again from the returned pts).
 */
export const updatesGetChannelDifference = botMethod(
  Api.updates.GetChannelDifference,
  (req, ctx) => {
    const { world, bot } = ctx;
    const input = req.channel;
    const channel = input instanceof Api.InputChannel ? world.channel(toBigint(input.channelId)) : undefined;
    if (
      !channel ||
      !(input instanceof Api.InputChannel) ||
      world.channelHash(channel, bot) !== toBigint(input.accessHash)
    ) {
      throw new RpcError(400, 'CHANNEL_INVALID');
    }
    if (!channel.members.has(bot.id.toString())) throw new RpcError(400, 'CHANNEL_PRIVATE');
    const from = req.pts ?? 0;
    if (from <= 0) throw new RpcError(400, 'PERSISTENT_TIMESTAMP_INVALID');
    if (from >= channel.pts) return new Api.updates.ChannelDifferenceEmpty({ final: true, pts: channel.pts });
    const limit = Math.max(1, Math.min(req.limit ?? 100, 100_000));
    const pending = [...channel.messages.values()]
      .filter((m) => (m.pts ?? 0) > from)
      .sort((a, b) => a.id - b.id);
    const chunk = pending.slice(0, limit);
    const final = chunk.length === pending.length;
    const users: UserMention[] = [];
    for (const m of chunk) {
      const author = m.fromId === undefined || m.fromId === bot.id ? undefined : world.user(m.fromId);
      if (author) users.push(world.mention(author, bot));
    }
    const entities = renderEntities(world, bot, users, []);
    return new Api.updates.ChannelDifference({
      final,
      pts: final ? channel.pts : (chunk[chunk.length - 1]?.pts ?? from),
      newMessages: chunk.map((m) => renderMessage(m, bot)),
      otherUpdates: [],
      chats: [renderChannel(world, channel, bot)],
      users: entities.users,
    });
  },
  { floodable: false },
);
