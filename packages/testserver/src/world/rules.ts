import { RpcError } from '../backend.js';
import type { Relation, UserRecord } from './types.js';

/*
 * What real Telegram answers a bot writing to a user (messages.sendMessage, messages.setTyping).
 *
 * Source: TDLib's MessagesManager::process_send_message_fail_error (tdlib/td, td/telegram/MessagesManager.cpp),
 * which translates the MTProto errors into the Bot API texts everybody knows:
 *   400 PEER_ID_INVALID        -> 403 "Bot can't initiate conversation with a user" (never started)
 *   400 USER_IS_BOT            -> 403 "The bot can't send messages to the bot"
 *   400 INPUT_USER_DEACTIVATED -> 403 "User is deactivated"
 *   403 USER_IS_BLOCKED        -> passed through; the Bot API's "bot was blocked by the user"
 * So a never-started dialog is 400 PEER_ID_INVALID at the MTProto level (not USER_IS_BLOCKED), the same
 * error a wrong access hash gets; that is why the typing probe cannot tell "never started" from "bad hash".
 */

/** The errors of a refused private write. */
export const writeErrors = {
  peerIdInvalid: () => new RpcError(400, 'PEER_ID_INVALID'),
  userIsBot: () => new RpcError(400, 'USER_IS_BOT'),
  userDeactivated: () => new RpcError(400, 'INPUT_USER_DEACTIVATED'),
  userBlocked: () => new RpcError(403, 'USER_IS_BLOCKED'),
} as const;

/** Whether the relation lets the bot write first at Telegram-time `now` (ms). */
export function dialogOpen(rel: Relation | undefined, now: number): boolean {
  if (!rel) return false;
  if (rel.started) return true;
  return rel.joinRequestUntil !== undefined && now < rel.joinRequestUntil;
}

/**
 * The error a bot gets writing to `user` in private, or undefined when it may. Checked in Telegram's order:
 * the account's state first, then the dialog.
 */
export function privateWriteError(
  user: UserRecord,
  rel: Relation | undefined,
  now: number,
): RpcError | undefined {
  if (user.deleted) return writeErrors.userDeactivated();
  if (user.bot) return writeErrors.userIsBot();
  if (!dialogOpen(rel, now)) return writeErrors.peerIdInvalid();
  if (rel?.blocked) return writeErrors.userBlocked();
  return undefined;
}
