/**
 * A bot editing and deleting messages in its message box (private chats and basic groups), with Telegram's
 * errors and in Telegram's order.
 */
import { RpcError } from '../backend.js';
import { MESSAGE_LENGTH_MAX } from './bot-actions.js';
import type { MessageRecord, PeerRef, UserRecord } from './types.js';
import { account, type World } from './world.js';

/** Bots may change a message's text for this long (Telegram-seconds); the keyboard any time. */
export const EDIT_TEXT_WINDOW_SECONDS = 48 * 3600;

export interface MessageEdit {
  /** New text; undefined keeps the text (a keyboard-only edit). */
  text?: string;
  /** Serialized entities of the new text (ignored when `text` is undefined). */
  entities?: string[];
  /** Serialized reply markup; undefined removes the keyboard, as Telegram does when the field is left out. */
  replyMarkup?: string;
}

function samePeer(a: PeerRef, b: PeerRef): boolean {
  return a.type === b.type && a.id === b.id;
}

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * messages.editMessage on the bot's own message: MESSAGE_ID_INVALID (no such message in that chat),
 * MESSAGE_AUTHOR_REQUIRED (someone else's), MESSAGE_EMPTY / MESSAGE_TOO_LONG, MESSAGE_EDIT_TIME_EXPIRED (text after
 * 48 h), MESSAGE_NOT_MODIFIED (nothing changes). Appends updateEditMessage (pts + 1).
 */
export function botEditMessage(
  world: World,
  bot: UserRecord,
  peer: PeerRef,
  messageId: number,
  edit: MessageEdit,
  authKeyId: string | undefined,
): { message: MessageRecord; pts: number } {
  const acc = account(bot);
  const msg = acc.messages.get(messageId);
  if (!msg || !samePeer(msg.peer, peer) || msg.action) throw new RpcError(400, 'MESSAGE_ID_INVALID');
  if (!msg.out) throw new RpcError(403, 'MESSAGE_AUTHOR_REQUIRED');
  const text = edit.text ?? msg.text;
  const entities = edit.text === undefined ? msg.entities : edit.entities;
  if (text.trim() === '') throw new RpcError(400, 'MESSAGE_EMPTY');
  if (text.length > MESSAGE_LENGTH_MAX) throw new RpcError(400, 'MESSAGE_TOO_LONG');
  const textChanges = text !== msg.text || !sameList(entities, msg.entities);
  if (!textChanges && edit.replyMarkup === msg.replyMarkup) throw new RpcError(400, 'MESSAGE_NOT_MODIFIED');
  if (textChanges && world.date() - msg.date > EDIT_TEXT_WINDOW_SECONDS) {
    throw new RpcError(400, 'MESSAGE_EDIT_TIME_EXPIRED');
  }
  msg.text = text;
  if (entities?.length) msg.entities = entities;
  else delete msg.entities;
  if (edit.replyMarkup !== undefined) msg.replyMarkup = edit.replyMarkup;
  else delete msg.replyMarkup;
  msg.editDate = world.date();
  const entry = world.appendEntry(
    bot,
    { kind: 'editMessage', messageId },
    {
      pts: true,
      users: peer.type === 'user' ? [world.mention(world.user(peer.id)!, bot, { full: true })] : [],
      chats: peer.type === 'chat' ? [peer] : [],
      ...(authKeyId !== undefined ? { excludeAuthKey: authKeyId } : {}),
    },
  );
  return { message: msg, pts: entry.pts };
}

/**
 * messages.deleteMessages in the bot's box: messages it sent, and messages users sent it in private. Ids it does
 * not have are skipped, as Telegram does; the answer counts what was deleted (updateDeleteMessages, one pts each).
 */
export function botDeleteMessages(
  world: World,
  bot: UserRecord,
  ids: readonly number[],
  authKeyId: string | undefined,
): { pts: number; ptsCount: number } {
  const acc = account(bot);
  const deleted: number[] = [];
  for (const id of new Set(ids)) {
    const msg = acc.messages.get(id);
    if (!msg) continue;
    if (!msg.out && msg.peer.type !== 'user') throw new RpcError(403, 'MESSAGE_DELETE_FORBIDDEN');
    deleted.push(id);
  }
  if (deleted.length === 0) return { pts: acc.pts, ptsCount: 0 };
  for (const id of deleted) acc.messages.delete(id);
  const entry = world.appendEntry(
    bot,
    { kind: 'deleteMessages', messageIds: deleted },
    {
      pts: true,
      ptsCount: deleted.length,
      ...(authKeyId !== undefined ? { excludeAuthKey: authKeyId } : {}),
    },
  );
  return { pts: entry.pts, ptsCount: deleted.length };
}
