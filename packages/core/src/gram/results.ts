/** GramJS RPC results → the project's own types. */
import type { IncomingUpdates } from '../updates/types.js';
import type { SelfInfo } from './options.js';
import { toPmError } from './rpc.js';
import { Api, toBigint } from './tl.js';
import { mapIncoming } from './updates.js';

export function selfInfo(u: Api.TypeUser): SelfInfo {
  if (!(u instanceof Api.User)) throw toPmError(new Error('the account is gone'), 'users.GetUsers');
  return {
    id: toBigint(u.id),
    ...(u.username ? { username: u.username } : {}),
    firstName: u.firstName ?? '',
    bot: Boolean(u.bot),
  };
}

export function editDateOf(res: Api.TypeUpdates): number {
  if (res instanceof Api.Updates || res instanceof Api.UpdatesCombined) {
    for (const u of res.updates) {
      if (u instanceof Api.UpdateEditMessage && u.message instanceof Api.Message && u.message.editDate) {
        return u.message.editDate;
      }
    }
  }
  return Math.floor(Date.now() / 1000);
}

export function sentMessageInfo(res: Api.TypeUpdates): { messageId: number; date: number } {
  if (res instanceof Api.UpdateShortSentMessage) return { messageId: res.id, date: res.date };
  if (res instanceof Api.Updates || res instanceof Api.UpdatesCombined) {
    for (const u of res.updates) {
      if (
        (u instanceof Api.UpdateNewMessage || u instanceof Api.UpdateNewChannelMessage) &&
        u.message instanceof Api.Message
      ) {
        return { messageId: u.message.id, date: u.message.date };
      }
      if (u instanceof Api.UpdateMessageID) return { messageId: u.id, date: res.date };
    }
    return { messageId: 0, date: res.date };
  }
  return { messageId: 0, date: Math.floor(Date.now() / 1000) };
}

/** messages.deleteMessages answers only pts: the engine gets it as an updateDeleteMessages. */
export function deletedMessagesIncoming(
  ids: readonly number[],
  affected: Api.messages.AffectedMessages,
): IncomingUpdates | undefined {
  if (affected.ptsCount === 0) return undefined;
  return mapIncoming(
    new Api.UpdateShort({
      update: new Api.UpdateDeleteMessages({
        messages: [...ids],
        pts: affected.pts,
        ptsCount: affected.ptsCount,
      }),
      date: Math.floor(Date.now() / 1000),
    }),
  );
}
