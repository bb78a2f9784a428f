/**
 * `storage: 'postgres://…'` works wherever `sqlite:` does: PmClient.connect and the CLI's --storage, through
 * @pm/storage-postgres loaded when named.
 */
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { openStorage, PmClient } from '@pm/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, pm } from '../cli/helpers.js';
import { API_HASH, API_ID, startWorld } from '../e2e/helpers.js';
import { PG_URL, SKIP_MESSAGE } from './helpers.js';

if (!PG_URL) console.warn(`storage-spec.test.ts: ${SKIP_MESSAGE}`);

const schema = `pm_spec_${randomBytes(4).toString('hex')}`;
const spec = `${PG_URL}${PG_URL?.includes('?') ? '&' : '?'}schema=${schema}`;

describe.skipIf(!PG_URL)('a postgres:// storage spec', () => {
  afterAll(async () => {
    const store = (await openStorage(spec)) as unknown as { driver: { read(sql: string): Promise<unknown> } };
    await store.driver.read(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await (store as unknown as { close(): Promise<void> }).close();
  });

  let world: Awaited<ReturnType<typeof startWorld>>;
  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(async () => {
    await world?.tg.stop();
  });

  it('PmClient.connect({ storage: "postgres://…" }) keeps the users the bot sees in PostgreSQL', async () => {
    const { tg, bot } = world;
    const ann = tg.createUser({ firstName: 'Ann', username: 'ann_pg_spec' });
    const client = await PmClient.connect({
      apiId: API_ID,
      apiHash: API_HASH,
      server: { host: tg.host, port: tg.port },
      storage: spec,
    });
    await client.loginAsBot(bot.token);
    const started = new Promise((r) => client.on('dialogStarted', r));
    await client.start();
    ann.start('pg');
    await started;
    expect(inspect(client)).toContain('storage: postgres');
    await client.disconnect();

    const r = await pm(['--storage', spec, 'peers', 'stats', '--json']);
    expect(r.code).toBe(0);
    expect(json(r)).toMatchObject({ ok: true, peers: 2, dialogs: { total: 1 } }); // the bot and Ann
    expect(r.stdout + r.stderr).not.toContain(new URL(PG_URL!).password);
  });

  it('a read-only command refuses a schema without a pm store (STORAGE_NOT_FOUND) and creates nothing in it', async () => {
    const typo = `pm_spec_typo_${randomBytes(4).toString('hex')}`;
    const url = new URL(PG_URL!);
    const typoSpec = `${PG_URL}${PG_URL?.includes('?') ? '&' : '?'}schema=${typo}`;
    const r = await pm(['--storage', typoSpec, '--json', 'peers', 'stats']);
    expect(r.code).toBe(1);
    expect(json(r)).toEqual({
      ok: false,
      error: 'STORAGE_NOT_FOUND',
      message: `No pm store in PostgreSQL at ${url.hostname}:${url.port}${url.pathname}, schema ${typo} (nothing was created): check the database and ?schema=; commands that write create it`,
    });
    expect(r.stdout + r.stderr).not.toContain(url.password);
    const store = (await openStorage(spec)) as unknown as {
      driver: { read(sql: string, values: unknown[]): Promise<{ rows: unknown[] }> };
      close(): Promise<void>;
    };
    try {
      const { rows } = await store.driver.read('SELECT 1 FROM pg_namespace WHERE nspname = $1', [typo]);
      expect(rows).toEqual([]); // not even the schema
    } finally {
      await store.close();
    }
    // The library's own option, and a store that exists.
    await expect(openStorage(typoSpec, { create: false })).rejects.toMatchObject({
      code: 'STORAGE_NOT_FOUND',
    });
    const existing = await openStorage(spec, { create: false });
    expect(await existing.peers.count()).toBe(2);
    await existing.close();
  });
});
