/**
 * The merge rules, as pure functions of (stored record, sighting, time). They live in the service rather than in
 * the repositories so that every provider, SQL or not, gets identical behaviour from plain idempotent upserts.
 *
 * - A `min` sighting never replaces a full access hash; a full one replaces a min one. Where the stored record is
 *   full, a min sighting only fills fields the record lacks (null / no usernames).
 * - A missing `lang_code` keeps the last known one.
 * - `UserEmpty` and deleted accounts are marked `deleted`, never dropped.
 * Username and phone hand-over between peers needs other records and is done by the service.
 */

import {
  type FieldChange,
  HISTORY_FIELDS,
  type HistoryEntry,
  type HistoryField,
  type PeerInput,
  type PeerRecord,
  type PeerType,
  type TrackedField,
} from './types.js';
import type { ValidPeerInput } from './validate.js';

const TRACKED: readonly TrackedField[] = [
  'type',
  'accessHash',
  'min',
  'firstName',
  'lastName',
  'title',
  'usernames',
  'phone',
  'langCode',
  'premium',
  'verified',
  'deleted',
  'photoId',
];
const HISTORY: ReadonlySet<TrackedField> = new Set<TrackedField>(HISTORY_FIELDS);
const DEFAULT_TYPE = { user: 'user', chat: 'chat', channel: 'channel' } as const;

/** The result of a merge: the new record and what differs from the old one. */
export interface MergeOutcome {
  readonly record: PeerRecord;
  readonly changes: FieldChange[];
}

/** Freezes a record and its usernames array so cached records cannot be altered by callers. */
export function freezeRecord(record: PeerRecord): PeerRecord {
  if (!Object.isFrozen(record)) {
    Object.freeze(record.usernames);
    Object.freeze(record);
  }
  return record;
}

/** A record for a peer seen for the first time. */
export function createRecord(input: ValidPeerInput, now: number): PeerRecord {
  const type: PeerType = input.type ?? DEFAULT_TYPE[input.kind];
  return freezeRecord({
    id: input.id,
    type,
    accessHash: input.kind === 'chat' ? null : (input.accessHash ?? null),
    min: input.min,
    usernames: input.usernames ?? [],
    firstName: input.firstName ?? null,
    lastName: input.lastName ?? null,
    title: input.title ?? null,
    phone: input.phone ?? null,
    langCode: input.langCode ?? null,
    langCodeSeenAt: input.langCode === undefined ? null : now,
    premium: input.premium ?? null,
    verified: input.verified ?? null,
    deleted: input.deleted ?? false,
    photoId: input.photoId ?? null,
    firstSeen: now,
    lastSeen: now,
    lastUpdated: now,
  });
}

function lacking(value: unknown): boolean {
  return value === null || (Array.isArray(value) && value.length === 0);
}

/** The seen value where the sighting may overwrite (or the stored one is lacking), else the stored one. */
function pick<T>(overwrite: boolean, stored: T, seen: T | undefined): T {
  return seen !== undefined && (overwrite || lacking(stored)) ? seen : stored;
}

/** Merges a sighting into the stored record by the rules in the module comment. */
export function mergeRecord(existing: PeerRecord, input: ValidPeerInput, now: number): MergeOutcome {
  // A min sighting may overwrite only another min record; over a full record it fills gaps.
  // (No closures here: this runs for every sighting, a re-sighting that changes nothing included.)
  const overwrite = !input.min || existing.min;

  let accessHash = existing.accessHash;
  let min = existing.min;
  if (typeof input.accessHash === 'bigint') {
    if (!input.min) {
      accessHash = input.accessHash;
      min = false;
    } else if (existing.min) {
      // A full record keeps its profile authority even without a hash: taking a min hash would turn it into a
      // min record, and later min sightings could then overwrite what the full constructor said.
      accessHash = input.accessHash;
      min = true;
    }
  }
  const langSeen = input.langCode !== undefined && (overwrite || existing.langCode === null);
  const next: PeerRecord = {
    id: existing.id,
    type: overwrite && input.type !== undefined ? input.type : existing.type,
    accessHash,
    min,
    usernames: pick(overwrite, existing.usernames, input.usernames),
    firstName: pick(overwrite, existing.firstName, input.firstName),
    lastName: pick(overwrite, existing.lastName, input.lastName),
    title: pick(overwrite, existing.title, input.title),
    phone: pick(overwrite, existing.phone, input.phone),
    langCode: langSeen ? (input.langCode ?? null) : existing.langCode,
    langCodeSeenAt: langSeen ? now : existing.langCodeSeenAt,
    premium: pick(overwrite, existing.premium, input.premium),
    verified: pick(overwrite, existing.verified, input.verified),
    deleted: overwrite && input.deleted !== undefined ? input.deleted : existing.deleted,
    photoId: pick(overwrite, existing.photoId, input.photoId),
    firstSeen: existing.firstSeen,
    lastSeen: Math.max(existing.lastSeen, now),
    lastUpdated: existing.lastUpdated,
  };
  return finish(existing, next, now);
}

/**
 * What an unchanged sighting does: `'same'` (nothing), `'lang seen'` (nothing but the lang code counting as seen
 * now, which moves `langCodeSeenAt`).
 */
export type SameSighting = 'same' | 'lang seen';

/**
 * Whether merging `input` into `existing` would change no field, decided on the raw input, before validation: it
 * answers only when every field the sighting carries equals the stored value. A stored value was validated and
 * normalised when it was stored, so an equal one is valid as it stands; any other value (a change, a value the
 * merge would ignore, anything that needs checking) answers undefined, and the sighting takes the full path
 * (validation, then {@link mergeRecord}), which applies every rule and refuses a bad value. A full hash over a min
 * record is a change (the upgrade); a min sighting over a full record changes nothing when its values are equal.
 */
export function sameSighting(existing: PeerRecord, input: PeerInput): SameSighting | undefined {
  const min = input.min ?? false;
  if (typeof min !== 'boolean') return undefined;
  const hash = input.accessHash;
  if (hash !== undefined && hash !== null && (hash !== existing.accessHash || (existing.min && !min)))
    return undefined;
  const lang = input.langCode;
  if (
    (input.type !== undefined && input.type !== existing.type) ||
    (input.firstName !== undefined && input.firstName !== existing.firstName) ||
    (input.lastName !== undefined && input.lastName !== existing.lastName) ||
    (input.title !== undefined && input.title !== existing.title) ||
    (input.phone !== undefined && input.phone !== existing.phone) ||
    (lang !== undefined && lang !== null && lang !== existing.langCode) ||
    (input.premium !== undefined && input.premium !== existing.premium) ||
    (input.verified !== undefined && input.verified !== existing.verified) ||
    (input.deleted !== undefined && input.deleted !== existing.deleted) ||
    (input.photoId !== undefined && input.photoId !== existing.photoId)
  ) {
    return undefined;
  }
  const names = input.usernames;
  if (names !== undefined) {
    const stored = existing.usernames;
    if (!Array.isArray(names) || names.length !== stored.length) return undefined;
    for (let i = 0; i < names.length; i++) if (names[i] !== stored[i]) return undefined;
  }
  // As in mergeRecord: a lang code counts as seen where the sighting may overwrite (or the record has none).
  return lang !== undefined && lang !== null && (!min || existing.min) ? 'lang seen' : 'same';
}

/** The record after losing a username (matched lower-case) to another peer. */
export function withoutUsername(record: PeerRecord, lower: string, now: number): MergeOutcome {
  const usernames = record.usernames.filter((u) => u.toLowerCase() !== lower);
  return finish(record, { ...record, usernames }, now);
}

/** The record after its phone number was seen on another peer. */
export function withoutPhone(record: PeerRecord, now: number): MergeOutcome {
  return finish(record, { ...record, phone: null }, now);
}

function finish(before: PeerRecord, next: PeerRecord, now: number): MergeOutcome {
  const changes = diffRecords(before, next);
  const record = changes.length > 0 ? { ...next, lastUpdated: Math.max(before.lastUpdated, now) } : next;
  return { record: freezeRecord(record), changes };
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Changed tracked fields, in a fixed order. */
export function diffRecords(before: PeerRecord, after: PeerRecord): FieldChange[] {
  // The common answer is "nothing": compare each field by name (a loop over field names would read them by key,
  // several times slower), and only then build the list.
  if (
    before.type === after.type &&
    before.accessHash === after.accessHash &&
    before.min === after.min &&
    before.firstName === after.firstName &&
    before.lastName === after.lastName &&
    before.title === after.title &&
    sameValue(before.usernames, after.usernames) &&
    before.phone === after.phone &&
    before.langCode === after.langCode &&
    before.premium === after.premium &&
    before.verified === after.verified &&
    before.deleted === after.deleted &&
    before.photoId === after.photoId
  ) {
    return [];
  }
  const changes: FieldChange[] = [];
  for (const field of TRACKED) {
    if (!sameValue(before[field], after[field])) {
      changes.push({ field, before: before[field], after: after[field] } as FieldChange);
    }
  }
  return changes;
}

/** History rows for the history fields among `changes`. */
export function historyRows(peerId: bigint, changes: readonly FieldChange[], at: number): HistoryEntry[] {
  const rows: HistoryEntry[] = [];
  for (const change of changes) {
    if (HISTORY.has(change.field)) {
      rows.push({
        peerId,
        field: change.field as HistoryField,
        before: change.before,
        after: change.after,
        at,
      } as HistoryEntry);
    }
  }
  return rows;
}
