/**
 * Bad input and failing servers: a malformed URL, nothing listening, a wrong password, a connection killed in the
 * middle of a batch (retried, stored once), a server that stays away (typed error, nothing of the batch stored,
 * the batch written once the server is back), a change feed that reconnects until the server is back.
 */
import { PeerCache, type PeerInput, StorageError, type StorageProvider } from '@pm/core';
import { sampleRecord } from '@pm/core/conformance';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgresStorage, PostgresStorageError } from '../src/index.js';
import { dropSchemas, freshSchema, PG_URL, SKIP_MESSAGE } from './pg.js';
import { freePort, TcpProxy } from './tcp-proxy.js';

afterAll(dropSchemas);

const SECRET = 'not-the-real-password-42';
const users = (from: number, n: number, tag: string): PeerInput[] =>
  Array.from({ length: n }, (_, i) => ({
    id: BigInt(from + i),
    type: 'user',
    accessHash: BigInt(from + i) * 11n,
    usernames: [`${tag}_${from + i}`],
    firstName: `U${i}`,
  }));

/** The store holds `n` peers, the batch renaming them from `first_` to `renamed_` once: one name, one history entry. */
async function expectRenamedOnce(storage: StorageProvider, n: number): Promise<void> {
  expect(await storage.peers.count()).toBe(n);
  expect(await storage.usernames.resolveMany(['renamed_7', 'first_7'])).toEqual(new Map([['renamed_7', 7n]]));
  expect(await storage.history.list(7n)).toEqual([
    { peerId: 7n, field: 'usernames', before: ['first_7'], after: ['renamed_7'], at: expect.any(Number) },
  ]);
}

async function caught(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/**
 * A provider listening for changes through a {@link TcpProxy}, and a writer on the same store connected directly
 * (as another process would be).
 */
async function listenerBehindProxy(
  tag: string,
  options: { listenPingMs?: number; queryTimeoutMs?: number } = {},
) {
  const url = new URL(PG_URL as string);
  const proxy = new TcpProxy(await freePort(), { host: url.hostname, port: Number(url.port || 5432) });
  await proxy.up();
  const via = new URL(url);
  via.port = String(proxy.port);
  const schema = freshSchema(tag);
  const listening = await openPostgresStorage({
    url: via.toString(),
    schema,
    connectTimeoutMs: 1000,
    ...options,
  });
  const writer = new PeerCache({
    storage: await openPostgresStorage({ url: PG_URL as string, schema }),
    flushDelayMs: 1000,
  });
  const end = async () => {
    await writer.close();
    await listening.close();
    await proxy.down();
  };
  return { proxy, listening, writer, end };
}

describe('bad connection settings', () => {
  it('rejects a URL that is not postgres:// without echoing its password', async () => {
    const error = await caught(() => openPostgresStorage({ url: `mysql://pm:${SECRET}@localhost/db` }));
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toContain('postgres://user:password@host:port/database');
    expect((error as Error).message).toContain('mysql://pm:***@localhost/db');
    expect((error as Error).message).not.toContain(SECRET);
  });

  it('rejects a schema name that would need quoting', async () => {
    const error = await caught(() =>
      openPostgresStorage({ url: 'postgres://x@localhost/db', schema: 'Bad-Name' }),
    );
    expect((error as Error).message).toContain('"Bad-Name"');
  });

  it('names host:port but never the password when nothing listens there, after bounded retries', async () => {
    const port = await freePort();
    const error = await caught(() =>
      openPostgresStorage({
        url: `postgres://pm:${SECRET}@127.0.0.1:${port}/pm_test`,
        retryAttempts: 3,
        retryBaseDelayMs: 1,
      }),
    );
    expect(error).toBeInstanceOf(PostgresStorageError);
    const e = error as PostgresStorageError;
    expect(e).toMatchObject({ code: 'STORAGE_FAILED', failure: 'unavailable', attempts: 3, transient: true });
    expect(e.causeCode).toBe('ECONNREFUSED');
    expect(e.message).toContain(`127.0.0.1:${port}/pm_test`);
    expect(e.message).not.toContain(SECRET);
  });
});

describe.skipIf(!PG_URL)(PG_URL ? 'failing server' : SKIP_MESSAGE, () => {
  const url = new URL(PG_URL ?? 'postgres://x@localhost:5432/x');

  it('reports a wrong password at once, as rejected, without the password', async () => {
    const wrong = new URL(url);
    wrong.password = SECRET;
    const error = await caught(() => openPostgresStorage({ url: wrong.toString(), schema: freshSchema() }));
    expect(error).toBeInstanceOf(PostgresStorageError);
    expect(error).toMatchObject({ failure: 'rejected', causeCode: '28P01', attempts: 1 });
    expect((error as Error).message).toContain(`${url.hostname}:${url.port}`);
    expect((error as Error).message).not.toContain(SECRET);
  });

  /** A pool whose connections kill their own backend right before a statement matching `killOn.pattern`. */
  function killingPool(killOn: { pattern: RegExp | null; left: number }): { pool: pg.Pool; admin: pg.Pool } {
    const admin = new pg.Pool({ connectionString: PG_URL, max: 1 });
    const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
    pool.on('connect', (client: any) => {
      const query = client.query.bind(client);
      client.query = (config: any, ...rest: any[]) => {
        if (
          killOn.pattern &&
          killOn.left > 0 &&
          typeof config?.text === 'string' &&
          killOn.pattern.test(config.text)
        ) {
          killOn.left--;
          return admin
            .query('SELECT pg_terminate_backend($1)', [client.processID])
            .then(() => new Promise((resolve) => setTimeout(resolve, 20)))
            .then(() => query(config, ...rest));
        }
        return query(config, ...rest);
      };
    });
    return { pool, admin };
  }

  it('runs a batch again when its connection is killed mid-transaction, and stores it exactly once', async () => {
    const killOn = { pattern: null as RegExp | null, left: 1 };
    const { pool, admin } = killingPool(killOn);
    const storage = await openPostgresStorage({ pool, schema: freshSchema('kill'), retryBaseDelayMs: 5 });
    const cache = new PeerCache({ storage, flushDelayMs: 1000 });
    await cache.upsert(users(1, 500, 'first'));
    await cache.flush();
    await cache.upsert(users(1, 500, 'renamed'));
    killOn.pattern = /INSERT INTO "[a-z0-9_]+"."usernames"/; // after the peer rows of the batch are written
    await cache.flush();
    expect(killOn.left).toBe(0);
    await expectRenamedOnce(storage, 500);
    await cache.close();
    await pool.end();
    await admin.end();
  });

  it('reports a server that keeps dropping the connection, with nothing of the batch stored', async () => {
    const killOn = { pattern: null as RegExp | null, left: 0 };
    const { pool, admin } = killingPool(killOn);
    const storage = await openPostgresStorage({
      pool,
      schema: freshSchema('down'),
      retryAttempts: 3,
      retryBaseDelayMs: 5,
    });
    const errors: StorageError[] = [];
    const cache = new PeerCache({ storage, flushDelayMs: 1000, onError: (e) => errors.push(e) });
    await cache.upsert(users(1, 100, 'kept'));
    await cache.flush();
    await cache.upsert([...users(1, 100, 'moved'), ...users(1000, 2000, 'fresh')]);
    killOn.pattern = /INSERT INTO "[a-z0-9_]+"."usernames"|pg_notify/;
    killOn.left = 3;
    const error = await caught(() => cache.flush());
    expect(error).toBeInstanceOf(PostgresStorageError);
    expect(error).toMatchObject({ failure: 'unavailable', attempts: 3 });
    expect(errors).toEqual([error]);
    // Nothing of the failed batch: no new peers, no renamed usernames, no history.
    expect(await storage.peers.count()).toBe(100);
    expect(await storage.usernames.resolveMany(['kept_5', 'moved_5', 'fresh_1005'])).toEqual(
      new Map([['kept_5', 5n]]),
    );
    expect(await storage.history.list(5n)).toEqual([]);
    // The batch stayed in memory and is written once the server answers again.
    await cache.flush();
    expect(await storage.peers.count()).toBe(2100);
    expect(await storage.usernames.resolveMany(['kept_5', 'moved_5'])).toEqual(new Map([['moved_5', 5n]]));
    expect(await storage.history.list(5n)).toHaveLength(1);
    await cache.close();
    await pool.end();
    await admin.end();
  });

  it('reports a server that went down (port refusing) mid-ingest, and catches up when it is back', async () => {
    const proxy = new TcpProxy(await freePort(), { host: url.hostname, port: Number(url.port || 5432) });
    await proxy.up();
    const via = new URL(url);
    via.port = String(proxy.port);
    const schema = freshSchema('proxy');
    const storage = await openPostgresStorage({
      url: via.toString(),
      schema,
      retryAttempts: 3,
      retryBaseDelayMs: 5,
      connectTimeoutMs: 1000,
    });
    const cache = new PeerCache({ storage, flushDelayMs: 1000 });
    await cache.upsert(users(1, 50, 'before'));
    await cache.flush();
    await cache.upsert(users(100, 500, 'during'));
    await proxy.down();
    const error = await caught(() => cache.flush());
    expect(error).toBeInstanceOf(PostgresStorageError);
    expect(error).toMatchObject({ failure: 'unavailable', transient: true });
    expect((error as Error).message).toContain(`127.0.0.1:${proxy.port}`);
    expect((error as Error).message).not.toContain(url.password);
    const direct = await openPostgresStorage({ url: PG_URL as string, schema });
    expect(await direct.peers.count()).toBe(50);
    await proxy.up();
    await cache.flush();
    expect(await direct.peers.count()).toBe(550);
    await direct.close();
    await cache.close();
    await proxy.down();
  });

  it('listens again after the server was away however many reconnects failed, and says anything may have changed', async () => {
    const { proxy, listening, writer, end } = await listenerBehindProxy('relisten');
    const heard: (bigint[] | null)[] = [];
    const off = await listening.onPeerChanges((changes) => heard.push(changes ? [...changes.ids] : null));
    await writer.upsert(users(1, 2, 'before'));
    await writer.flush();
    await expect.poll(() => heard, { timeout: 5000, interval: 10 }).toEqual([[1n, 2n]]);
    await proxy.down();
    // The first reconnect comes 50 ms after the loss, then 100, 200, 400 ms later: all refused.
    await new Promise((resolve) => setTimeout(resolve, 800));
    await writer.upsert(users(10, 1, 'away')); // sent while nobody listens: lost
    await writer.flush();
    expect(heard).toEqual([[1n, 2n]]);
    await proxy.up();
    await expect.poll(() => heard, { timeout: 10_000, interval: 10 }).toEqual([[1n, 2n], null]);
    await writer.upsert(users(20, 1, 'back'));
    await writer.flush();
    await expect.poll(() => heard, { timeout: 5000, interval: 10 }).toEqual([[1n, 2n], null, [20n]]);
    off();
    await end();
  });
});

describe.skipIf(!PG_URL)('a change feed whose LISTEN fails', () => {
  it('reconnects in one loop while LISTEN keeps failing: listeners hear null once, changes once', async () => {
    const { proxy, listening, writer, end } = await listenerBehindProxy('relisten_fail');
    const heard: (bigint[] | null)[] = [];
    const off = await listening.onPeerChanges((changes) => heard.push(changes ? [...changes.ids] : null));
    await writer.upsert(users(1, 2, 'before'));
    await writer.flush();
    await expect.poll(() => heard, { timeout: 5000, interval: 10 }).toEqual([[1n, 2n]]);
    // The listening connection is lost; every new one connects, then dies on its LISTEN (50, 100, 200, 400 ms).
    proxy.cutOn = 'LISTEN';
    proxy.cutAll();
    await new Promise((resolve) => setTimeout(resolve, 900));
    proxy.cutOn = null;
    await expect.poll(() => heard, { timeout: 10_000, interval: 10 }).toEqual([[1n, 2n], null]);
    // Longer than the longest wait between tries (2 s): a second loop would have listened again by now.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await writer.upsert(users(20, 1, 'back'));
    await writer.flush();
    await expect.poll(() => heard, { timeout: 5000, interval: 10 }).toEqual([[1n, 2n], null, [20n]]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(heard).toEqual([[1n, 2n], null, [20n]]);
    off();
    await end();
  });

  it('refuses a subscription whose LISTEN fails with a typed error, and keeps nothing running for it', async () => {
    const { proxy, listening, writer, end } = await listenerBehindProxy('listen_refused');
    const heard: unknown[] = [];
    proxy.cutOn = 'LISTEN';
    const error = await caught(() => listening.onPeerChanges((changes) => heard.push(changes)));
    expect(error).toBeInstanceOf(PostgresStorageError);
    expect(error).toMatchObject({ failure: 'unavailable' });
    expect((error as Error).message).toContain(`127.0.0.1:${proxy.port}`);
    proxy.cutOn = null;
    await new Promise((resolve) => setTimeout(resolve, 600));
    await writer.upsert(users(30, 1, 'unheard'));
    await writer.flush();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(heard).toEqual([]); // the refused listener was not kept, nor a reconnect loop started for it
    const again: (bigint[] | null)[] = [];
    const off = await listening.onPeerChanges((changes) => again.push(changes ? [...changes.ids] : null));
    await writer.upsert(users(40, 1, 'heard'));
    await writer.flush();
    await expect.poll(() => again, { timeout: 5000, interval: 10 }).toEqual([[40n]]);
    off();
    await end();
  });
});

describe.skipIf(!PG_URL)('a listening connection that dies without closing', () => {
  it('is found by its ping, dropped and opened again: listeners hear that anything may have changed', async () => {
    const { proxy, listening, writer, end } = await listenerBehindProxy('ping', {
      listenPingMs: 200,
      queryTimeoutMs: 300,
    });
    const heard: (bigint[] | null)[] = [];
    const off = await listening.onPeerChanges((changes) => heard.push(changes ? [...changes.ids] : null));
    await writer.upsert(users(10, 1, 'seen'));
    await writer.flush();
    await expect.poll(() => heard, { timeout: 5000, interval: 10 }).toEqual([[10n]]);
    proxy.stall = true; // a partition: nothing passes, nothing closes
    await writer.upsert(users(20, 1, 'lost'));
    await writer.flush(); // its notification is lost in the partition
    await new Promise((resolve) => setTimeout(resolve, 1000));
    proxy.stall = false;
    await expect.poll(() => heard, { timeout: 10_000, interval: 20 }).toContainEqual(null);
    expect(heard[0]).toEqual([10n]);
    off();
    await end();
  });
});

describe.skipIf(!PG_URL)('a record PostgreSQL refuses', () => {
  it('classifies a value the server refuses (NUL in text, 22021) as the data’s fault, not worth a retry', async () => {
    const storage = await openPostgresStorage({ url: PG_URL as string, schema: freshSchema('nul') });
    const record = sampleRecord(5n, { usernames: [], firstName: 'A\0nn' });
    const error = await caught(() => storage.transaction((tx) => tx.peers.upsertMany([record])));
    expect(error).toBeInstanceOf(PostgresStorageError);
    expect(error).toMatchObject({ failure: 'rejected', causeCode: '22021', kind: 'record', attempts: 1 });
    await storage.close();
  });

  it('sets the refused peer aside, tells it by id, and stores every other one (a real constraint)', async () => {
    const schema = freshSchema('poison');
    const storage = await openPostgresStorage({ url: PG_URL as string, schema });
    await storage.close();
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(
      `ALTER TABLE "${schema}".peers ADD CONSTRAINT no_poison CHECK (first_name IS DISTINCT FROM 'U6')`,
    );
    await admin.end();
    const reopened = await openPostgresStorage({ url: PG_URL as string, schema });
    const errors: StorageError[] = [];
    const cache = new PeerCache({ storage: reopened, onError: (e) => errors.push(e) });
    await cache.upsert(users(1, 40, 'poison')); // id 7 is named U6
    await cache.flush();
    await cache.upsert(users(100, 5, 'after'));
    await cache.close(); // nothing left pending: close() resolves
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'STORAGE_RECORD_REJECTED', peerIds: [7n] });
    expect(errors[0]?.message).toContain('no_poison');
    const direct = await openPostgresStorage({ url: PG_URL as string, schema });
    expect(await direct.peers.count()).toBe(44);
    expect(await direct.peers.get(7n)).toBeUndefined();
    expect(await direct.usernames.resolveMany(['poison_7', 'poison_8'])).toEqual(new Map([['poison_8', 8n]]));
    await direct.close();
  });
});

describe.skipIf(!PG_URL)('a transaction that cannot begin, take its locks or commit', () => {
  const url = new URL(PG_URL ?? 'postgres://x@localhost:5432/x');

  async function behindProxy(tag: string, options: Partial<Parameters<typeof openPostgresStorage>[0]> = {}) {
    const proxy = new TcpProxy(await freePort(), { host: url.hostname, port: Number(url.port || 5432) });
    await proxy.up();
    const via = new URL(url);
    via.port = String(proxy.port);
    const storage = await openPostgresStorage({
      url: via.toString(),
      schema: freshSchema(tag),
      retryAttempts: 2,
      retryBaseDelayMs: 5,
      connectTimeoutMs: 1000,
      ...options,
    });
    return { proxy, storage, target: `${url.hostname}:${proxy.port}${url.pathname}` };
  }

  /** The settled outcome of `run`, or a failure of the test if it is still pending after `ms`. */
  async function settles(run: () => Promise<unknown>, ms = 20_000): Promise<unknown> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const pending = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([caught(run), pending]);
    } finally {
      clearTimeout(timer);
    }
  }

  for (const statement of ['BEGIN', 'COMMIT']) {
    it(`reports a connection cut at each ${statement} as unavailable and transient, naming the server`, async () => {
      const { proxy, storage, target } = await behindProxy(statement.toLowerCase());
      proxy.cutOn = statement;
      const error = await settles(() => storage.transaction((tx) => tx.state.set('k', 'v')));
      expect(error).toBeInstanceOf(PostgresStorageError);
      expect(error).toMatchObject({ failure: 'unavailable', transient: true, attempts: 2 });
      expect((error as Error).message).toContain(`PostgreSQL at ${target} is unavailable (after 2 tries)`);
      expect((error as Error).message).not.toContain(url.password);
      proxy.cutOn = null;
      expect(await storage.state.get('k')).toBeUndefined(); // nothing committed
      await storage.close();
      await proxy.down();
    });
  }

  it('stores a batch once when the answer to its COMMIT is lost and the retry runs it again', async () => {
    const { proxy, storage } = await behindProxy('lostcommit', { retryAttempts: 3 });
    const cache = new PeerCache({ storage, flushDelayMs: 1000 });
    await cache.upsert(users(1, 50, 'first'));
    await cache.flush();
    await cache.upsert(users(1, 50, 'renamed'));
    proxy.loseAnswerTo = 'COMMIT'; // the batch commits, and pm cannot know it did
    await cache.flush();
    expect(proxy.answersLost).toBe(1);
    await expectRenamedOnce(storage, 50);
    await cache.close();
    await proxy.down();
  });

  it('reports a lock another connection holds past lock_timeout as transient, after its retries', async () => {
    const schema = freshSchema('lock');
    const pool = new pg.Pool({ connectionString: PG_URL, max: 2, options: '-c lock_timeout=100' });
    const storage = await openPostgresStorage({ pool, schema, retryAttempts: 2, retryBaseDelayMs: 5 });
    const holder = new pg.Client({ connectionString: PG_URL });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query(`LOCK TABLE "${schema}".kv IN ACCESS EXCLUSIVE MODE`);
    const error = await settles(() => storage.transaction((tx) => tx.state.set('k', 'v')));
    expect(error).toBeInstanceOf(PostgresStorageError);
    expect(error).toMatchObject({ causeCode: '55P03', transient: true, kind: 'transient', attempts: 2 });
    expect((error as Error).message).toMatch(
      new RegExp(
        `^PostgreSQL at ${url.hostname}:${url.port}${url.pathname} could not get a lock another connection holds \\(after 2 tries\\): canceling statement due to lock timeout \\[55P03\\]$`,
      ),
    );
    // Released: the same write goes through.
    await holder.query('ROLLBACK');
    await storage.transaction((tx) => tx.state.set('k', 'v'));
    expect(await storage.state.get('k')).toBe('v');
    await holder.end();
    await storage.close();
    await pool.end();
  });

  it('gives up on a server that stops answering mid-transaction within queryTimeoutMs, as unavailable', async () => {
    const { proxy, storage, target } = await behindProxy('stall', { queryTimeoutMs: 300 });
    await storage.transaction((tx) => tx.state.set('before', '1'));
    proxy.stall = true;
    const write = await settles(() => storage.transaction((tx) => tx.state.set('k', 'v')));
    expect(write).toBeInstanceOf(PostgresStorageError);
    expect(write).toMatchObject({ failure: 'unavailable', transient: true, attempts: 2 });
    expect((write as Error).message).toContain(`PostgreSQL at ${target} is unavailable (after 2 tries)`);
    const read = await settles(() => storage.state.get('before'));
    expect(read).toMatchObject({ failure: 'unavailable', transient: true });
    proxy.stall = false;
    proxy.cutAll(); // the stalled connections are gone; new ones answer
    expect(await storage.state.get('before')).toBe('1');
    expect(await storage.state.get('k')).toBeUndefined();
    await storage.close();
    await proxy.down();
  });
});
