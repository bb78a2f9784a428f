import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { profileChangeEvents } from '../../src/profiles/profile.js';
import { createMemoryStorage } from '../../src/storage/memory/index.js';
import { PeerCache } from '../../src/storage/peer-cache.js';
import type { HistoryField, PeerInput, PeerRecord } from '../../src/storage/types.js';

const ANN = 101n;
const BOB = 202n;
const CHAT = -303n; // a basic group (marked id)

let now = 1_000_000;
let peers: PeerCache;

beforeEach(() => {
  now = 1_000_000;
  peers = new PeerCache({ storage: createMemoryStorage(), now: () => now });
});
afterEach(async () => {
  await peers.close();
});

/** Upserts one sighting a minute after the last and returns the profileChanged events it causes. */
async function sight(...inputs: PeerInput[]) {
  now += 60_000;
  return profileChangeEvents(await peers.upsert(inputs));
}

async function snapshot(id: bigint): Promise<PeerRecord> {
  const r = await peers.get(id);
  if (!r) throw new Error(`peer ${id} not stored`);
  return r;
}

const ann: PeerInput = {
  id: ANN,
  type: 'user',
  accessHash: 11n,
  firstName: 'Ann',
  lastName: 'Lee',
  usernames: ['ann_lee', 'ann_collectible'],
  phone: '15550001',
  langCode: 'en',
};

describe('profileChanged.before is the record as it was before the sighting', () => {
  const cases: {
    field: HistoryField;
    id: bigint;
    first: PeerInput;
    next: PeerInput;
    was: unknown;
    is: unknown;
  }[] = [
    { field: 'firstName', id: ANN, first: ann, next: { id: ANN, firstName: 'Anna' }, was: 'Ann', is: 'Anna' },
    { field: 'lastName', id: ANN, first: ann, next: { id: ANN, lastName: null }, was: 'Lee', is: null },
    {
      field: 'usernames',
      id: ANN,
      first: ann,
      next: { id: ANN, usernames: [] },
      was: ['ann_lee', 'ann_collectible'],
      is: [],
    },
    {
      field: 'phone',
      id: ANN,
      first: ann,
      next: { id: ANN, phone: '15550002' },
      was: '15550001',
      is: '15550002',
    },
    { field: 'langCode', id: ANN, first: ann, next: { id: ANN, langCode: 'es' }, was: 'en', is: 'es' },
    {
      field: 'title',
      id: CHAT,
      first: { id: CHAT, type: 'chat', title: 'Old title' },
      next: { id: CHAT, title: 'New title' },
      was: 'Old title',
      is: 'New title',
    },
  ];

  for (const c of cases) {
    it(`for a change of ${c.field}`, async () => {
      await sight(c.first);
      const stored = await snapshot(c.id);
      const events = await sight(c.next);
      expect(events).toHaveLength(1);
      const [event] = events;
      expect(event?.before).toEqual(stored);
      expect(event?.before[c.field]).toEqual(c.was);
      expect(event?.user[c.field]).toEqual(c.is);
      expect(event?.changes).toEqual([{ field: c.field, before: c.was, after: c.is }]);
    });
  }

  it('for the old owner of a username that moved to another user', async () => {
    await sight(ann, { id: BOB, type: 'user', accessHash: 22n, firstName: 'Bob' });
    const annBefore = await snapshot(ANN);
    const bobBefore = await snapshot(BOB);
    const events = await sight({ id: BOB, usernames: ['ann_lee'] });
    expect(events.map((e) => e.user.id)).toEqual([BOB, ANN]);
    const [bob, loser] = events;
    expect(bob?.before).toEqual(bobBefore);
    expect(loser?.before).toEqual(annBefore);
    expect(loser?.before.usernames).toEqual(['ann_lee', 'ann_collectible']);
    expect(loser?.user.usernames).toEqual(['ann_collectible']);
    expect(loser?.changes).toEqual([
      { field: 'usernames', before: ['ann_lee', 'ann_collectible'], after: ['ann_collectible'] },
    ]);
  });

  it('for the old owner of a phone number seen on another user', async () => {
    await sight(ann, { id: BOB, type: 'user', accessHash: 22n, firstName: 'Bob' });
    const annBefore = await snapshot(ANN);
    const events = await sight({ id: BOB, phone: '15550001' });
    const loser = events.find((e) => e.user.id === ANN);
    expect(loser?.before).toEqual(annBefore);
    expect(loser?.before.phone).toBe('15550001');
    expect(loser?.user.phone).toBeNull();
    expect(loser?.changes).toEqual([{ field: 'phone', before: '15550001', after: null }]);
  });

  it('for a user who loses a username to another sighted in the same batch', async () => {
    await sight(ann);
    const annBefore = await snapshot(ANN);
    const events = await sight(
      { id: BOB, type: 'user', accessHash: 22n, firstName: 'Bob', usernames: ['ann_collectible'] },
      { id: ANN, firstName: 'Anna' },
    );
    const anns = events.filter((e) => e.user.id === ANN);
    // First the loss of the username, then the rename: each event's before is the state its changes start from.
    expect(anns.map((e) => e.changes.map((c) => c.field))).toEqual([['usernames'], ['firstName']]);
    expect(anns[0]?.before).toEqual(annBefore);
    expect(anns[1]?.before).toEqual(anns[0]?.user);
  });
});
