/**
 * The peer tables of the in-memory store, packed so that a million peers cost a couple of hundred bytes each (a Map
 * of frozen PeerRecord objects took about a kilobyte). One row per peer id that a peer table refers to (a record,
 * usernames in the index, history). Its columns are typed arrays in chunks of 2^14 rows (id, access hash, photo id,
 * times, flags, where its text is); the text (usernames, names, title, phone, lang code) is one UTF-8 value in a
 * {@link TextArena}; the usernames the index gives the row are, in the common case, just its record's usernames
 * lower-cased (a flag), else a list beside the rows. Ids are found through {@link IdIndex}, lower-cased usernames
 * through {@link NameIndex}; neither keeps a heap object per entry. A record is built on each read (PeerCache keeps
 * the hot ones).
 *
 * Transactions: the first change of a row inside one saves the row (`#saved`); a rollback puts every saved row back
 * and patches the name and phone indexes by the difference, a commit forgets them. Rows left empty are freed, inside
 * a transaction only when it ends.
 *
 * One file, longer than most, on purpose: the columns, the saved rows and the indexes over them share private state
 * that every write must change together.
 */
import { StorageError } from '../../errors.js';
import type { HistoryEntry, HistoryField, PeerRecord, PeerType } from '../types.js';
import { type IdColumn, IdIndex } from './id-index.js';
import { hashName, NameIndex } from './name-index.js';
import { TextArena } from './text-arena.js';

const TYPES: readonly PeerType[] = ['user', 'bot', 'chat', 'channel', 'supergroup'];
const TYPE_INDEX = new Map(TYPES.map((type, i) => [type, i]));
const HISTORY_FIELDS: readonly HistoryField[] = [
  'firstName',
  'lastName',
  'title',
  'usernames',
  'phone',
  'langCode',
];
const HISTORY_INDEX = new Map(HISTORY_FIELDS.map((field, i) => [field, i]));

// Bits of the flags column.
const TYPE_BITS = 0b111;
const MIN = 1 << 3;
const PREMIUM_KNOWN = 1 << 4;
const PREMIUM = 1 << 5;
const VERIFIED_KNOWN = 1 << 6;
const VERIFIED = 1 << 7;
const DELETED = 1 << 8;
const HAS_HASH = 1 << 9;
const HAS_PHOTO = 1 << 10;
const HAS_LANG_SEEN = 1 << 11;
/** The row holds a peer record (else only usernames or history refer to its id). */
const RECORD = 1 << 12;
/** The row owns names in the username index. */
const OWNS_NAMES = 1 << 13;
/** ... and they are its record's usernames, lower-cased (else they are in `#ownedApart`). */
const OWNS_RECORD_NAMES = 1 << 14;
/** The record has a phone (so the phone index has an entry to drop when it changes). */
const HAS_PHONE = 1 << 15;
const RECORD_BITS = 0xffff & ~(OWNS_NAMES | OWNS_RECORD_NAMES);

/** Times per row in the times column: firstSeen, lastSeen, lastUpdated, langCodeSeenAt. */
const TIMES = 4;
/**
 * Rows per chunk of the typed columns. Columns grow a chunk at a time and are never copied: growing one big array
 * by copying leaves the old ones behind in the allocator's free lists, which doubled the resident memory.
 */
const CHUNK_BITS = 14;
const IN_CHUNK = (1 << CHUNK_BITS) - 1;
/** Text is compacted once this much of the arena is garbage, and more than is live. */
const COMPACT_AFTER_BYTES = 8 << 20;

/** Separates the usernames from the other fields, and those fields from each other, in a record's text. */
const FIELD_SEP = '\u0000';
/** Separates usernames. */
const NAME_SEP = '\u0001';
/** Put before a text field that is not null ('' is null). */
const PRESENT = '=';

/** The typed columns of 2^14 rows. */
class Chunk {
  readonly ids = new BigInt64Array(IN_CHUNK + 1);
  /** The ids as little-endian 32-bit halves, for the id index. */
  readonly halves = new Int32Array(this.ids.buffer);
  readonly hashes = new BigInt64Array(IN_CHUNK + 1);
  readonly photos = new BigInt64Array(IN_CHUNK + 1);
  readonly times = new Float64Array((IN_CHUNK + 1) * TIMES);
  readonly flags = new Uint16Array(IN_CHUNK + 1);
  /** Where the record's text is in the arena, and its byte length. */
  readonly textAt = new Uint32Array(IN_CHUNK + 1);
  readonly textLength = new Uint16Array(IN_CHUNK + 1);
}

/** A row as it was before a transaction changed it; null: the row was made in the transaction. */
interface SavedRow {
  readonly flags: number;
  readonly hash: bigint;
  readonly photo: bigint;
  readonly times: readonly number[];
  readonly textAt: number;
  readonly textLength: number;
  readonly ownedApart: readonly string[] | undefined;
  readonly history: unknown[] | undefined;
  readonly historyLength: number;
}

const lower = (name: string): string => name.toLowerCase();

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function field(record: PeerRecord, value: string | null): string {
  if (value === null) return '';
  if (value.includes(FIELD_SEP)) refuse(record, 'a text with U+0000');
  return PRESENT + value;
}

/** A record's text: usernames, then the five nullable text fields. Throws for a value it cannot hold. */
function packText(record: PeerRecord): string {
  for (const name of record.usernames) {
    if (name.length === 0 || name.includes(FIELD_SEP) || name.includes(NAME_SEP))
      refuse(record, 'a username');
  }
  return [
    record.usernames.join(NAME_SEP),
    field(record, record.firstName),
    field(record, record.lastName),
    field(record, record.title),
    field(record, record.phone),
    field(record, record.langCode),
  ].join(FIELD_SEP);
}

function frozenCopy(value: unknown): unknown {
  return Array.isArray(value) ? Object.freeze([...value]) : value;
}

function refuse(record: PeerRecord, what: string): never {
  throw new StorageError(
    'STORAGE_RECORD_REJECTED',
    `The memory storage cannot hold ${what} of peer ${record.id}`,
    {
      kind: 'record',
    },
  );
}

export class PeerRows implements IdColumn {
  /** Rows ever allocated; freed ones are in #free. */
  #next = 0;
  #free: number[] = [];
  readonly #chunks: Chunk[] = [];
  readonly #text = new TextArena();
  /** Names the index gives a row when they are not its record's usernames. */
  readonly #ownedApart = new Map<number, readonly string[]>();
  /** History per row, four values per entry: field index, before, after, at. */
  readonly #history = new Map<number, unknown[]>();
  /** Phone → rows of the records holding it (few bots see phones: a Map is small enough). */
  readonly #phones = new Map<string, Set<number>>();
  readonly #ids = new IdIndex(this);
  readonly #names = new NameIndex((row, name) => this.#owns(row, name));
  #records = 0;
  #sortedIds: BigInt64Array | null = null;
  /** Rows changed in the open transaction and how they were; null outside a transaction. */
  #saved: Map<number, SavedRow | null> | null = null;
  readonly #compactAfterBytes: number;

  /** `compactAfterBytes`: garbage text that triggers a compaction (when it is also more than the live text). */
  constructor(options: { compactAfterBytes?: number } = {}) {
    this.#compactAfterBytes = options.compactAfterBytes ?? COMPACT_AFTER_BYTES;
  }

  /** Peers with a record. */
  get records(): number {
    return this.#records;
  }

  /** Bytes of text in use and left behind by changed or dropped records (until the next compaction). */
  get textBytes(): { readonly live: number; readonly garbage: number } {
    return { live: this.#text.live, garbage: this.#text.garbage };
  }

  // --- transactions -------------------------------------------------------------------------------------------

  begin(): void {
    this.#saved = new Map();
  }

  commit(): void {
    const saved = this.#saved;
    this.#saved = null;
    for (const row of saved?.keys() ?? []) this.#releaseIfEmpty(row);
    this.#maybeCompact();
  }

  rollback(): void {
    const saved = this.#saved;
    this.#saved = null;
    if (saved === null) return;
    for (const [row, was] of saved) {
      const after = this.owned(row);
      const phoneAfter = this.phoneOf(row);
      this.#restore(row, was);
      const before = this.owned(row);
      for (const name of after) if (!before.includes(name)) this.#names.remove(hashName(name), row);
      for (const name of before) if (!after.includes(name)) this.#names.insert(hashName(name), row);
      const phoneBefore = this.phoneOf(row);
      if (phoneAfter !== phoneBefore) {
        if (phoneAfter !== null) this.#unindexPhone(phoneAfter, row);
        if (phoneBefore !== null) this.#indexPhone(phoneBefore, row);
      }
    }
    for (const row of saved.keys()) this.#releaseIfEmpty(row);
    this.#sortedIds = null;
  }

  /** Ends a write made outside a transaction. */
  settle(): void {
    if (this.#saved === null) this.#maybeCompact();
  }

  // --- rows ---------------------------------------------------------------------------------------------------

  /** The row of `id`, or -1. */
  find(id: bigint): number {
    return this.#ids.find(id);
  }

  idOf(row: number): bigint {
    return this.#chunk(row).ids[row & IN_CHUNK] as bigint;
  }

  lo(row: number): number {
    return this.#chunk(row).halves[2 * (row & IN_CHUNK)] as number;
  }

  hi(row: number): number {
    return this.#chunk(row).halves[2 * (row & IN_CHUNK) + 1] as number;
  }

  #chunk(row: number): Chunk {
    return this.#chunks[row >>> CHUNK_BITS] as Chunk;
  }

  #flags(row: number): number {
    return this.#chunk(row).flags[row & IN_CHUNK] as number;
  }

  #setFlags(row: number, flags: number): void {
    this.#chunk(row).flags[row & IN_CHUNK] = flags;
  }

  #hasRecord(row: number): boolean {
    return (this.#flags(row) & RECORD) !== 0;
  }

  /** The row of `id`, made if there is none; either way saved for a rollback before the caller changes it. */
  #touch(id: bigint): number {
    let row = this.#ids.find(id);
    if (row < 0) {
      row = this.#allocate(id);
      this.#saved?.set(row, null);
    } else this.#save(row);
    return row;
  }

  #save(row: number): void {
    const saved = this.#saved;
    if (saved === null || saved.has(row)) return;
    const c = this.#chunk(row);
    const i = row & IN_CHUNK;
    const history = this.#history.get(row);
    saved.set(row, {
      flags: c.flags[i] as number,
      hash: c.hashes[i] as bigint,
      photo: c.photos[i] as bigint,
      times: [
        c.times[i * TIMES] as number,
        c.times[i * TIMES + 1] as number,
        c.times[i * TIMES + 2] as number,
        c.times[i * TIMES + 3] as number,
      ],
      textAt: c.textAt[i] as number,
      textLength: c.textLength[i] as number,
      ownedApart: this.#ownedApart.get(row),
      history,
      historyLength: history?.length ?? 0,
    });
  }

  #restore(row: number, was: SavedRow | null): void {
    const c = this.#chunk(row);
    const i = row & IN_CHUNK;
    const hadRecord = was !== null && (was.flags & RECORD) !== 0;
    const hasRecord = ((c.flags[i] as number) & RECORD) !== 0;
    this.#records += (hadRecord ? 1 : 0) - (hasRecord ? 1 : 0);
    const textNow = hasRecord ? (c.textAt[i] as number) : -1;
    const textBefore = hadRecord ? (was?.textAt ?? -1) : -1;
    if (textNow !== textBefore) {
      if (textNow >= 0) this.#text.release(c.textLength[i] as number);
      if (textBefore >= 0) this.#text.revive(was?.textLength ?? 0);
    }
    if (was === null) {
      this.#clear(row);
      c.flags[i] = 0;
      this.#ownedApart.delete(row);
      this.#history.delete(row);
      return;
    }
    c.flags[i] = was.flags;
    c.hashes[i] = was.hash;
    c.photos[i] = was.photo;
    c.times.set(was.times, i * TIMES);
    c.textAt[i] = was.textAt;
    c.textLength[i] = was.textLength;
    if (was.ownedApart === undefined) this.#ownedApart.delete(row);
    else this.#ownedApart.set(row, was.ownedApart);
    if (was.history === undefined) this.#history.delete(row);
    else {
      was.history.length = was.historyLength;
      this.#history.set(row, was.history);
    }
  }

  #allocate(id: bigint): number {
    let row = this.#free.pop();
    if (row === undefined) {
      row = this.#next++;
      if (row >>> CHUNK_BITS === this.#chunks.length) this.#chunks.push(new Chunk());
    }
    this.#chunk(row).ids[row & IN_CHUNK] = id;
    this.#ids.insert(row);
    return row;
  }

  /** Frees a row nothing refers to any more (at the end of the transaction when one is open). */
  #releaseIfEmpty(row: number): void {
    if (this.#saved !== null) return; // checked again when the transaction ends
    if (
      (this.#flags(row) & (RECORD | OWNS_NAMES)) !== 0 ||
      this.#history.has(row) ||
      this.#ids.find(this.idOf(row)) !== row
    )
      return;
    this.#ids.remove(row);
    this.#chunk(row).ids[row & IN_CHUNK] = 0n;
    this.#free.push(row);
  }

  /** Empties the record columns of a row (not its flags). */
  #clear(row: number): void {
    const c = this.#chunk(row);
    const i = row & IN_CHUNK;
    c.hashes[i] = 0n;
    c.photos[i] = 0n;
    c.times.fill(0, i * TIMES, i * TIMES + TIMES);
    c.textAt[i] = 0;
    c.textLength[i] = 0;
  }

  #maybeCompact(): void {
    const text = this.#text;
    if (text.garbage < this.#compactAfterBytes || text.garbage < text.live) return;
    text.compact((move) => {
      for (let row = 0; row < this.#next; row++) {
        if (!this.#hasRecord(row)) continue;
        const c = this.#chunk(row);
        const i = row & IN_CHUNK;
        c.textAt[i] = move(c.textAt[i] as number, c.textLength[i] as number);
      }
    });
  }

  // --- peer records -------------------------------------------------------------------------------------------

  /** The decoded text of a row with a record: usernames, then the five text fields. */
  #textOf(row: number): string {
    const c = this.#chunk(row);
    const i = row & IN_CHUNK;
    return this.#text.read(c.textAt[i] as number, c.textLength[i] as number);
  }

  #usernamesOf(row: number): string[] {
    const text = this.#textOf(row);
    const end = text.indexOf(FIELD_SEP);
    return end === 0 ? [] : text.slice(0, end).split(NAME_SEP);
  }

  /** The record of a row, or undefined when the row has none. */
  record(row: number): PeerRecord | undefined {
    if (row < 0) return undefined;
    const c = this.#chunk(row);
    const i = row & IN_CHUNK;
    const flags = c.flags[i] as number;
    if ((flags & RECORD) === 0) return undefined;
    const [names = '', ...fields] = this.#textOf(row).split(FIELD_SEP);
    const [firstName, lastName, title, phone, langCode] = fields.map((f) => (f === '' ? null : f.slice(1)));
    const t = i * TIMES;
    const times = c.times;
    return Object.freeze({
      id: c.ids[i] as bigint,
      type: TYPES[flags & TYPE_BITS] as PeerType,
      accessHash: flags & HAS_HASH ? (c.hashes[i] as bigint) : null,
      min: (flags & MIN) !== 0,
      usernames: Object.freeze(names === '' ? [] : names.split(NAME_SEP)),
      firstName: firstName ?? null,
      lastName: lastName ?? null,
      title: title ?? null,
      phone: phone ?? null,
      langCode: langCode ?? null,
      langCodeSeenAt: flags & HAS_LANG_SEEN ? (times[t + 3] as number) : null,
      premium: flags & PREMIUM_KNOWN ? (flags & PREMIUM) !== 0 : null,
      verified: flags & VERIFIED_KNOWN ? (flags & VERIFIED) !== 0 : null,
      deleted: (flags & DELETED) !== 0,
      photoId: flags & HAS_PHOTO ? (c.photos[i] as bigint) : null,
      firstSeen: times[t] as number,
      lastSeen: times[t + 1] as number,
      lastUpdated: times[t + 2] as number,
    });
  }

  /** The record of an id, or undefined. */
  get(id: bigint): PeerRecord | undefined {
    const row = this.#ids.find(id);
    return row < 0 ? undefined : this.record(row);
  }

  /** Whether the row's record is of the same kind (min or full) as `record` and was seen or changed after it. */
  #isNewer(row: number, record: PeerRecord): boolean {
    const c = this.#chunk(row);
    const i = row & IN_CHUNK;
    const flags = c.flags[i] as number;
    const t = i * TIMES;
    return (
      (flags & RECORD) !== 0 &&
      (flags & MIN) === (record.min ? MIN : 0) &&
      (record.lastSeen < (c.times[t + 1] as number) || record.lastUpdated < (c.times[t + 2] as number))
    );
  }

  /** The newest holder of a phone (digits), or undefined. */
  findPhone(phone: string): bigint | undefined {
    let best = -1;
    for (const row of this.#phones.get(phone) ?? []) {
      if (best < 0 || this.#lastUpdated(row) > this.#lastUpdated(best)) best = row;
    }
    return best < 0 ? undefined : this.idOf(best);
  }

  #indexPhone(phone: string, row: number): void {
    const holders = this.#phones.get(phone);
    if (holders === undefined) this.#phones.set(phone, new Set([row]));
    else holders.add(row);
  }

  #unindexPhone(phone: string, row: number): void {
    const holders = this.#phones.get(phone);
    holders?.delete(row);
    if (holders?.size === 0) this.#phones.delete(phone);
  }

  /** The phone of the record of a row, or null. */
  phoneOf(row: number): string | null {
    return row >= 0 && (this.#flags(row) & HAS_PHONE) !== 0 ? (this.record(row)?.phone ?? null) : null;
  }

  /** When the record of a row last changed (for the newest holder of a phone), or -Infinity without a record. */
  #lastUpdated(row: number): number {
    return this.#hasRecord(row)
      ? (this.#chunk(row).times[(row & IN_CHUNK) * TIMES + 2] as number)
      : Number.NEGATIVE_INFINITY;
  }

  /**
   * Stores a whole record (a copy: the caller may reuse its object), unless the stored one of the same kind (min or
   * full) was seen or changed after it (see PeerRepository.upsertMany).
   */
  upsert(record: PeerRecord): void {
    const packed = packText(record);
    const row = this.#touch(record.id);
    if (this.#isNewer(row, record)) return;
    const oldPhone = this.phoneOf(row);
    if (oldPhone !== record.phone) {
      if (oldPhone !== null) this.#unindexPhone(oldPhone, row);
      if (record.phone !== null) this.#indexPhone(record.phone, row);
    }
    const c = this.#chunk(row);
    const i = row & IN_CHUNK;
    const old = c.flags[i] as number;
    const had = (old & RECORD) !== 0;
    const oldAt = c.textAt[i] as number;
    const oldLength = c.textLength[i] as number;
    const text = had
      ? this.#text.write(packed, oldAt, oldLength, `the text of peer ${record.id}`)
      : this.#text.write(packed, 0, -1, `the text of peer ${record.id}`);
    let owned = old & (OWNS_NAMES | OWNS_RECORD_NAMES);
    if (had && text.at !== oldAt) {
      this.#text.release(oldLength);
      // The index's names were the old usernames: keep them apart if the record's change.
      if (owned & OWNS_RECORD_NAMES) {
        const names = this.#usernamesOf(row).map(lower);
        if (!sameList(names, record.usernames.map(lower))) {
          this.#ownedApart.set(row, Object.freeze(names));
          owned = OWNS_NAMES;
        }
      }
    }
    if (!had) {
      this.#records++;
      this.#sortedIds = null;
    }
    let flags = RECORD | owned | (TYPE_INDEX.get(record.type) ?? 0);
    if (record.min) flags |= MIN;
    if (record.premium !== null) flags |= record.premium ? PREMIUM_KNOWN | PREMIUM : PREMIUM_KNOWN;
    if (record.verified !== null) flags |= record.verified ? VERIFIED_KNOWN | VERIFIED : VERIFIED_KNOWN;
    if (record.deleted) flags |= DELETED;
    if (record.accessHash !== null) flags |= HAS_HASH;
    if (record.photoId !== null) flags |= HAS_PHOTO;
    if (record.langCodeSeenAt !== null) flags |= HAS_LANG_SEEN;
    if (record.phone !== null) flags |= HAS_PHONE;
    c.flags[i] = flags;
    c.hashes[i] = record.accessHash ?? 0n;
    c.photos[i] = record.photoId ?? 0n;
    const t = i * TIMES;
    c.times[t] = record.firstSeen;
    c.times[t + 1] = record.lastSeen;
    c.times[t + 2] = record.lastUpdated;
    c.times[t + 3] = record.langCodeSeenAt ?? 0;
    c.textAt[i] = text.at;
    c.textLength[i] = text.length;
    this.#joinOwnedToRecord(row);
  }

  /** Drops the record of an id; false if there was none. */
  drop(id: bigint): boolean {
    const row = this.#ids.find(id);
    if (row < 0 || !this.#hasRecord(row)) return false;
    this.#save(row);
    const phone = this.phoneOf(row);
    if (phone !== null) this.#unindexPhone(phone, row);
    let flags = this.#flags(row);
    if (flags & OWNS_RECORD_NAMES) {
      this.#ownedApart.set(row, Object.freeze(this.#usernamesOf(row).map(lower)));
      flags &= ~OWNS_RECORD_NAMES;
    }
    this.#text.release(this.#chunk(row).textLength[row & IN_CHUNK] as number);
    this.#clear(row);
    this.#setFlags(row, flags & ~RECORD_BITS);
    this.#records--;
    this.#sortedIds = null;
    this.#releaseIfEmpty(row);
    return true;
  }

  /** Ids of every record, ascending (kept until the set of ids changes). */
  sortedIds(): BigInt64Array {
    if (this.#sortedIds === null) {
      const ids = new BigInt64Array(this.#records);
      let n = 0;
      for (let row = 0; row < this.#next; row++) if (this.#hasRecord(row)) ids[n++] = this.idOf(row);
      this.#sortedIds = ids.sort();
    }
    return this.#sortedIds;
  }

  // --- the username index -------------------------------------------------------------------------------------

  /** Lower-cased names the index gives the peer of a row. */
  owned(row: number): readonly string[] {
    const flags = this.#flags(row);
    if ((flags & OWNS_NAMES) === 0) return [];
    if (flags & OWNS_RECORD_NAMES) return this.#usernamesOf(row).map(lower);
    return this.#ownedApart.get(row) ?? [];
  }

  /** Whether a row owns a lower-cased name in the index. */
  #owns(row: number, name: string): boolean {
    const flags = this.#flags(row);
    if ((flags & OWNS_NAMES) === 0) return false;
    if ((flags & OWNS_RECORD_NAMES) === 0) return this.#ownedApart.get(row)?.includes(name) ?? false;
    const found = this.#matchRecordNames(row, (_k, username) => username === name);
    return found === null ? this.owned(row).includes(name) : found > 0;
  }

  /** Whether the record's usernames, lower-cased, are `names` in that order. */
  #recordNamesAre(row: number, names: readonly string[]): boolean {
    let seen = 0;
    const found = this.#matchRecordNames(row, (k, username) => {
      seen = k + 1;
      return username !== names[k];
    });
    if (found === null) return sameList(this.#usernamesOf(row).map(lower), names);
    return found === 0 && seen === names.length;
  }

  /**
   * Walks the record's usernames in the arena without decoding them (ASCII, letters lower-cased), calling `stop(k,
   * name)` for the k-th until it answers true: answers how many were walked when it stopped (k + 1), 0 when it
   * never did, null when a name is not ASCII (then the caller decodes).
   */
  #matchRecordNames(row: number, stop: (k: number, username: string) => boolean): number | null {
    const c = this.#chunk(row);
    const i = row & IN_CHUNK;
    const { chunk, offset } = this.#text.bytes(c.textAt[i] as number);
    const end = offset + (c.textLength[i] as number);
    let p = offset;
    if (p >= end || chunk[p] === 0) return 0;
    for (let k = 0; ; k++) {
      const from = p;
      while (p < end) {
        const b = chunk[p] as number;
        if (b === 0 || b === 1) break;
        if (b >= 0x80) return null;
        p++;
      }
      if (stop(k, chunk.toString('latin1', from, p).toLowerCase())) return k + 1;
      if (p >= end || chunk[p] === 0) return 0;
      p++;
    }
  }

  /** The row owning a lower-cased name, or -1. */
  findName(name: string): number {
    return this.#names.find(name);
  }

  /** Row of an id for the username index, made if needed. */
  rowFor(id: bigint): number {
    return this.#touch(id);
  }

  /** Makes a row own exactly `names` (lower-cased, distinct) in the index, taking none from another row. */
  setOwned(row: number, names: readonly string[]): void {
    this.#save(row);
    const before = this.owned(row);
    for (const name of before) if (!names.includes(name)) this.#names.remove(hashName(name), row);
    for (const name of names) if (!before.includes(name)) this.#names.insert(hashName(name), row);
    const flags = this.#flags(row) & ~(OWNS_NAMES | OWNS_RECORD_NAMES);
    if (names.length === 0) {
      this.#setFlags(row, flags);
      this.#ownedApart.delete(row);
      this.#releaseIfEmpty(row);
      return;
    }
    if ((flags & RECORD) !== 0 && this.#recordNamesAre(row, names)) {
      this.#setFlags(row, flags | OWNS_NAMES | OWNS_RECORD_NAMES);
      this.#ownedApart.delete(row);
      return;
    }
    this.#setFlags(row, flags | OWNS_NAMES);
    this.#ownedApart.set(row, Object.freeze([...names]));
  }

  /** Keeps no list apart when the index's names for a row are its record's usernames, lower-cased. */
  #joinOwnedToRecord(row: number): void {
    const flags = this.#flags(row);
    if ((flags & (RECORD | OWNS_NAMES | OWNS_RECORD_NAMES)) !== (RECORD | OWNS_NAMES)) return;
    const apart = this.#ownedApart.get(row);
    if (apart === undefined || !this.#recordNamesAre(row, apart)) return;
    this.#ownedApart.delete(row);
    this.#setFlags(row, flags | OWNS_RECORD_NAMES);
  }

  // --- history ------------------------------------------------------------------------------------------------

  appendHistory(entry: HistoryEntry): void {
    const row = this.#touch(entry.peerId);
    let rows = this.#history.get(row);
    if (rows === undefined) {
      rows = [];
      this.#history.set(row, rows);
    }
    rows.push(HISTORY_INDEX.get(entry.field), frozenCopy(entry.before), frozenCopy(entry.after), entry.at);
  }

  history(id: bigint): HistoryEntry[] {
    const row = this.#ids.find(id);
    const rows = row < 0 ? undefined : this.#history.get(row);
    const out: HistoryEntry[] = [];
    if (rows === undefined) return out;
    for (let i = 0; i < rows.length; i += 4) {
      out.push(
        Object.freeze({
          peerId: id,
          field: HISTORY_FIELDS[rows[i] as number],
          before: rows[i + 1],
          after: rows[i + 2],
          at: rows[i + 3],
        }) as HistoryEntry,
      );
    }
    return out;
  }

  dropHistory(id: bigint): void {
    const row = this.#ids.find(id);
    if (row < 0 || !this.#history.has(row)) return;
    this.#save(row);
    this.#history.delete(row);
    this.#releaseIfEmpty(row);
  }
}
