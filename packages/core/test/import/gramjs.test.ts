/**
 * GramJS sources written by GramJS itself (telegram 2.26.22): a real StoreSession folder and real session strings.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import bigInt from 'big-integer';
import { Api } from 'telegram';
import { AuthKey } from 'telegram/crypto/AuthKey.js';
import { StoreSession } from 'telegram/sessions/StoreSession.js';
import { StringSession } from 'telegram/sessions/StringSession.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ImportError,
  type ImportRowError,
  importPeers,
  parseSessionString,
  readGramjsStoreSession,
} from '../../src/import/index.js';
import type { PeerInput } from '../../src/storage/types.js';
import { collect } from './collect.js';
import {
  ALICE,
  BOB,
  bareId,
  byId,
  displayName,
  INT64_MAX,
  INT64_MIN,
  PEERS,
  type SourcePeer,
  TEAM_CHAT,
  tempDir,
} from './fixtures.js';

function big(n: bigint): bigInt.BigInteger {
  return bigInt(n.toString());
}

/** The GramJS constructor of a fixture peer. */
function toTl(p: SourcePeer): Api.TypeUser | Api.TypeChat {
  const username = p.usernames?.[0];
  if (p.kind === 'user') {
    return new Api.User({
      id: big(p.id),
      accessHash: big(p.hash),
      firstName: p.firstName,
      lastName: p.lastName,
      username,
      phone: p.phone,
      bot: p.bot,
      min: p.min,
    });
  }
  if (p.kind === 'chat') {
    return new Api.Chat({
      id: big(bareId(p)),
      title: p.title ?? '',
      photo: new Api.ChatPhotoEmpty(),
      participantsCount: 2,
      date: 0,
      version: 1,
    });
  }
  return new Api.Channel({
    id: big(bareId(p)),
    accessHash: big(p.hash),
    title: p.title ?? '',
    username,
    photo: new Api.ChatPhotoEmpty(),
    date: 0,
    megagroup: p.megagroup,
    min: p.min,
  });
}

let sessionCounter = 0;

/** Lets GramJS's StoreSession write its folder (it always writes `./<name>`, so the cwd moves for a moment). */
async function buildStoreSession(dir: string): Promise<string> {
  const name = `gramjs_bot_${++sessionCounter}`;
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const session = new StoreSession(name);
    session.setDC(2, '149.154.167.51', 443);
    const key = new AuthKey();
    await key.setKey(Buffer.alloc(256, 7));
    session.authKey = key;
    const users = PEERS.filter((p) => p.kind === 'user').map(toTl);
    const chats = PEERS.filter((p) => p.kind !== 'user').map(toTl);
    session.processEntities({ users, chats });
  } finally {
    process.chdir(cwd);
  }
  return join(dir, name);
}

/** What a GramJS row can tell (min entities are never stored: getInputPeer refuses them). */
function expected(p: SourcePeer): PeerInput {
  const username = p.usernames?.[0]?.toLowerCase();
  const usernames = username === undefined ? undefined : [username];
  return p.kind === 'user'
    ? { id: p.id, accessHash: p.hash, min: false, usernames, firstName: displayName(p), phone: p.phone }
    : {
        id: p.id,
        accessHash: p.kind === 'chat' ? null : p.hash,
        min: false,
        usernames,
        title: displayName(p),
      };
}

describe('GramJS StoreSession import', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
  });
  afterEach(() => cleanup());

  it('reads every entity GramJS stored, with exact ids and hashes', async () => {
    const path = await buildStoreSession(dir);
    const result = await importPeers(path);
    expect(result.format).toBe('gramjs-store');
    const records = byId(await collect(result.records));
    expect(records).toEqual(byId(PEERS.filter((p) => !p.min)).map(expected));
    expect(records.find((r) => r.id === ALICE.id)!.accessHash).toBe(INT64_MIN);
    expect(records.find((r) => r.id === BOB.id)!.accessHash).toBe(INT64_MAX);
    expect(records.find((r) => r.id === TEAM_CHAT.id)!.accessHash).toBeNull();
  });

  it('skips an entity file that is not a row or has a bad hash, importing the rest', async () => {
    const path = await buildStoreSession(dir);
    const prefix = encodeURIComponent(`gramjs_bot_${sessionCounter}:`);
    writeFileSync(join(path, `${prefix}555`), 'garbage');
    writeFileSync(join(path, `${prefix}556`), JSON.stringify(['556', '12.5', null, null, 'X', '0']));
    const skipped: ImportRowError[] = [];
    const result = await readGramjsStoreSession(path, { onSkip: (e) => skipped.push(e) });
    const records = await collect(result.records);
    expect(records).toHaveLength(PEERS.filter((p) => !p.min).length);
    expect(skipped.map((e) => [e.location, e.field]).sort()).toEqual([
      [`file ${prefix}555`, undefined],
      [`file ${prefix}556`, 'hash'],
    ]);
    expect(result.notes).toContain(`5 records read, 2 rows skipped from ${path}`);
  });

  it("ignores the session's own keys, whatever they hold", async () => {
    const path = await buildStoreSession(dir);
    const prefix = encodeURIComponent(`gramjs_bot_${sessionCounter}:`);
    writeFileSync(join(path, `${prefix}authKey`), 'not json');
    writeFileSync(join(path, `${prefix}port`), '[1, 2]');
    const result = await importPeers(path);
    expect(await collect(result.records)).toHaveLength(PEERS.filter((p) => !p.min).length);
    expect(result.notes).toContain(`5 records read, 0 rows skipped from ${path}`);
  });
});

describe('GramJS StringSession import', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
  });
  afterEach(() => cleanup());

  async function gramjsString(): Promise<string> {
    const session = new StringSession('');
    session.setDC(4, '149.154.167.91', 443);
    const key = new AuthKey();
    await key.setKey(Buffer.alloc(256, 9));
    session.setAuthKey(key);
    return session.save();
  }

  it('validates an inline string and yields no peers, saying why', async () => {
    const value = await gramjsString();
    const result = await importPeers(value);
    expect(result.format).toBe('gramjs-string');
    expect(await collect(result.records)).toEqual([]);
    expect(result.notes[0]).toContain('no peers to import');
    expect(result.notes[0]).toContain('dc 4, 149.154.167.91:443');
    expect(result.notes.join('\n')).not.toContain(value.slice(1, 40));
  });

  it('reads a string from a file', async () => {
    const path = join(dir, 'session.txt');
    writeFileSync(path, `${await gramjsString()}\n`);
    const result = await importPeers(path);
    expect(result.format).toBe('gramjs-string');
    expect(await collect(result.records)).toEqual([]);
  });

  it('parses the Telethon layout GramJS also accepts', () => {
    const bytes = Buffer.concat([Buffer.from([2, 149, 154, 167, 51, 1, 187]), Buffer.alloc(256, 1)]);
    // Telethon: urlsafe_b64encode, padding kept.
    const value = `1${bytes.toString('base64').replaceAll('+', '-').replaceAll('/', '_')}`;
    expect(parseSessionString(value)).toEqual({
      flavour: 'telethon',
      dcId: 2,
      serverAddress: '149.154.167.51',
      port: 443,
    });
  });

  it('does not name a session string given where a file was expected', async () => {
    const value = await gramjsString();
    const error = await importPeers(value, { format: 'telethon' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportError);
    expect((error as ImportError).path).toBe('<session string>');
    expect((error as ImportError).message).not.toContain(value.slice(1, 40));
  });

  it('rejects a damaged string with a typed error that does not contain it', async () => {
    const value = await gramjsString();
    const damaged = value.slice(0, -8);
    const error = await importPeers(damaged).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportError);
    expect((error as ImportError).code).toBe('IMPORT_INVALID_SESSION_STRING');
    expect((error as ImportError).path).toBe('<session string>');
    expect((error as ImportError).message).toMatch(/auth key/);
    expect((error as ImportError).message).not.toContain(damaged.slice(1, 40));
    expect(() => parseSessionString(`2${value.slice(1)}`)).toThrow(/version "1"/);
  });
});
