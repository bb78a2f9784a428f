/**
 * The in-memory layer of PeerCache (records, username owners): a least-recently-used cache kept as two
 * generations of plain Maps, as quick-lru and hashlru do. New and used entries go into the young generation; when
 * it holds half the capacity it becomes the old one and the previous old one is dropped whole. A hit in the young
 * generation is a single Map lookup with no bookkeeping at all, which is what a hot lookup needs (a strict LRU
 * reorders its list on every hit: lru-cache's `get` cost several times a Map lookup here); a hit in the old one moves
 * the entry back to the young one.
 *
 * What it keeps: at most `max` entries, and always the `max / 2` most recently used or set (an entry is dropped
 * only once half the capacity of other entries was used or set after it). Values are never undefined.
 */
export class Lru<K, V> {
  readonly #half: number;
  readonly #keepOld: boolean;
  #young = new Map<K, V>();
  #old = new Map<K, V>();

  /** `max`: the most entries held (at least 1). */
  constructor(max: number) {
    const capacity = Math.max(1, Math.floor(max));
    this.#half = Math.max(1, Math.floor(capacity / 2));
    // With room for one entry only, the old generation would make it two.
    this.#keepOld = capacity >= 2;
  }

  get size(): number {
    return this.#young.size + this.#old.size;
  }

  /** The value of `key`, now counted as most recently used; undefined if not held. */
  get(key: K): V | undefined {
    const value = this.#young.get(key);
    if (value !== undefined) return value;
    const old = this.#old.get(key);
    if (old !== undefined) {
      this.#old.delete(key);
      this.#insert(key, old);
    }
    return old;
  }

  /** Whether `key` is held, without counting it as used. */
  has(key: K): boolean {
    return this.#young.has(key) || this.#old.has(key);
  }

  set(key: K, value: V): void {
    if (this.#young.has(key)) this.#young.set(key, value);
    else {
      this.#old.delete(key);
      this.#insert(key, value);
    }
  }

  delete(key: K): void {
    this.#young.delete(key);
    this.#old.delete(key);
  }

  clear(): void {
    this.#young = new Map();
    this.#old = new Map();
  }

  #insert(key: K, value: V): void {
    if (this.#young.size >= this.#half) {
      this.#old = this.#keepOld ? this.#young : new Map();
      this.#young = new Map();
    }
    this.#young.set(key, value);
  }
}
