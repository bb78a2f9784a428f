/**
 * The peer cache on its own, as in the README: `npx tsx examples/peer-cache.ts [path.db]`.
 * No network. A connected PmClient feeds it every user and chat GramJS sees; here sightings are plain records.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStorage, PeerCache } from '@pm/core';

const path = process.argv[2] ?? join(mkdtempSync(join(tmpdir(), 'pm-example-')), 'peers.db');
const peers = new PeerCache({ storage: await openSqliteStorage({ path }) });

// A full user, as a private message would carry it: 64-bit access hash (a bigint, never a number), username, language.
await peers.upsert([
  {
    id: 42n,
    type: 'user',
    accessHash: -7123456789012345678n,
    firstName: 'Ann',
    usernames: ['Ann_Example'],
    langCode: 'en',
  },
]);

// The same user seen as `min` in a group: its hash must not replace the full one.
await peers.upsert([{ id: 42n, min: true, accessHash: 1n, firstName: 'Ann' }]);

// A rename, from pm's own record type; no lang_code in this sighting: the last known one stays.
const [result] = await peers.upsert([{ id: 42n, firstName: 'Anna' }]);
for (const c of result?.changes ?? []) console.log('changed', c.field, c.before, '→', c.after);

const found = await peers.getByUsername('@ann_example'); // case-insensitive, no network
console.log('by username', found?.id, found?.firstName, found?.langCode);
console.log('input peer', await peers.inputPeerFor(42n)); // the full hash, not the min one
console.log('history', await peers.history(42n));
console.log('count', await peers.count());
await peers.close(); // flushes, then closes the store
console.log(`stored in ${path}`);
