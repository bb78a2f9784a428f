import type { DialogInfo } from '../dialogs/dialog-service.js';
import type { FieldChange, HistoryEntry, PeerRecord, UpsertResult } from '../storage/types.js';
import { HISTORY_FIELDS } from '../storage/types.js';

/** Everything the bot knows about a user: the current record, every change with its time, the dialog state. */
export interface Profile {
  readonly user: PeerRecord;
  readonly history: readonly HistoryEntry[];
  readonly language: LanguageInfo;
  readonly dialog: DialogInfo | undefined;
}

/** The last known `lang_code` and when it was seen (ms); code null if never seen. */
export interface LanguageInfo {
  readonly code: string | null;
  readonly seenAt: number | null;
}

export function languageOf(user: PeerRecord): LanguageInfo {
  return { code: user.langCode, seenAt: user.langCodeSeenAt };
}

/** A profile change as events carry it: only user-visible fields, with before and after. */
export interface ProfileChangedEvent {
  readonly user: PeerRecord;
  readonly before: PeerRecord;
  readonly changes: readonly FieldChange[];
  /** The effective language after the change (the last known one when the update had none). */
  readonly language: string | null;
}

const VISIBLE = new Set<string>(HISTORY_FIELDS);

/** The changes worth a profileChanged event: names, usernames, phone, language. */
export function visibleChanges(changes: readonly FieldChange[]): FieldChange[] {
  return changes.filter((c) => VISIBLE.has(c.field));
}

/**
 * The profileChanged events an upsert causes, in order: each sighted peer whose visible fields changed, then the
 * peers it took a username or phone from. `before` is always the record as it was before this sighting.
 */
export function profileChangeEvents(results: readonly UpsertResult[]): ProfileChangedEvent[] {
  // Runs for every ingested batch (each update's users): no closure, nothing allocated when nothing changed.
  let events: ProfileChangedEvent[] | undefined;
  for (const r of results) {
    if (r.before && r.changes.length > 0) events = addEvent(events, r.record, r.before, r.changes);
    for (const d of r.displaced) events = addEvent(events, d.record, d.before, d.changes);
  }
  return events ?? [];
}

function addEvent(
  events: ProfileChangedEvent[] | undefined,
  user: PeerRecord,
  before: PeerRecord,
  changes: readonly FieldChange[],
): ProfileChangedEvent[] | undefined {
  const visible = visibleChanges(changes);
  if (visible.length === 0) return events;
  const list = events ?? [];
  list.push({ user, before, changes: visible, language: user.langCode });
  return list;
}
