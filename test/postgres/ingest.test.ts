/**
 * Four processes ingest the same users at once, with conflicting min and full sightings and the same username
 * moves seen in different ways; half of them keep their caches coherent through LISTEN/NOTIFY, half do not (and
 * so write from stale memory). What PostgreSQL ends up with must be exactly what the merge rules say, and the
 * history must hold each change once, each row leading from the value before to the value after.
 */
import { randomBytes } from 'node:crypto';
import type { HistoryEntry } from '@pm/core';
import { openPostgresStorage, type PostgresStorageProvider } from '@pm/storage-postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { A, B, fullHash, nameOf } from './fixtures/workload.js';
import { exited, PG_URL, SKIP_MESSAGE, spawnFixture, waitForLine } from './helpers.js';

const PROCESSES = 4;
const PAIRS = 150;
const schema = `pm_ingest_${randomBytes(4).toString('hex')}`;

describe.skipIf(!PG_URL)(PG_URL ? 'four processes ingesting one store' : SKIP_MESSAGE, () => {
  let store: PostgresStorageProvider;
  beforeAll(async () => {
    store = await openPostgresStorage({ url: PG_URL as string, schema });
  });
  afterAll(async () => {
    await store?.driver.read(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await store?.close();
  });

  it(`ends with exactly the merged state and history (${PROCESSES} processes, ${PAIRS * 2} users)`, async () => {
    const children = Array.from({ length: PROCESSES }, (_, k) =>
      spawnFixture('ingest-child.ts', [schema, String(k), String(PAIRS), k < 2 ? '1' : '0']),
    );
    await Promise.all(children.map(({ child, output }) => waitForLine(child, 'phase1', output)));
    for (const { child } of children) child.stdin?.write('go\n');
    const codes = await Promise.all(children.map(({ child }) => exited(child)));
    expect(codes, children.map((c) => c.output()).join('\n')).toEqual(children.map(() => 0));

    const ids = Array.from({ length: PAIRS }, (_, i) => [A(i), B(i)]).flat();
    const peers = await store.peers.getMany(ids);
    expect(peers.size).toBe(PAIRS * 2);
    expect(await store.peers.count()).toBe(PAIRS * 2);
    const owners = await store.usernames.resolveMany(Array.from({ length: PAIRS }, (_, i) => nameOf(i)));
    for (let i = 0; i < PAIRS; i++) {
      // Every user was seen full at least once: the full hash won over every min one, whatever the order.
      expect(peers.get(A(i))).toMatchObject({
        accessHash: fullHash(A(i)),
        min: false,
        firstName: `A${i}`,
        usernames: [],
      });
      expect(peers.get(B(i))).toMatchObject({
        accessHash: fullHash(B(i)),
        min: false,
        firstName: `B${i}`,
        usernames: [nameOf(i)],
      });
      expect(owners.get(nameOf(i))).toBe(B(i));
    }
    const { rows: counted } = await store.driver.read<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${store.driver.table('usernames')}`,
    );
    expect(counted[0]?.n).toBe(PAIRS);

    let firstNameRows = 0;
    for (let i = 0; i < PAIRS; i++) {
      for (const id of [A(i), B(i)]) {
        const history = await store.history.list(id);
        const byField = (f: HistoryEntry['field']) => history.filter((h) => h.field === f);
        // The move is in the history exactly once, however many processes saw it.
        expect(byField('usernames').map((h) => [h.before, h.after])).toEqual(
          id === A(i) ? [[[nameOf(i)], []]] : [[[], [nameOf(i)]]],
        );
        expect(history.filter((h) => h.field !== 'usernames' && h.field !== 'firstName')).toEqual([]);
        // Names changed while only min sightings had been stored; each row starts where the previous one ended.
        const names = byField('firstName');
        firstNameRows += names.length;
        for (const [j, row] of names.entries()) {
          expect(row.before).not.toEqual(row.after);
          if (j > 0) expect(row.before).toEqual(names[j - 1]?.after);
        }
        if (names.length > 0) expect(names.at(-1)?.after).toBe(peers.get(id)?.firstName);
      }
    }
    console.log(
      `four-process ingest: ${PAIRS * 2} users, ${firstNameRows} firstName history rows from min sightings`,
    );
  }, 240_000); // generous: under a loaded machine the processes start slowly
});
