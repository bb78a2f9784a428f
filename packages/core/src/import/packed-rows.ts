/**
 * Packed rows (storage/packed-peers.ts) as they cross from the reader thread to the main thread: every text of a
 * group in one string (64-bit integers as their decimal text), their lengths (-1: null) and the numbers (NaN: null)
 * in two typed arrays whose memory moves rather than being copied. Structured cloning an array of values costs per
 * value on both threads, about as much as the reading itself on the reader's side; one string and two buffers cost a
 * copy of their bytes. A peer's type, one of five, is a number (its place in {@link TYPES}) rather than a text.
 *
 * The reader writes its rows in this form from the start ({@link RowWriter}), without an array of values in between;
 * only the main thread builds the values, once, to bind them.
 */
import { PACKED_WIDTH, type PackedPeers } from '../storage/packed-peers.js';
import type { PeerRecord, PeerType } from '../storage/types.js';

/** The peer types, by the number a packed row's type crosses as. */
const TYPES: readonly PeerType[] = ['user', 'bot', 'chat', 'channel', 'supergroup'];

/** The number of a peer type (its place in TYPES). */
export const typeCode = (type: string): number => TYPES.indexOf(type as PeerType);

/** Which values of a packed row cross as numbers (or null); the others as texts (64-bit integers too) or null. */
const IS_NUMBER: readonly boolean[] = Array.from({ length: PACKED_WIDTH }, (_, i) =>
  [1, 3, 10, 11, 12, 13, 15, 16, 17].includes(i),
);
/** Numbers and texts per row. */
export const NUMBERS: number = IS_NUMBER.filter(Boolean).length;
export const TEXTS: number = PACKED_WIDTH - NUMBERS;

export interface EncodedRows {
  readonly text: string;
  /** At least `count` × TEXTS lengths (any after those are not rows). */
  readonly lengths: Int32Array;
  /** At least `count` × NUMBERS numbers. */
  readonly numbers: Float64Array;
  readonly count: number;
  readonly firstId: bigint;
  readonly lastId: bigint;
}

/** Rows a writer has room for at first; it doubles when full. */
const FIRST_ROOM = 4096;

/**
 * Rows written straight into their crossing form. A row is written as its texts (`lengths`/`parts`, in column order)
 * and its numbers (`numbers`): {@link packCanonicalLine} writes them itself through the public fields, after
 * {@link room}; {@link record} writes a record's.
 */
export class RowWriter {
  parts: string[] = [];
  lengths: Int32Array = new Int32Array(FIRST_ROOM * TEXTS);
  numbers: Float64Array = new Float64Array(FIRST_ROOM * NUMBERS);
  /** Next free place in `lengths` and `numbers`. */
  t = 0;
  n = 0;
  count = 0;

  /** Makes room for one more row. */
  room(): void {
    if (this.t + TEXTS <= this.lengths.length) return;
    const lengths = new Int32Array(this.lengths.length * 2);
    lengths.set(this.lengths);
    this.lengths = lengths;
    const numbers = new Float64Array(this.numbers.length * 2);
    numbers.set(this.numbers);
    this.numbers = numbers;
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
    this.#text(String(r.id));
    this.#text(r.accessHash === null ? null : String(r.accessHash));
    this.#text(names.join(' '));
    this.#text(r.firstName);
    this.#text(r.lastName);
    this.#text(r.title);
    this.#text(r.phone);
    this.#text(r.langCode);
    this.#text(r.photoId === null ? null : String(r.photoId));
    this.#text(names.length > 0 ? (names[0] as string).toLowerCase() : null);
    const numbers = this.numbers;
    let n = this.n;
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

  #text(value: string | null): void {
    if (value === null) this.lengths[this.t++] = -1;
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
      count: this.count,
      firstId,
      lastId,
    };
    this.parts = [];
    this.lengths = new Int32Array(this.lengths.length);
    this.numbers = new Float64Array(this.numbers.length);
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
  readonly firstId: bigint;
  readonly lastId: bigint;

  constructor(readonly rows: EncodedRows) {
    this.count = rows.count;
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
  const { values, count } = group;
  const parts: string[] = [];
  const lengths = new Int32Array(count * TEXTS);
  const numbers = new Float64Array(count * NUMBERS);
  let t = 0;
  let n = 0;
  for (let at = 0; at < values.length; at += PACKED_WIDTH) {
    for (let c = 0; c < PACKED_WIDTH; c++) {
      const value = values[at + c];
      if (c === 1) numbers[n++] = typeCode(value as string);
      else if (IS_NUMBER[c]) numbers[n++] = value === null ? Number.NaN : (value as number);
      else if (value === null) lengths[t++] = -1;
      else {
        const text = typeof value === 'string' ? value : String(value);
        parts.push(text);
        lengths[t++] = text.length;
      }
    }
  }
  return { text: parts.join(''), lengths, numbers, count, firstId: group.firstId, lastId: group.lastId };
}

/** The packed rows of their crossing form. */
export function decodeRows(rows: EncodedRows): PackedPeers {
  const { text, lengths, numbers, count } = rows;
  const values: unknown[] = new Array(count * PACKED_WIDTH);
  let t = 0;
  let n = 0;
  let pos = 0;
  for (let at = 0; at < values.length; at += PACKED_WIDTH) {
    for (let c = 0; c < PACKED_WIDTH; c++) {
      if (c === 1) values[at + c] = TYPES[numbers[n++] as number];
      else if (IS_NUMBER[c]) {
        const number = numbers[n++] as number;
        values[at + c] = Number.isNaN(number) ? null : number;
      } else {
        const length = lengths[t++] as number;
        if (length < 0) values[at + c] = null;
        else {
          values[at + c] = text.slice(pos, pos + length);
          pos += length;
        }
      }
    }
  }
  return { values, count, firstId: rows.firstId, lastId: rows.lastId };
}
