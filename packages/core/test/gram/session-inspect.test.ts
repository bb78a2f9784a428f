import { inspect } from 'node:util';
import bigInt from 'big-integer';
import { Api } from 'telegram';
import { describe, expect, it } from 'vitest';
import { PmSession } from '../../src/gram/connection.js';
import type { SessionData } from '../../src/session/session-file.js';
import type { PeerInput } from '../../src/storage/types.js';

const key = Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 37 + 11) & 0xff));
const data: SessionData = {
  version: 1,
  dcId: 2,
  serverAddress: '127.0.0.1',
  port: 4444,
  authKey: key.toString('base64'),
  apiId: 1,
  apiHash: '0123456789abcdef0123456789abcdef',
};

describe('PmSession inspection', () => {
  it('shows where the session points and never the auth key, at any depth', async () => {
    const session = new PmSession(data, { host: '127.0.0.1', port: 4444 });
    await session.load();
    // The key really is inside (GramJS keeps it as an AuthKey around a Buffer).
    expect(inspect((session as unknown as { _key: unknown })._key, { depth: Infinity })).toMatch(/Buffer/);
    const text = inspect(session, { depth: Infinity, showHidden: true, getters: true });
    expect(text).toBe("PmSession { dc: 2, server: '127.0.0.1:4444', authKey: <redacted> }");
    const dense = text.replace(/\s+/g, '');
    expect(dense).not.toContain(key.toString('hex').slice(0, 16));
    expect(dense).not.toContain(data.authKey.slice(0, 16));
    expect(dense).not.toContain([...key.subarray(0, 8)].join(','));
    expect(inspect({ nested: { deeper: [session] } }, { depth: Infinity })).not.toContain(
      data.authKey.slice(0, 16),
    );
  });

  it('says when there is no key yet', () => {
    const session = new PmSession(undefined, { host: '127.0.0.1', port: 4444 });
    expect(inspect(session)).toBe("PmSession { dc: 2, server: '127.0.0.1:4444', authKey: none }");
  });
});

describe('PmSession entities', () => {
  it('hands the users of an RPC result to the hooks as sightings in project types, not GramJS objects', async () => {
    const session = new PmSession(data, { host: '127.0.0.1', port: 4444 });
    const ingested: PeerInput[][] = [];
    session.hooks = {
      ingest: (peers) => void ingested.push([...peers]),
      peekInputPeer: () => undefined,
      onUpdates: () => {},
    };
    session.processEntities([
      new Api.User({ id: bigInt('9007199254740993'), accessHash: bigInt(-5), firstName: 'Ann' }),
    ]);
    session.processEntities(new Api.updates.State({ pts: 1, qts: 0, date: 0, seq: 0, unreadCount: 0 }));
    expect(ingested).toHaveLength(1);
    expect(ingested[0]).toEqual([
      expect.objectContaining({ id: 9007199254740993n, accessHash: -5n, firstName: 'Ann' }),
    ]);
    expect(Object.getPrototypeOf(ingested[0]?.[0])).toBe(Object.prototype);
  });
});
