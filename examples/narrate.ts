/**
 * One readable line per thing the greeter did or saw: the demo's narrative, and a log format for the greeter.
 */
import { type PeerRecord, type PmClient, redactSecrets, type SendResult } from '@pm/core';
import type { GreeterEvent } from './greeter-bot.js';

/** "Alice Liddell (@alice)" */
export function who(user: PeerRecord): string {
  const name = [user.firstName, user.lastName].filter(Boolean).join(' ') || `user ${user.id}`;
  return user.usernames.length > 0 ? `${name} (@${user.usernames.join(', @')})` : name;
}

function language(langCode: string | null, used: string): string {
  if (langCode === null) return `language unknown, so ${used}`;
  const base = langCode.toLowerCase().split(/[-_]/)[0];
  return base === used ? `language ${langCode}` : `language ${langCode}, not spoken, so ${used}`;
}

function reply(r: SendResult, text: string): string {
  return r.ok ? `replied #${r.messageId}: ${quote(text)}` : `reply not sent: ${r.reason}`;
}

/** Quotes a text for one line: newlines shown as ⏎, no JSON escapes. */
function quote(text: string): string {
  return `"${text.replace(/\r?\n/g, ' ⏎ ')}"`;
}

function value(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (Array.isArray(v)) return v.length > 0 ? v.map((u) => `@${u}`).join(' ') : '(none)';
  return JSON.stringify(v);
}

const VIA = {
  start: '/start',
  message: 'a first message that is not /start',
  joinRequest: 'a join request',
  loginWidget: 'the Login Widget',
} as const;

export function narrate(e: GreeterEvent): string {
  switch (e.kind) {
    case 'greeted': {
      const how = e.first
        ? `started the dialog via ${VIA[e.via]}${e.via === 'joinRequest' ? ` to ${e.chat}` : ''}`
        : `sent /start again (the dialog was open already)`;
      const payload = e.payload ? `, payload "${e.payload}"` : '';
      return `${who(e.user)} ${how}${payload}, ${language(e.langCode, e.language)} → ${reply(e.reply, e.text)}`;
    }
    case 'answered':
      return `${who(e.user)} wrote ${quote(e.message)}, ${language(e.langCode, e.language)} → ${reply(e.reply, e.text)}`;
    case 'blocked':
      return `${who(e.user)} blocked the bot`;
    case 'unblocked':
      return `${who(e.user)} unblocked the bot`;
    case 'profileChanged':
      return `${who(e.user)} changed: ${e.changes
        .map((c) => `${c.field} ${value(c.before)} → ${value(c.after)}`)
        .join(', ')}`;
    case 'error':
      return `error in ${e.where}: ${redactSecrets(e.error instanceof Error ? e.error.message : String(e.error))}`;
  }
}

/** The columns of {@link seenUsersTable}. */
export const SEEN_USERS_HEADER = [
  'id',
  'name',
  'username',
  'language',
  'started via',
  'payload',
  'blocked',
] as const;

/** Every user the bot has seen (bots left out) with their dialog state, ascending by id. */
export async function seenUsersTable(client: PmClient): Promise<string[][]> {
  const rows: string[][] = [];
  for await (const user of client.peers.iterate()) {
    if (user.type !== 'user') continue;
    const d = await client.dialogs.get(user.id);
    rows.push([
      user.id.toString(),
      [user.firstName, user.lastName].filter(Boolean).join(' ') || '-',
      user.usernames.length > 0 ? user.usernames.map((u) => `@${u}`).join(' ') : '-',
      user.langCode ?? '-',
      d?.via ?? (d?.started ? '?' : 'not started'),
      d?.payload ?? '-',
      d?.blocked ? 'yes' : 'no',
    ]);
  }
  return rows;
}
