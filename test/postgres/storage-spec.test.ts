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
});
