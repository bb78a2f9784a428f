import { createWriteStream } from 'node:fs';
import { exportPeers, type PeerRecord } from '@pm/core';
import { idAt, sightingOf } from '../peers/data.js';

const n = Number(process.argv[2] ?? 1_000_000);
const at = 1_764_000_000_000;
const recs: PeerRecord[] = [];
for (let i = 0; i < n; i++) {
  const s = sightingOf(idAt(i, n));
  recs.push({
    id: s.id,
    type: 'user',
    accessHash: s.accessHash,
    min: false,
    usernames: [s.username],
    firstName: s.firstName,
    lastName: s.lastName,
    title: null,
    phone: null,
    langCode: s.langCode,
    langCodeSeenAt: at,
    premium: false,
    verified: false,
    deleted: false,
    photoId: null,
    firstSeen: at,
    lastSeen: at + 1,
    lastUpdated: at,
  });
}
recs.sort((a, b) => (a.id < b.id ? -1 : 1));
const ws = createWriteStream(process.argv[3] ?? '/tmp/imp/peers.jsonl');
await exportPeers(recs, 'jsonl', ws);
