/**
 * Inline keyboards with callback buttons: a user pressing one (updateBotCallbackQuery) and the bot answering it
 * (messages.setBotCallbackAnswer).
 */
import { randomBytes } from 'node:crypto';
import { RpcError } from '../backend.js';
import { Api } from '../tl.js';
import { tlFromBase64 } from './entities.js';
import { deriveHash } from './ids.js';
import type { CallbackQueryRecord, UserRecord } from './types.js';
import { account, type World } from './world.js';

/** Telegram's limit on the text of a callback answer. */
export const CALLBACK_ANSWER_MAX = 200;

/** The callback data of every callback button of a serialized reply markup. */
export function callbackData(replyMarkup: string | undefined): Buffer[] {
  if (replyMarkup === undefined) return [];
  const markup = tlFromBase64(replyMarkup);
  if (!(markup instanceof Api.ReplyInlineMarkup)) return [];
  return markup.rows.flatMap((row) =>
    row.buttons.flatMap((b) => (b instanceof Api.KeyboardButtonCallback ? [Buffer.from(b.data)] : [])),
  );
}

/**
 * `user` presses the callback button with `data` under the bot's message `messageId` in their private chat.
 * Throws (a scenario mistake, not an RPC error) when there is no such message or button.
 */
export function userPress(
  world: World,
  user: UserRecord,
  bot: UserRecord,
  messageId: number,
  data: Buffer,
): bigint {
  if (user.deleted) throw new Error(`user ${user.id} deleted their account`);
  const acc = account(bot);
  const msg = acc.messages.get(messageId);
  if (msg?.peer.type !== 'user' || msg.peer.id !== user.id || !msg.out) {
    throw new Error(`bot ${bot.id} sent user ${user.id} no message ${messageId}`);
  }
  const buttons = callbackData(msg.replyMarkup);
  if (!buttons.some((b) => b.equals(data))) {
    const offered = buttons.map((b) => JSON.stringify(b.toString('utf8'))).join(', ') || 'none';
    throw new Error(
      `message ${messageId} has no callback button with data ${JSON.stringify(data.toString('utf8'))} (it has ${offered})`,
    );
  }
  const queryId = BigInt.asIntN(64, randomBytes(8).readBigUInt64LE(0));
  acc.callbackQueries ??= {};
  acc.callbackQueries[queryId.toString()] = {
    userId: user.id.toString(),
    messageId,
    date: world.date(),
  };
  world.appendEntry(
    bot,
    {
      kind: 'callbackQuery',
      userId: user.id,
      queryId: queryId.toString(),
      chatInstance: deriveHash(world.secret, 'chat-instance', user.id, bot.id).toString(),
      messageId,
      data: data.toString('base64'),
    },
    { users: [world.mention(user, bot, { full: true })] },
  );
  return queryId;
}

export interface CallbackAnswer {
  text?: string;
  alert: boolean;
  url?: string;
  cacheTime: number;
}

/** messages.setBotCallbackAnswer: once per query (QUERY_ID_INVALID otherwise), text up to 200 characters. */
export function botAnswerCallback(
  bot: UserRecord,
  queryId: bigint,
  answer: CallbackAnswer,
): CallbackQueryRecord {
  const query = account(bot).callbackQueries?.[queryId.toString()];
  if (!query || query.answer) throw new RpcError(400, 'QUERY_ID_INVALID');
  if ((answer.text?.length ?? 0) > CALLBACK_ANSWER_MAX) throw new RpcError(400, 'MESSAGE_TOO_LONG');
  query.answer = {
    alert: answer.alert,
    cacheTime: answer.cacheTime,
    ...(answer.text ? { text: answer.text } : {}),
    ...(answer.url ? { url: answer.url } : {}),
  };
  return query;
}
