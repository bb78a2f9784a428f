/**
 * The username index of the memory store: lower-cased name → row, without a string per entry. Open addressing over
 * an Int32Array of (hash, row + 1) pairs; a lookup confirms a candidate by asking whether its row owns the name
 * (the names live once, in the rows). Entries are added and removed as (hash, row) pairs, which needs no such check,
 * so a rollback can patch the index from the rows' before and after.
 */

/** 32-bit FNV-1a of a string's UTF-16 code units, its bits mixed (the table uses the low ones). */
export function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}

const MIN_SLOTS = 1024;

export class NameIndex {
  /** Two ints per slot: hash, row + 1 (0: empty). */
  #slots = new Int32Array(2 * MIN_SLOTS);
  #mask = MIN_SLOTS - 1;
  #size = 0;

  /** `owns(row, name)`: whether the row holds that lower-cased name; `hash` must be what entries are added with. */
  constructor(
    private readonly owns: (row: number, name: string) => boolean,
    private readonly hash: (name: string) => number = hashName,
  ) {}

  get size(): number {
    return this.#size;
  }

  /** The row owning a lower-cased name, or -1. */
  find(name: string): number {
    const h = this.hash(name);
    const slots = this.#slots;
    const mask = this.#mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const entry = slots[2 * i + 1] as number;
      if (entry === 0) return -1;
      if (slots[2 * i] === h && this.owns(entry - 1, name)) return entry - 1;
    }
  }

  insert(hash: number, row: number): void {
    if ((this.#size + 1) * 2 > this.#mask + 1) this.#resize(2 * (this.#mask + 1));
    this.#place(hash, row);
    this.#size++;
  }

  /** Removes one (hash, row) entry; false if there is none. */
  remove(hash: number, row: number): boolean {
    const slots = this.#slots;
    const mask = this.#mask;
    let i = hash & mask;
    for (; ; i = (i + 1) & mask) {
      const entry = slots[2 * i + 1] as number;
      if (entry === 0) return false;
      if (slots[2 * i] === hash && entry === row + 1) break;
    }
    slots[2 * i + 1] = 0;
    for (let j = (i + 1) & mask; slots[2 * j + 1] !== 0; j = (j + 1) & mask) {
      const k = (slots[2 * j] as number) & mask;
      // The entry at j may move back to the hole at i unless its home lies cyclically in (i, j].
      const stays = i <= j ? i < k && k <= j : i < k || k <= j;
      if (!stays) {
        slots[2 * i] = slots[2 * j] as number;
        slots[2 * i + 1] = slots[2 * j + 1] as number;
        slots[2 * j + 1] = 0;
        i = j;
      }
    }
    this.#size--;
    return true;
  }

  #place(hash: number, row: number): void {
    const slots = this.#slots;
    const mask = this.#mask;
    let i = hash & mask;
    while (slots[2 * i + 1] !== 0) i = (i + 1) & mask;
    slots[2 * i] = hash;
    slots[2 * i + 1] = row + 1;
  }

  #resize(length: number): void {
    const old = this.#slots;
    this.#slots = new Int32Array(2 * length);
    this.#mask = length - 1;
    for (let i = 0; i < old.length; i += 2)
      if (old[i + 1] !== 0) this.#place(old[i] as number, (old[i + 1] as number) - 1);
  }
}
