import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ImportRowError, importPeers, readPyrogramSession } from '../../src/import/index.js';
import type { PeerInput, PeerType } from '../../src/storage/types.js';
import { collect } from './collect.js';
import {
  ALICE,
  BOB,
  buildPyrogram,
  byId,
  GROUP,
  NEWS,
  PEERS,
  type PyrogramFlavour,
  type SourcePeer,
  TEAM_CHAT,
  tempDir,
} from './fixtures.js';

function pmType(p: SourcePeer): PeerType {
  if (p.kind === 'user') return p.bot ? 'bot' : 'user';
  if (p.kind === 'chat') return 'chat';
  return p.megagroup ? 'supergroup' : 'channel';
}

/** What a Pyrogram row can tell: ids, hashes, types, usernames (lower-cased), phones; never names. */
function expected(p: SourcePeer, flavour: PyrogramFlavour): PeerInput {
  const names = (p.usernames ?? []).map((n) => n.toLowerCase());
  // Plain Pyrogram keeps only the first username.
  const kept = flavour === 'pyrogram' ? names.slice(0, 1) : names;
  return {
    id: p.id,
    type: pmType(p),
    accessHash: p.kind === 'chat' ? null : p.hash,
    min: false,
    usernames: kept.length > 0 ? kept : undefined,
    phone: p.kind === 'user' ? p.phone : undefined,
  };
}

describe.each(['pyrogram', 'pyrofork', 'kurigram'] as const)('%s session import', (flavour) => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
  });
  afterEach(() => cleanup());

  it('reads every stored peer with exact ids, hashes, types and usernames', async () => {
    const result = await importPeers(buildPyrogram(dir, flavour));
    expect(result.format).toBe('pyrogram');
    const records = await collect(result.records);
    expect(records).toEqual(byId(PEERS.filter((p) => !p.min)).map((p) => expected(p, flavour)));
    expect(records.find((r) => r.id === ALICE.id)!.accessHash).toBe(-(2n ** 63n));
    expect(records.find((r) => r.id === BOB.id)!.accessHash).toBe(2n ** 63n - 1n);
  });

  it('maps a group to a basic chat without hash and a channel to its marked id', async () => {
    const records = await collect((await readPyrogramSession(buildPyrogram(dir, flavour))).records);
    expect(records.find((r) => r.id === TEAM_CHAT.id)).toMatchObject({ type: 'chat', accessHash: null });
    expect(records.find((r) => r.id === NEWS.id)).toMatchObject({ type: 'channel', accessHash: NEWS.hash });
    expect(records.find((r) => r.id === GROUP.id)).toBeUndefined(); // min: Pyrogram never stored it
  });

  it('skips a row with a fractional hash and infers the type of an unknown one', async () => {
    const path = buildPyrogram(dir, flavour, [
      [600n, 1.5, 'user'],
      [601n, 77n, 'alien'],
    ]);
    const skipped: ImportRowError[] = [];
    const result = await importPeers(path, { onSkip: (e) => skipped.push(e) });
    const records = await collect(result.records);
    expect(skipped).toHaveLength(1);
    expect(skipped[0]!.field).toBe('access_hash');
    expect(skipped[0]!.location).toBe('peers row id=600');
    expect(records.find((r) => r.id === 601n)).toMatchObject({ type: undefined, accessHash: 77n });
    expect(result.notes).toContain(`6 records read, 1 rows skipped from ${path}`);
    expect(result.notes.some((n) => n.includes('"alien"'))).toBe(true);
  });
});

describe('Pyrogram session import', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
  });
  afterEach(() => cleanup());

  it('reads Kurigram forum supergroups as supergroups', async () => {
    const path = buildPyrogram(dir, 'kurigram', [[-1005555555555n, 9n, 'forum']]);
    const records = await collect((await importPeers(path)).records);
    expect(records.find((r) => r.id === -1005555555555n)).toMatchObject({
      type: 'supergroup',
      accessHash: 9n,
    });
  });

  it('says that names are not in the file', async () => {
    const result = await importPeers(buildPyrogram(dir, 'pyrogram'));
    expect(result.notes.some((n) => n.includes('no names'))).toBe(true);
  });
});
