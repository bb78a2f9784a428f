import type { SendFailureReason } from '@pm/core';

/**
 * Why a message could not be sent or a user cannot be messaged, in words: one text per `SendFailureReason` (the one
 * list, in @pm/core's rpc-errors.ts), so a new reason without a text here does not compile.
 */
export const REASON_TEXT: Readonly<Record<SendFailureReason, string>> = {
  blocked: 'the user blocked the bot',
  notStarted: 'the user never started the bot',
  deactivated: 'the account was deleted',
  isBot: 'bots cannot message bots',
  notSeen: 'the bot has not seen this user (no access hash)',
  notFound: 'nobody has this username',
  notAUser: 'it is a chat or channel, not a user',
  floodWait: 'Telegram asks to wait',
  tooLong: 'the text is longer than 4096 characters',
  empty: 'the text is empty',
  network: 'Telegram could not be reached before the deadline (safe to retry)',
  failed: 'Telegram refused the message',
};

export function reasonText(reason: SendFailureReason, retryAfter?: number): string {
  const wait = retryAfter !== undefined ? ` (retry after ${retryAfter} s)` : '';
  return `${REASON_TEXT[reason]}${wait}`;
}

/** A reason read back from storage (a broadcast's skipped recipients): its text, or the name a newer pm wrote. */
export function storedReasonText(reason: string): string {
  return Object.hasOwn(REASON_TEXT, reason) ? reasonText(reason as SendFailureReason) : reason;
}
