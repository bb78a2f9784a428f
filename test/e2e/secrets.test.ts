import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import type { PmClient, SessionData } from '@pm/core';
import { openGram } from '@pm/core/gram';
import type { TestServer } from '@pm/testserver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_HASH, connectBot, startWorld } from './helpers.js';

let tg: TestServer;
let client: PmClient;
let dir: string;
let token: string;
let session: SessionData;

beforeAll(async () => {
  const world = await startWorld();
  tg = world.tg;
  token = world.bot.token;
  dir = await mkdtemp(join(tmpdir(), 'pm-secrets-'));
  const path = join(dir, 'bot.session');
  client = await connectBot(tg, token, { session: path });
  session = JSON.parse(await readFile(path, 'utf8')) as SessionData;
});

afterAll(async () => {
  await client?.disconnect().catch(() => {});
  await tg?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Every way the secrets of this session could be spelled in a dump (compared with whitespace removed). */
function secretSpellings(): Record<string, string> {
  const key = Buffer.from(session.authKey, 'base64');
  // GramJS keeps g_ab's minimal bytes: 256 long, or 255 for the one key in 256 whose first byte is zero.
  expect([255, 256]).toContain(key.length);
  const head = key.subarray(0, 12);
  return {
    'api hash': API_HASH,
    'bot token': token,
    'bot token secret': token.slice(token.indexOf(':') + 1),
    'auth key (base64)': session.authKey.slice(0, 24),
    // GramJS's StringSession: '1' + base64(dc, IPv4, port, key); the key sits 7 bytes in, so its base64 differs.
    'session string': gramStringSession(key).slice(20, 60),
    // Also a Buffer's inspection (`<Buffer ab cd …>`) once its spaces are gone.
    'auth key (hex)': key.toString('hex').slice(0, 24),
    // A Uint8Array or number array, inspected in padded columns or as JSON.
    'auth key (decimal bytes)': [...head].join(','),
  };
}

function gramStringSession(key: Buffer): string {
  const head = Buffer.from([session.dcId, 127, 0, 0, 1, 0, 0]);
  head.writeUInt16BE(443, 5);
  return `1${Buffer.concat([head, key]).toString('base64')}`;
}

function expectNoSecret(text: string): void {
  const dense = text.replace(/\s+/g, '');
  for (const [name, spelling] of Object.entries(secretSpellings())) {
    expect(dense.includes(spelling), `${name} appears in: ${text.slice(0, 400)}`).toBe(false);
  }
}

const bigintSafe = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

describe('secrets stay out of inspection and serialisation', () => {
  it('util.inspect of the client shows no secret at any depth', () => {
    for (const opts of [
      {},
      { depth: Number.POSITIVE_INFINITY },
      { depth: Infinity, showHidden: true, getters: true },
    ]) {
      const text = inspect(client, opts);
      expect(text).toContain('PmClient');
      expectNoSecret(text);
    }
    // What it does show: who, where, which storage.
    expect(inspect(client, { depth: Infinity })).toBe(
      `PmClient { @pm_test_bot, ${tg.host}:${tg.port} dc2, storage: ${client.storage.name} }`,
    );
    expectNoSecret(String(client));
    expectNoSecret(JSON.stringify({ client }, bigintSafe));
  });

  it('util.inspect of the connection shows no secret at any depth', async () => {
    // The connection a PmClient runs on, opened on the same session.
    const conn = await openGram(
      { apiId: session.apiId, apiHash: session.apiHash, session, server: { host: tg.host, port: tg.port } },
      { ingest: () => {}, peekInputPeer: () => undefined, onUpdates: () => {} },
    );
    try {
      expect((await conn.getMe()).id).toBe(client.me.id);
      for (const opts of [{}, { depth: Infinity, showHidden: true, getters: true }]) {
        const text = inspect(conn, opts);
        expect(text).toContain(`${tg.host}:${tg.port}`);
        expectNoSecret(text);
      }
      expectNoSecret(JSON.stringify(conn, bigintSafe) ?? '');
      expect(Object.values(conn)).toEqual([]);
    } finally {
      await conn.disconnect();
    }
  });

  it('the checks themselves find the secrets where they are', () => {
    // Guards the test: a dump that does hold the session must fail expectNoSecret.
    const leaky = inspect({ session, key: Buffer.from(session.authKey, 'base64') }, { depth: Infinity });
    expect(() => expectNoSecret(leaky)).toThrow();
    expect(() => expectNoSecret(`token ${token}`)).toThrow();
    const raw = Buffer.from(session.authKey, 'base64');
    expect(() => expectNoSecret(inspect(raw))).toThrow();
    expect(() => expectNoSecret(inspect(new Uint8Array(raw)))).toThrow();
    expect(() => expectNoSecret(JSON.stringify(raw))).toThrow();
    expect(() => expectNoSecret(`hash=${API_HASH}`)).toThrow();
    expect(() => expectNoSecret(`session=${gramStringSession(raw)}`)).toThrow();
  });
});
