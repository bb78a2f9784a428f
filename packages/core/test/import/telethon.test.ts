import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImportRowError, importPeers, readTelethonSession } from '../../src/import/index.js';
import type { PeerInput } from '../../src/storage/types.js';
import { collect } from './collect.js';
import {
  ALICE,
  BOB,
  buildTelethon,
  byId,
  displayName,
  HELPER_BOT,
  NEWS,
  PEERS,
  type SourcePeer,
  TEAM_CHAT,
  tempDir,
} from './fixtures.js';

/** What a Telethon row can tell about a peer. */
function expected(p: SourcePeer): PeerInput {
  const username = p.usernames?.[0]?.toLowerCase();
  return p.kind === 'user'
    ? {
        id: p.id,
        accessHash: p.hash,
        min: false,
        firstName: displayName(p),
        usernames: username === undefined ? undefined : [username],
        phone: p.phone,
      }
    : {
        id: p.id,
        accessHash: p.kind === 'chat' ? null : p.hash,
        min: false,
        title: displayName(p),
        usernames: username === undefined ? undefined : [username],
      };
}

describe('Telethon session import', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
  });
  afterEach(() => cleanup());

  it('reads every stored entity with exact ids and hashes', async () => {
    const path = buildTelethon(dir);
    const result = await importPeers(path);
    expect(result.format).toBe('telethon');
    const records = await collect(result.records);
    expect(records).toEqual(byId(PEERS.filter((p) => !p.min)).map(expected));
    const alice = records.find((r) => r.id === ALICE.id)!;
    expect(alice.accessHash).toBe(-(2n ** 63n));
    expect(records.find((r) => r.id === BOB.id)!.accessHash).toBe(2n ** 63n - 1n);
  });

  it('puts a user display name in firstName and a chat or channel name in title', async () => {
    const records = await collect((await readTelethonSession(buildTelethon(dir))).records);
    const alice = records.find((r) => r.id === ALICE.id)!;
    expect(alice.firstName).toBe('Alice Brown');
    expect(alice.lastName).toBeUndefined();
    expect(records.find((r) => r.id === TEAM_CHAT.id)).toMatchObject({
      title: 'Team chat',
      accessHash: null,
    });
    expect(records.find((r) => r.id === NEWS.id)!.title).toBe('News, "quoted"');
  });

  it('reads the phone Telethon keeps in an INTEGER column as digits', async () => {
    const records = await collect((await importPeers(buildTelethon(dir))).records);
    expect(records.find((r) => r.id === ALICE.id)!.phone).toBe('15550001');
  });

  it('leaves username and phone unknown for a user without them, and never marks a record min', async () => {
    const records = await collect((await importPeers(buildTelethon(dir))).records);
    const bob = records.find((r) => r.id === BOB.id)!;
    expect(bob.usernames).toBeUndefined();
    expect(bob.phone).toBeUndefined();
    expect(records.every((r) => r.min === false)).toBe(true);
    expect(records.find((r) => r.id === HELPER_BOT.id)!.type).toBeUndefined();
  });

  it('skips and reports rows whose hash is not a 64-bit integer, importing the rest', async () => {
    const path = buildTelethon(dir, [
      [555n, 'not-a-number', null, null, 'Text hash'],
      // Too big for INTEGER: SQLite keeps it as a REAL, which has lost the exact value.
      [556n, '9223372036854775808', null, null, 'Huge hash'],
      [557n, 1.5, null, null, 'Fraction'],
    ]);
    const skipped: ImportRowError[] = [];
    const result = await importPeers(path, { onSkip: (e) => skipped.push(e) });
    const records = await collect(result.records);
    expect(records.map((r) => r.id)).toEqual(byId(PEERS.filter((p) => !p.min)).map((p) => p.id));
    expect(skipped.map((e) => e.location)).toEqual([
      'entities row id=555',
      'entities row id=556',
      'entities row id=557',
    ]);
    expect(skipped[0]).toBeInstanceOf(ImportRowError);
    expect(skipped[0]!.field).toBe('hash');
    expect(skipped[0]!.path).toBe(path);
    expect(skipped[0]!.message).toContain(path);
    expect(result.notes).toContain(`5 records read, 3 rows skipped from ${path}`);
  });

  it('keeps a peer whose username pm would refuse, leaving the username out', async () => {
    const path = buildTelethon(dir, [[558n, 8n, 'no way!', null, 'Odd']]);
    const result = await importPeers(path);
    const records = await collect(result.records);
    expect(records.find((r) => r.id === 558n)).toMatchObject({ accessHash: 8n, firstName: 'Odd' });
    expect(records.find((r) => r.id === 558n)!.usernames).toBeUndefined();
    expect(result.notes).toContain('1 invalid usernames value(s) left out of otherwise good records');
  });

  it('still writes the summary when iteration stops early', async () => {
    const path = buildTelethon(dir);
    const result = await importPeers(path);
    for await (const _ of result.records) break;
    expect(result.notes.some((n) => n.startsWith('1 records read'))).toBe(true);
  });
});
