import { nameHash } from '../packed-peers.js';

/**
 * Which names of a long stream may have come more than once, kept as 32-bit hashes in one typed array rather than
 * the names themselves: a name whose hash was seen before is a candidate. Every name that did come twice is one (the
 * same name, the same hash); a few that did not are too (at a million names, about a hundred pairs share a hash), so
 * the caller checks each candidate against the store. A bulk load finds the usernames several records claim this way
 * while the rows go in, instead of reading back a whole index of a million usernames once they are in.
 */
export class RepeatedNames {
  /** Open addressing, linear probing (the hash's low bits pick the slot); 0 is an empty slot (no hash is 0). */
  #slots = new Int32Array(1 << 12);
  #used = 0;
  /** Names whose hash was already there when they came (the second and later of each). */
  readonly candidates = new Set<string>();

  add(name: string): void {
    this.addHashed(name, nameHash(name));
  }

  /** {@link add} with the name's `nameHash` already computed. */
  addHashed(name: string, hash: number): void {
    if (this.#find(hash)) this.candidates.add(name);
  }

  /** Whether `h` was there; puts it there if not. */
  #find(h: number): boolean {
    let slots = this.#slots;
    let mask = slots.length - 1;
    let at = h & mask;
    for (let s = slots[at] as number; s !== 0; s = slots[at] as number) {
      if (s === h) return true;
      at = (at + 1) & mask;
    }
    slots[at] = h;
    if (++this.#used * 2 > slots.length) {
      // Half full: twice the room, every hash placed again.
      const old = slots;
      slots = new Int32Array(old.length * 2);
      mask = slots.length - 1;
      for (const x of old) {
        if (x === 0) continue;
        let i = x & mask;
        while (slots[i] !== 0) i = (i + 1) & mask;
        slots[i] = x;
      }
      this.#slots = slots;
    }
    return false;
  }
}
