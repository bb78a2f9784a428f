/**
 * A hash table from 64-bit ids to row numbers that keeps no bigint: open addressing with linear probing over an
 * Int32Array of `row + 1` (0 = empty slot), the ids themselves living in the rows' own column (read as two 32-bit
 * halves), so a million ids cost about 8 bytes each here instead of a Map entry plus a heap bigint (about 80).
 */

/** Where the table reads the id of a row: its low and high 32 bits. */
export interface IdColumn {
  lo(row: number): number;
  hi(row: number): number;
}

/** Scratch to split a bigint into its two 32-bit halves without allocating. */
const SCRATCH64 = new BigInt64Array(1);
const SCRATCH32 = new Int32Array(SCRATCH64.buffer);
const MIN_SLOTS = 1024;

function mix(lo: number, hi: number): number {
  let h = Math.imul(lo, 0x9e3779b1) ^ Math.imul(hi ^ (lo >>> 16), 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return h ^ (h >>> 12);
}

export class IdIndex {
  #slots = new Int32Array(MIN_SLOTS);
  #mask = MIN_SLOTS - 1;
  #size = 0;

  constructor(private readonly ids: IdColumn) {}

  get size(): number {
    return this.#size;
  }

  /** The row of `id`, or -1. */
  find(id: bigint): number {
    SCRATCH64[0] = id;
    const lo = SCRATCH32[0] as number;
    const hi = SCRATCH32[1] as number;
    const ids = this.ids;
    const slots = this.#slots;
    const mask = this.#mask;
    for (let i = mix(lo, hi) & mask; ; i = (i + 1) & mask) {
      const entry = slots[i] as number;
      if (entry === 0) return -1;
      const row = entry - 1;
      if (ids.lo(row) === lo && ids.hi(row) === hi) return row;
    }
  }

  /** Adds a row whose id (already in the ids column) is not in the table. */
  insert(row: number): void {
    if ((this.#size + 1) * 2 > this.#slots.length) this.#resize(this.#slots.length * 2);
    this.#place(row);
    this.#size++;
  }

  /** Removes a row that is in the table (backward-shift deletion, so no tombstones accumulate). */
  remove(row: number): void {
    const slots = this.#slots;
    const mask = this.#mask;
    let i = this.#home(row);
    while (slots[i] !== row + 1) i = (i + 1) & mask;
    slots[i] = 0;
    for (let j = (i + 1) & mask; slots[j] !== 0; j = (j + 1) & mask) {
      const k = this.#home((slots[j] as number) - 1);
      // The entry at j may move back to the hole at i unless its home lies cyclically in (i, j].
      const stays = i <= j ? i < k && k <= j : i < k || k <= j;
      if (!stays) {
        slots[i] = slots[j] as number;
        slots[j] = 0;
        i = j;
      }
    }
    this.#size--;
  }

  #home(row: number): number {
    return mix(this.ids.lo(row), this.ids.hi(row)) & this.#mask;
  }

  #place(row: number): void {
    const slots = this.#slots;
    const mask = this.#mask;
    let i = this.#home(row);
    while (slots[i] !== 0) i = (i + 1) & mask;
    slots[i] = row + 1;
  }

  #resize(length: number): void {
    const old = this.#slots;
    this.#slots = new Int32Array(length);
    this.#mask = length - 1;
    for (const entry of old) if (entry !== 0) this.#place(entry - 1);
  }
}
