/**
 * The floor under every store's lookup figures: two plain `Map`s (id → sighting, username → sighting), no library,
 * no storage, no copy of the answer. It is here for the "cost from 10k to 1M" rows: what a lookup of a random key
 * costs more in a million entries than in ten thousand on this machine, before any store's own work. At 10k the maps
 * and their entries sit in the CPU's caches; at 1M a random key's bucket and entry do not, so even this lookup costs
 * more at 1M (about twice, measured outside the bench too). A store's cold lookups cannot grow less than its floor's
 * share of them does.
 */
import type { Sighting } from '../data.js';
import type { Subject } from '../subject.js';

export const plainMap: Subject = {
  name: 'plain Map (lookup floor)',
  open: async () => {
    const byId = new Map<bigint, Sighting>();
    const byName = new Map<string, Sighting>();
    const lookups = { byId: (id: bigint) => byId.get(id), byUsername: (name: string) => byName.get(name) };
    return {
      prepare: (batch) => batch,
      write: (prepared) => {
        for (const s of prepared as readonly Sighting[]) {
          byId.set(s.id, s);
          byName.set(s.username, s);
        }
      },
      commits: 'kept in memory, nothing committed',
      hot: lookups,
      cold: lookups,
      close: () => {
        byId.clear();
        byName.clear();
      },
    };
  },
};
