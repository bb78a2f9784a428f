/**
 * Packed rows (storage/packed-peers.ts) as they cross from the reader thread to the main thread: every text of a
 * group in one string (64-bit integers as their decimal text), their lengths (-1: null), the numbers (NaN: null) and
 * the access hashes in typed arrays whose memory moves rather than being copied. Structured cloning an array of
 * values costs per value on both threads, about as much as the reading itself on the reader's side; one string and a
 * few buffers cost a copy of their bytes. A peer's type, one of five, is a number (its place in {@link TYPES})
 * rather than a text, and so is an id that is a safe integer; an access hash is a 64-bit integer: the main thread
 * binds them as they are, no text to convert to UTF-8, copy and parse again. Each row also carries the hash of its
 * lookup username (`nameHash`), which the bulk load would otherwise compute on the main thread.
 *
 * The reader writes its rows in this form from the start ({@link RowWriter}), without an array of values in between;
 * only the main thread builds the values, once, to bind them.
 */
import { nameHash, PACKED_WIDTH, type PackedPeers, unpack } from '../storage/packed-peers.js';
import type { PeerRecord, PeerType } from '../storage/types.js';

/** The peer types, by the number a packed row's type crosses as. */
const TYPES: readonly PeerType[] = ['user', 'bot', 'chat', 'channel', 'supergroup'];

/** The number of a peer type (its place in TYPES). */
export const typeCode = (type: string): number =>
  type === 'user' ? 0 : type === 'bot' ? 1 : type === 'chat' ? 2 : type === 'channel' ? 3 : 4;

/**
 * Per row, the numbers: id (NaN: not a safe integer, it is among the texts), type, min, langCodeSeenAt, premium,
 * verified, deleted, firstSeen, lastSeen, lastUpdated (NaN: null);
 */
export const NUMBERS = 10;
/**
 * and the texts: id (-1 when it is among the numbers), accessHash (-2 when it is in `accessHashes`), usernames,
 * firstName, lastName, title, phone, langCode, photoId, the lookup username (-1: null).
 */
export const TEXTS = 10;

/** The id as a number when it has at most 15 digits (a safe integer), else NaN: `id` is canonical decimal text. */
export function safeIdOf(id: string): number {
  const from = id.charCodeAt(0) === 0x2d ? 1 : 0;
  if (id.length - from > 15) return Number.NaN;
  let value = 0;
  for (let i = from; i < id.length; i++) value = value * 10 + (id.charCodeAt(i) - 0x30);
  return from === 1 ? -value : value;
}

export interface EncodedRows {
  readonly text: string;
  /** At least `count` × TEXTS lengths (any after those are not rows). */
  readonly lengths: Int32Array;
  /** At least `count` × NUMBERS numbers. */
  readonly numbers: Float64Array;
  /** At least `count` hashes: each row's lookup username's `nameHash` (storage/packed-peers.ts), 0 without one. */
  readonly hashes: Int32Array;
  /**
   * At least `count` access hashes, where a row's text of it says so (-2): bound as a 64-bit integer, with no text
   * to convert, copy and parse on the writing thread.
   */
  readonly accessHashes: BigInt64Array;
  readonly count: number;
  readonly firstId: bigint;
  readonly lastId: bigint;
}

/**
 * Rows written straight into their crossing form. A row is written as its texts (`lengths`/`parts`, in column order)
 * and its numbers (`numbers`): {@link packCanonicalLine} writes them itself through the public fields, after
 * {@link room}; {@link record} writes a record's.
 */
export class RowWriter {
  parts: string[] = [];
  lengths: Int32Array;
  numbers: Float64Array;
  hashes: Int32Array;
  accessHashes: BigInt64Array;
  /** Next free place in `lengths` and `numbers`. */
  t = 0;
  n = 0;
  count = 0;

  /** `room`: rows it has room for at first (it doubles when full). */
  constructor(room = 1024) {
    this.lengths = new Int32Array(room * TEXTS);
    this.numbers = new Float64Array(room * NUMBERS);
    this.hashes = new Int32Array(room);
    this.accessHashes = new BigInt64Array(room);
  }

  /** Makes room for one more row. */
  room(): void {
    if (this.t + TEXTS <= this.lengths.length) return;
    this.lengths = doubled(this.lengths);
    this.numbers = doubled(this.numbers);
    this.hashes = doubled(this.hashes);
    this.accessHashes = doubled(this.accessHashes);
  }

  /** Takes the last row back out. */
  undo(): void {
    this.t -= TEXTS;
    this.n -= NUMBERS;
    this.count -= 1;
    let texts = 0;
    for (let i = this.t; i < this.t + TEXTS; i++) if ((this.lengths[i] as number) >= 0) texts += 1;
    this.parts.length -= texts;
  }

  /** Appends a whole record as a row (as packRecord packs it). */
  record(r: PeerRecord): void {
    this.room();
    const names = r.usernames;
    const id = Number(r.id);
    const safe = Number.isSafeInteger(id);
    this.text(safe ? null : String(r.id));
    this.accessHash(r.accessHash);
    this.text(names.join(' '));
    this.text(r.firstName);
    this.text(r.lastName);
    this.text(r.title);
    this.text(r.phone);
    this.text(r.langCode);
    this.text(r.photoId === null ? null : String(r.photoId));
    const first = names.length > 0 ? (names[0] as string).toLowerCase() : null;
    this.text(first);
    this.hashes[this.count] = first === null ? 0 : nameHash(first);
    const numbers = this.numbers;
    let n = this.n;
    numbers[n++] = safe ? id : Number.NaN;
    numbers[n++] = typeCode(r.type);
    numbers[n++] = r.min ? 1 : 0;
    numbers[n++] = r.langCodeSeenAt ?? Number.NaN;
    numbers[n++] = r.premium === null ? Number.NaN : r.premium ? 1 : 0;
    numbers[n++] = r.verified === null ? Number.NaN : r.verified ? 1 : 0;
    numbers[n++] = r.deleted ? 1 : 0;
    numbers[n++] = r.firstSeen;
    numbers[n++] = r.lastSeen;
    numbers[n++] = r.lastUpdated;
    this.n = n;
    this.count += 1;
  }

  /** Appends a row's access hash, in `accessHashes` (its text's length says so: -2); null or undefined: none. */
  accessHash(value: bigint | null | undefined): void {
    if (value === null || value === undefined) this.lengths[this.t++] = -1;
    else {
      this.accessHashes[this.count] = value;
      this.lengths[this.t++] = -2;
    }
  }

  /** Appends a row's next text (null or undefined: none). */
  text(value: string | null | undefined): void {
    if (value === null || value === undefined) this.lengths[this.t++] = -1;
    else {
      this.parts.push(value);
      this.lengths[this.t++] = value.length;
    }
  }

  /** The rows written so far (the writer starts again empty). */
  take(firstId: bigint, lastId: bigint): EncodedRows {
    const rows = {
      text: this.parts.join(''),
      lengths: this.lengths,
      numbers: this.numbers,
      hashes: this.hashes,
      accessHashes: this.accessHashes,
      count: this.count,
      firstId,
      lastId,
    };
    this.parts = [];
    this.lengths = new Int32Array(this.lengths.length);
    this.numbers = new Float64Array(this.numbers.length);
    this.hashes = new Int32Array(this.hashes.length);
    this.accessHashes = new BigInt64Array(this.accessHashes.length);
    this.t = 0;
    this.n = 0;
    this.count = 0;
    return rows;
  }
}

/**
 * A group of packed rows in their crossing form: the reader thread posts `rows` as they are; on the main thread
 * (the reader on the same thread as the writer) `values` decodes them once, when first asked.
 */
export class EncodedGroup implements PackedPeers {
  #values: unknown[] | undefined;
  readonly count: number;
  readonly nameHashes: Int32Array;
  readonly firstId: bigint;
  readonly lastId: bigint;

  constructor(readonly rows: EncodedRows) {
    this.count = rows.count;
    this.nameHashes = rows.hashes;
    this.firstId = rows.firstId;
    this.lastId = rows.lastId;
  }

  get values(): readonly unknown[] {
    this.#values ??= decodeRows(this.rows).values as unknown[];
    return this.#values;
  }
}

/** Packed rows in their crossing form (for groups packed as values by anything else than a {@link RowWriter}). */
export function encodeRows(group: PackedPeers): EncodedRows {
  const writer = new RowWriter();
  for (const record of unpack(group)) writer.record(record);
  return writer.take(group.firstId, group.lastId);
}

const numberOrNull = (n: number): number | null => (Number.isNaN(n) ? null : n);

/** The packed rows of their crossing form. */
export function decodeRows(rows: EncodedRows): PackedPeers {
  const { text, lengths, numbers, accessHashes, count } = rows;
  const values: unknown[] = new Array(count * PACKED_WIDTH);
  let t = 0;
  let n = 0;
  let pos = 0;
  const next = (): string | null => {
    const length = lengths[t++] as number;
    if (length < 0) return null;
    const value = text.slice(pos, pos + length);
    pos += length;
    return value;
  };
  for (let at = 0, row = 0; at < values.length; at += PACKED_WIDTH, row++) {
    const id = numbers[n] as number;
    const idText = next();
    values[at] = Number.isNaN(id) ? idText : id;
    values[at + 1] = TYPES[numbers[n + 1] as number];
    if (lengths[t] === -2) {
      values[at + 2] = accessHashes[row];
      t++;
    } else values[at + 2] = next();
    values[at + 3] = numbers[n + 2];
    values[at + 4] = next();
    values[at + 5] = next();
    values[at + 6] = next();
    values[at + 7] = next();
    values[at + 8] = next();
    values[at + 9] = next();
    values[at + 10] = numberOrNull(numbers[n + 3] as number);
    values[at + 11] = numberOrNull(numbers[n + 4] as number);
    values[at + 12] = numberOrNull(numbers[n + 5] as number);
    values[at + 13] = numbers[n + 6];
    values[at + 14] = next();
    values[at + 15] = numbers[n + 7];
    values[at + 16] = numbers[n + 8];
    values[at + 17] = numbers[n + 9];
    values[at + 18] = next();
    n += NUMBERS;
  }
  return { values, count, nameHashes: rows.hashes, firstId: rows.firstId, lastId: rows.lastId };
}

/** A typed array twice as long holding `a`'s values first. */
function doubled<T extends Int32Array | Float64Array | BigInt64Array>(a: T): T {
  const b = new (a.constructor as new (length: number) => T)(a.length * 2);
  b.set(a as never);
  return b;
}
