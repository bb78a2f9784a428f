import { PmError, SessionInvalidError } from '../errors.js';
import { type CallbackAnswerFailureReason, callbackAnswerFailureReason } from '../rpc-errors.js';
import type { PeerCache } from '../storage/peer-cache.js';
import type { PeerRecord } from '../storage/types.js';
import type { BotUpdate } from '../updates/types.js';

/** A user pressed a callback button under one of the bot's messages. Answer it with `client.answerCallback()`. */
export interface CallbackQueryEvent {
  /** Pass to `answerCallback` (once; Telegram shows a spinner on the button until then). */
  readonly queryId: bigint;
  /** The user who pressed, as the peer cache knows them (the update carried them). */
  readonly user: PeerRecord | undefined;
  readonly userId: bigint;
  /** The private peer user id, or the marked chat id. */
  readonly chatId: bigint;
  readonly messageId: number;
  /** The button's data as UTF-8 text (what `{ text, data }` buttons carry). */
  readonly data: string;
  /** The button's data as bytes. */
  readonly rawData: Uint8Array;
  /** The same for every press in one chat with this bot (Telegram's chat_instance). */
  readonly chatInstance: bigint;
}

export interface CallbackAnswerInput {
  /** Shown as a notification at the top of the chat (or an alert with `alert`), up to 200 characters. */
  readonly text?: string;
  readonly alert?: boolean;
  /** A URL the client opens (a game, or t.me/bot?start=...). */
  readonly url?: string;
  /** How long (seconds) clients may cache the answer. @default 0 */
  readonly cacheTime?: number;
}

export type CallbackAnswerResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: CallbackAnswerFailureReason; readonly error?: PmError };

/** Telegram's limit on a callback answer's text. */
export const MAX_CALLBACK_ANSWER_LENGTH = 200;

/** The event for an updateBotCallbackQuery (the user came with the update and is in the cache by now). */
export async function callbackQueryEvent(
  u: Extract<BotUpdate, { type: 'callbackQuery' }>,
  peers: PeerCache,
): Promise<CallbackQueryEvent> {
  const raw = u.data ?? new Uint8Array();
  return {
    queryId: u.queryId,
    user: await peers.get(u.userId),
    userId: u.userId,
    chatId: u.chatId,
    messageId: u.messageId,
    data: Buffer.from(raw).toString('utf8'),
    rawData: raw,
    chatInstance: u.chatInstance,
  };
}

/** Answers a callback query; refusals are results. */
export async function answerCallback(
  send: (queryId: bigint, answer: CallbackAnswerInput) => Promise<void>,
  queryId: bigint,
  answer: CallbackAnswerInput,
): Promise<CallbackAnswerResult> {
  if ((answer.text?.length ?? 0) > MAX_CALLBACK_ANSWER_LENGTH) return { ok: false, reason: 'tooLong' };
  try {
    await send(queryId, answer);
    return { ok: true };
  } catch (e) {
    if (e instanceof SessionInvalidError || !(e instanceof PmError)) throw e;
    const reason = callbackAnswerFailureReason(e);
    return reason === 'failed' || reason === 'network'
      ? { ok: false, reason, error: e }
      : { ok: false, reason };
  }
}
