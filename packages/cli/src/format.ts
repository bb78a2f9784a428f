/**
 * Rendering records for people (one line per thing, aligned tables) and for `--json` (64-bit values as strings,
 * times as ISO strings next to their ms).
 */
import type { DialogInfo, HistoryEntry, PeerRecord } from '@pm/core';

/** "1 peer", "2 peers" */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function isoTime(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function displayName(p: PeerRecord): string {
  if (p.title) return p.title;
  const name = [p.firstName, p.lastName].filter(Boolean).join(' ');
  return name || (p.deleted ? 'Deleted Account' : '(no name)');
}

export function usernamesText(p: PeerRecord): string {
  return p.usernames.length > 0 ? p.usernames.map((u) => `@${u}`).join(' ') : '-';
}

/** "Alice Liddell (@alice), user 123" */
export function peerLine(p: PeerRecord): string {
  const names = p.usernames.length > 0 ? ` (${usernamesText(p)})` : '';
  return `${displayName(p)}${names}, ${p.type} ${p.id}`;
}

/** The record for --json: every field, 64-bit values as decimal strings. */
export function peerJson(p: PeerRecord): Record<string, unknown> {
  return {
    id: p.id.toString(),
    type: p.type,
    accessHash: p.accessHash === null ? null : p.accessHash.toString(),
    min: p.min,
    usernames: [...p.usernames],
    firstName: p.firstName,
    lastName: p.lastName,
    title: p.title,
    phone: p.phone,
    langCode: p.langCode,
    langCodeSeenAt: p.langCodeSeenAt,
    premium: p.premium,
    verified: p.verified,
    deleted: p.deleted,
    photoId: p.photoId === null ? null : p.photoId.toString(),
    firstSeen: p.firstSeen,
    lastSeen: p.lastSeen,
    lastUpdated: p.lastUpdated,
  };
}

export function dialogJson(d: DialogInfo | undefined): Record<string, unknown> | null {
  if (!d) return null;
  return { ...d, userId: d.userId.toString() };
}

export function dialogText(d: DialogInfo | undefined): string {
  if (!d || (!d.started && !d.blocked)) return 'never started';
  const parts: string[] = [];
  if (d.started) {
    parts.push(`started ${isoTime(d.startedAt)} via ${d.via ?? '?'}`);
    if (d.payload) parts.push(`payload "${d.payload}"`);
  }
  parts.push(d.blocked ? `blocked since ${isoTime(d.blockedSince)}` : 'not blocked');
  if (d.lastMessageAt) parts.push(`last message ${isoTime(d.lastMessageAt)}`);
  return parts.join(', ');
}

function valueText(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (Array.isArray(v)) return v.length > 0 ? v.map((u) => `@${u}`).join(' ') : '-';
  return JSON.stringify(v);
}

export function historyLine(h: HistoryEntry): string {
  return `${isoTime(h.at)}  ${h.field}: ${valueText(h.before)} → ${valueText(h.after)}`;
}

export function historyJson(h: HistoryEntry): Record<string, unknown> {
  return { field: h.field, before: h.before, after: h.after, at: h.at };
}

/** A plain aligned table: a header row, a rule, then the rows. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
