import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ImportRowError,
  importPeers,
  parseMtcuteHash,
  readMtcuteStorage,
} from '../../src/import/index.js';
import type { PeerInput } from '../../src/storage/types.js';
import { collect } from './collect.js';
import {
  ALICE,
  BOB,
  buildMtcute,
  byId,
  CAROL,
  fastString,
  GROUP,
  INT64_MAX,
  INT64_MIN,
  PEERS,
  type SourcePeer,
  TEAM_CHAT,
  tempDir,
} from './fixtures.js';

/** What an mtcute row tells outside the TL blob: ids, hashes, min, all usernames (lower-cased), phones. */
function expected(p: SourcePeer, withMin: boolean): PeerInput {
  const names = (p.usernames ?? []).map((n) => n.toLowerCase());
  return {
    id: p.id,
    accessHash: p.kind === 'chat' ? null : p.hash,
    min: withMin && p.min === true,
    usernames: names,
    phone: p.kind === 'user' ? p.phone : undefined,
  };
}

describe('mtcute storage import', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
  });
  afterEach(() => cleanup());

  it('reads every peer, min ones flagged, with exact ids and hashes', async () => {
    const result = await importPeers(buildMtcute(dir));
    expect(result.format).toBe('mtcute');
    const records = await collect(result.records);
    expect(records).toEqual(byId(PEERS).map((p) => expected(p, true)));
    expect(records.find((r) => r.id === ALICE.id)!.accessHash).toBe(INT64_MIN);
    expect(records.find((r) => r.id === BOB.id)!.accessHash).toBe(INT64_MAX);
    expect(records.find((r) => r.id === CAROL.id)!.min).toBe(true);
    expect(records.find((r) => r.id === GROUP.id)!.min).toBe(true);
    expect(records.find((r) => r.id === TEAM_CHAT.id)).toMatchObject({ accessHash: null, min: false });
  });

  it('keeps every username of a peer, main first', async () => {
    const records = await collect((await readMtcuteStorage(buildMtcute(dir))).records);
    expect(records.find((r) => r.id === ALICE.id)!.usernames).toEqual(['alice_b', 'alice_collectible']);
    expect(records.find((r) => r.id === BOB.id)!.usernames).toEqual([]);
  });

  it('reads a database from before the isMin column as all full', async () => {
    const result = await importPeers(buildMtcute(dir, 1));
    const records = await collect(result.records);
    expect(records).toEqual(byId(PEERS).map((p) => expected(p, false)));
    expect(result.notes.some((n) => n.includes('predates'))).toBe(true);
  });

  it('skips rows whose hash is no 64-bit integer', async () => {
    const path = buildMtcute(dir, 2, [
      [700n, 'abc'],
      [701n, '1|2|3'],
      [702n, '4294967296|0'],
      [703n, '12345'],
    ]);
    const skipped: ImportRowError[] = [];
    const result = await importPeers(path, { onSkip: (e) => skipped.push(e) });
    const records = await collect(result.records);
    expect(skipped.map((e) => [e.location, e.field])).toEqual([
      ['peers row id=700', 'hash'],
      ['peers row id=701', 'hash'],
      ['peers row id=702', 'hash'],
    ]);
    expect(records.find((r) => r.id === 703n)!.accessHash).toBe(12345n);
    expect(result.notes).toContain(`${PEERS.length + 1} records read, 3 rows skipped from ${path}`);
  });
});

describe('parseMtcuteHash', () => {
  it('decodes every signed 64-bit value from its low|high form', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: INT64_MIN, max: INT64_MAX }), (h) => {
        expect(parseMtcuteHash(fastString(h))).toBe(h);
      }),
    );
  });

  it('treats an empty hash (basic chats) as no hash', () => {
    expect(parseMtcuteHash('')).toBeNull();
  });
});
