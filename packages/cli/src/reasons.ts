/** Why a message could not be sent or a user cannot be messaged, in words. */
export const REASON_TEXT: Readonly<Record<string, string>> = {
  blocked: 'the user blocked the bot',
  notStarted: 'the user never started the bot',
  deactivated: 'the account was deleted',
  isBot: 'bots cannot message bots',
  notSeen: 'the bot has not seen this user (no access hash)',
  floodWait: 'Telegram asks to wait',
  tooLong: 'the text is longer than 4096 characters',
  empty: 'the text is empty',
  network: 'Telegram could not be reached before the deadline (safe to retry)',
  failed: 'Telegram refused the message',
};

export function reasonText(reason: string, retryAfter?: number): string {
  const wait = retryAfter !== undefined ? ` (retry after ${retryAfter} s)` : '';
  return `${REASON_TEXT[reason] ?? reason}${wait}`;
}
