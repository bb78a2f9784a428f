/**
 * The peer cache on its own: the README's snippet, verbatim (test/examples keeps them equal). No network.
 * `npx tsx examples/peer-cache.ts` writes peers.db in the current folder.
 */
import { openSqliteStorage, PeerCache } from '@pm/core';

const peers = new PeerCache({ storage: await openSqliteStorage({ path: 'peers.db' }) });
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
await peers.upsert([{ id: 42n, min: true, accessHash: 1n, firstName: 'Ann' }]); // min: the full hash stays
const [result] = await peers.upsert([{ id: 42n, firstName: 'Anna' }]); // no lang_code: 'en' stays
console.log(result?.changes); // [{ field: 'firstName', before: 'Ann', after: 'Anna' }]
console.log(await peers.getByUsername('@ann_example')); // case-insensitive, no network
console.log(await peers.inputPeerFor(42n)); // { kind: 'user', id: 42n, accessHash: -7123456789012345678n, min: false }
console.log(await peers.history(42n)); // every change of names, usernames, phone, language, with times
await peers.close(); // flushes the write-behind batch, then closes
