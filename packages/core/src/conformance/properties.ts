/** Conformance: fast-check properties of the merge rules. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PeerCache } from '../storage/peer-cache.js';
import { INT64_MAX, INT64_MIN } from '../storage/peer-ids.js';
import type { PeerInput, StorageProvider } from '../storage/types.js';
import { ANN, CHANNEL, type Suite, T0, user } from './fixtures.js';

export function describeProperties(s: Suite): void {
  const { makeProvider, runs } = s;
  describe('properties', () => {
    const withFreshCache = async (
      body: (c: PeerCache, p: StorageProvider) => Promise<void>,
    ): Promise<void> => {
      const p = await makeProvider();
      const c = new PeerCache({ storage: p, now: () => T0, cacheSize: 3, usernameCacheSize: 3 });
      try {
        await body(c, p);
      } finally {
        await c.close();
      }
    };

    it('ends with the newest full access hash after any sequence of min and full sightings', async () => {
      const sighting = fc.record({
        min: fc.boolean(),
        hash: fc.bigInt(INT64_MIN, INT64_MAX),
        flush: fc.boolean(),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(sighting, { minLength: 1, maxLength: 12 }), async (sightings) => {
          await withFreshCache(async (c, p) => {
            for (const s of sightings) {
              await c.upsert([user(ANN, { accessHash: s.hash, min: s.min })]);
              if (s.flush) await c.flush();
            }
            const full = sightings.filter((s) => !s.min).at(-1);
            const expected = { accessHash: (full ?? sightings.at(-1))?.hash, min: full === undefined };
            expect(await c.get(ANN)).toMatchObject(expected);
            await c.flush();
            expect(await new PeerCache({ storage: p, closeStorage: false }).get(ANN)).toMatchObject(expected);
          });
        }),
        { numRuns: runs },
      );
    });

    it('keeps the username index consistent with the owners after any sequence of changes', async () => {
      const pool = ['alpha_one', 'bravo', 'charlie_2', 'delta', 'echo_echo'];
      const peerIds = [1n, 2n, 3n, CHANNEL];
      const op = fc.oneof(
        fc.record({
          kind: fc.constant('set' as const),
          peer: fc.constantFrom(...peerIds),
          names: fc.subarray(pool),
          upper: fc.boolean(),
          min: fc.boolean(),
        }),
        fc.record({ kind: fc.constant('delete' as const), peer: fc.constantFrom(...peerIds) }),
        fc.record({ kind: fc.constant('flush' as const) }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 15 }), async (ops) => {
          await withFreshCache(async (c, p) => {
            const model = new Map<bigint, string[]>();
            const fullSeen = new Set<bigint>();
            for (const o of ops) {
              if (o.kind === 'flush') await c.flush();
              else if (o.kind === 'delete') {
                await c.delete(o.peer);
                model.delete(o.peer);
                fullSeen.delete(o.peer);
              } else {
                const names = o.names.map((n) => (o.upper ? n.toUpperCase() : n));
                const input: PeerInput =
                  o.peer === CHANNEL
                    ? { id: o.peer, type: 'channel', accessHash: 5n, usernames: names, min: o.min }
                    : user(o.peer, { usernames: names, min: o.min });
                await c.upsert([input]);
                // The min rule: over a full record, a min sighting only fills an empty username list.
                const current = model.get(o.peer) ?? [];
                const applies = !o.min || !fullSeen.has(o.peer) || current.length === 0;
                if (!o.min) fullSeen.add(o.peer);
                if (applies) {
                  for (const [other, list] of model) {
                    if (other !== o.peer)
                      model.set(
                        other,
                        list.filter((n) => !o.names.includes(n)),
                      );
                  }
                  model.set(o.peer, [...o.names]);
                } else if (!model.has(o.peer)) model.set(o.peer, []);
              }
            }
            const check = async (view: PeerCache): Promise<void> => {
              for (const name of pool) {
                const owner = [...model].find(([, list]) => list.includes(name))?.[0];
                expect((await view.getByUsername(name.toUpperCase()))?.id).toBe(owner);
              }
              for (const [id, list] of model) {
                expect((await view.get(id))?.usernames.map((n) => n.toLowerCase())).toEqual(list);
              }
            };
            await check(c);
            await c.flush();
            await check(new PeerCache({ storage: p, closeStorage: false }));
            const index = await p.usernames.resolveMany(pool);
            for (const name of pool) {
              expect(index.get(name)).toBe([...model].find(([, list]) => list.includes(name))?.[0]);
            }
          });
        }),
        { numRuns: runs },
      );
    });

    it('never forgets a known lang code', async () => {
      const code = fc.option(fc.constantFrom('en', 'de', 'pt-br'), { nil: undefined });
      await fc.assert(
        fc.asyncProperty(fc.array(code, { minLength: 1, maxLength: 8 }), async (codes) => {
          await withFreshCache(async (c) => {
            for (const langCode of codes) await c.upsert([user(ANN, { langCode })]);
            const last = codes.filter((x) => x !== undefined).at(-1) ?? null;
            expect((await c.get(ANN))?.langCode).toBe(last);
          });
        }),
        { numRuns: runs },
      );
    });
  });
}
