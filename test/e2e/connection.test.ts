import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConnectionLostError,
  type ConnectionState,
  type PmClient,
  RpcCallError,
  SessionInvalidError,
} from '@pm/core';
import type { BotHandle, TestServer, UserHandle } from '@pm/testserver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectBot, eventually, startWorld } from './helpers.js';

/**
 * The connection supervisor against a real loopback Telegram: outages, frozen servers, forgotten keys. Client
 * durations are scaled (pings every 750 ms, pongs due within 500 ms) so each case takes a few seconds.
 */
const CONNECTION = { timeScale: 0.05, connectTimeoutMs: 3000, callTimeoutMs: 15_000 } as const;

let tg: TestServer;
let bot: BotHandle;
let client: PmClient;
let dir: string;

beforeEach(async () => {
  ({ tg, bot } = await startWorld({ timeScale: 0.05 }));
  dir = await mkdtemp(join(tmpdir(), 'pm-conn-'));
});

afterEach(async () => {
  await client?.disconnect().catch(() => {});
  await tg.stop();
  await rm(dir, { recursive: true, force: true });
});

function states(c: PmClient): ConnectionState[] {
  const out: ConnectionState[] = [];
  c.on('connectionState', (s) => {
    out.push(s);
  });
  return out;
}

async function startedUser(name: string): Promise<UserHandle> {
  const u = tg.createUser({ firstName: name, username: `${name.toLowerCase()}_user` });
  u.start();
  await eventually(async () => expect(await client.dialogs.get(u.id)).toBeDefined());
  return u;
}

describe('outages', () => {
  it('holds calls made while the server is down and answers them once it is back', async () => {
    client = await connectBot(tg, bot.token, { connection: CONNECTION });
    const ann = await startedUser('Ann');
    const seen = states(client);
    await tg.goOffline();
    await eventually(() => expect(client.connectionState.state).not.toBe('ready'));
    const bea = tg.createUser({ firstName: 'Bea', username: 'bea_down' }); // unknown to the bot: a network look-up
    const pending = [
      client.send(ann.id, 'during the outage'),
      client.resolveUser('@bea_down'),
      client.canMessage(ann.id),
    ];
    await new Promise((r) => setTimeout(r, 1500));
    await tg.comeBack();
    const [sent, resolved, can] = await Promise.all(pending);
    expect(sent).toMatchObject({ ok: true, peerId: ann.id });
    expect(resolved).toMatchObject({ id: bea.id });
    expect(can).toEqual({ ok: true });
    expect(tg.inbox(ann).map((m) => m.text)).toEqual(['during the outage']);
    expect(client.connectionState).toMatchObject({ state: 'ready', reconnects: 1 });
    const names = seen.map((s) => s.state);
    expect(names).toContain('waiting');
    expect(names.at(-1)).toBe('ready');
    const waiting = seen.find((s) => s.state === 'waiting');
    expect(waiting).toMatchObject({ nextAttemptAt: expect.any(Number), reason: expect.any(String) });
  });

  it('settles every call at its deadline while the server stays away, then works again after it returns', async () => {
    client = await connectBot(tg, bot.token, { connection: CONNECTION });
    const ann = await startedUser('Ann');
    tg.createUser({ firstName: 'Cy', username: 'cy_far' });
    await tg.goOffline();
    const t0 = Date.now();
    const [sent, resolved, can] = await Promise.allSettled([
      client.send(ann.id, { text: 'too late', timeoutMs: 600 }),
      client.resolveUser('@cy_far', { timeoutMs: 600 }),
      client.canMessage(ann.id, { timeoutMs: 600 }),
    ]);
    const took = Date.now() - t0;
    expect(sent).toMatchObject({ status: 'fulfilled', value: { ok: false, reason: 'network' } });
    expect(resolved.status).toBe('rejected');
    expect((resolved as PromiseRejectedResult).reason).toBeInstanceOf(ConnectionLostError);
    expect((can as PromiseRejectedResult).reason).toBeInstanceOf(ConnectionLostError);
    expect((can as PromiseRejectedResult).reason).toMatchObject({ reason: 'timeout', timeoutMs: 600 });
    expect(took).toBeLessThan(5000);
    await tg.comeBack();
    expect(await client.send(ann.id, 'back')).toMatchObject({ ok: true });
    expect(tg.inbox(ann).map((m) => m.text)).toEqual(['back']);
  });

  it('delivers what happened during the outage once, through getDifference', async () => {
    client = await connectBot(tg, bot.token, { connection: CONNECTION });
    const ann = await startedUser('Ann');
    const texts: string[] = [];
    client.on('message', (e) => {
      texts.push(e.text);
    });
    await tg.goOffline();
    ann.send('one');
    ann.send('two');
    await tg.comeBack();
    ann.send('three');
    await eventually(() => expect(texts).toEqual(['one', 'two', 'three']), 10_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(texts).toEqual(['one', 'two', 'three']);
  });
});

describe('dead sockets', () => {
  it('replaces a connection that stays open but stops answering, and sends a held message once', async () => {
    client = await connectBot(tg, bot.token, { connection: CONNECTION });
    const ann = await startedUser('Ann');
    const seen = states(client);
    tg.freeze();
    const sending = client.send(ann.id, 'through the freeze');
    // Pings every 750 ms, answers due within 500 ms: the frozen connection is given up within ~1.25 s.
    await eventually(() => expect(seen.map((s) => s.state)).toContain('connecting'), 5000);
    expect(tg.gatewayCounters?.connectionsOpen).toBeGreaterThan(0); // the server never closed anything
    tg.unfreeze();
    const sent = await sending;
    expect(sent).toMatchObject({ ok: true });
    // The first copy may have been read from the frozen connection after all: the retry kept its random_id.
    expect(tg.inbox(ann).map((m) => m.text)).toEqual(['through the freeze']);
    await eventually(() => expect(client.connectionState.state).toBe('ready'));
  });
});

describe('sessions the server no longer accepts', () => {
  it('stops with SessionInvalidError when the server forgets the auth key, settling pending calls', async () => {
    client = await connectBot(tg, bot.token, { connection: CONNECTION });
    const ann = await startedUser('Ann');
    const errors: unknown[] = [];
    client.on('error', (e) => {
      errors.push(e.error);
    });
    tg.forgetAuthKeys();
    const err = await client.canMessage(ann.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SessionInvalidError);
    expect((err as Error).message).toContain('pm login');
    await eventually(() => expect(client.connectionState).toMatchObject({ state: 'stopped' }));
    expect(errors.some((e) => e instanceof SessionInvalidError)).toBe(true);
    // Later calls fail at once with the same error; none waits.
    expect(await client.send(ann.id, 'x').catch((e: unknown) => e)).toBeInstanceOf(SessionInvalidError);
  });

  it('does not stop a new session that calls before logging in (it is merely unregistered)', async () => {
    client = await connectBot(tg, undefined, { connection: CONNECTION });
    const early = await client.resolveUser('@nobody_here').catch((e: unknown) => e);
    expect(early).toBeInstanceOf(RpcCallError);
    expect(early).not.toBeInstanceOf(SessionInvalidError);
    expect(client.connectionState.state).toBe('ready');
    await client.loginAsBot(bot.token);
    expect(client.me.id).toBe(bot.id);
  });

  it('refuses to connect with a session the restarted server no longer knows', async () => {
    const session = join(dir, 'bot.session');
    client = await connectBot(tg, bot.token, { session, connection: CONNECTION });
    await client.disconnect();
    await tg.restart({ keepState: false });
    const err = await connectBot(tg, undefined, { session, connection: CONNECTION }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SessionInvalidError);
    expect((err as SessionInvalidError).reason).toContain('-404');
  });

  it('notices a revoked token within a few pings even when the bot makes no call', async () => {
    client = await connectBot(tg, bot.token, { connection: CONNECTION });
    const errors: unknown[] = [];
    client.on('error', (e) => {
      errors.push(e.error);
    });
    tg.revokeBotToken(bot);
    // Pings every 750 ms; every fourth asks updates.getState: stopped within about 3 s, without any call.
    await eventually(() => expect(client.connectionState.state).toBe('stopped'), 10_000);
    expect(client.connectionState).toMatchObject({ error: { reason: 'SESSION_REVOKED' } });
    expect(errors.some((e) => e instanceof SessionInvalidError)).toBe(true);
  });

  it('stops with SessionInvalidError once the bot token is revoked', async () => {
    client = await connectBot(tg, bot.token, { connection: CONNECTION });
    const ann = await startedUser('Ann');
    const renewed = tg.revokeBotToken(bot);
    expect(renewed.token).not.toBe(bot.token);
    const err = await client.send(ann.id, 'after revoke').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SessionInvalidError);
    expect((err as SessionInvalidError).reason).toBe('SESSION_REVOKED');
    await eventually(() => expect(client.connectionState.state).toBe('stopped'));
    expect(tg.inbox(ann)).toEqual([]);
  });
});
