/**
 * Against real Telegram: runs only when PM_LIVE_API_ID, PM_LIVE_API_HASH and PM_LIVE_BOT_TOKEN are set (a bot of
 * your own from @BotFather), skipped otherwise. Nothing here messages anyone: it logs in, resolves a public
 * username, probes a bot (answered without a network call) and checks the update state is fetched.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PmClient } from '@pm/core';
import { describe, expect, it } from 'vitest';

const apiId = process.env.PM_LIVE_API_ID;
const apiHash = process.env.PM_LIVE_API_HASH;
const token = process.env.PM_LIVE_BOT_TOKEN;
const live = Boolean(apiId && apiHash && token);
// The suite above shows as skipped; say why, as the PostgreSQL tests do.
if (!live)
  console.warn(
    'PM_LIVE_API_ID, PM_LIVE_API_HASH and PM_LIVE_BOT_TOKEN are not set: live Telegram tests skipped',
  );

describe.skipIf(!live)('real Telegram (PM_LIVE_* set)', () => {
  it('logs in as the bot, resolves @telegram from the network then from the cache, and starts updates', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pm-live-'));
    const client = await PmClient.connect({
      apiId: Number(apiId),
      apiHash: apiHash!,
      session: join(dir, 'live.session'),
      storage: `sqlite:${join(dir, 'live.db')}`,
    });
    try {
      const me = await client.loginAsBot(token!);
      expect(me.id).toBeGreaterThan(0n);
      await client.start();
      const tg = await client.resolvePeer('@telegram');
      expect(tg.accessHash).not.toBeNull();
      const lookups = client.networkLookups;
      expect((await client.resolvePeer('https://t.me/telegram')).id).toBe(tg.id);
      expect(client.networkLookups).toBe(lookups);
      const botfather = await client.resolveUser('@BotFather');
      expect(await client.canMessage(botfather.id)).toEqual({ ok: false, reason: 'isBot' });
    } finally {
      await client.disconnect();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
