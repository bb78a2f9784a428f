import { randomBytes } from 'node:crypto';
import { Api, type TelegramClient } from 'telegram';
import { AuthKey } from 'telegram/crypto/AuthKey.js';
import {
  ConnectionTCPAbridged,
  ConnectionTCPFull,
  ConnectionTCPObfuscated,
} from 'telegram/network/connection/index.js';
import { StringSession } from 'telegram/sessions/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import { authKeyIdOf } from '../../src/auth/auth-key-store.js';
import type { Gateway } from '../../src/gateway.js';
import {
  API_ID,
  type ConnectionClass,
  ConnectionTCPIntermediate,
  ConnectionTCPObfuscatedIntermediate,
  connectClient,
  startGateway,
} from './helpers.js';

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function gateway(options = {}) {
  const started = await startGateway(options);
  cleanup.push(() => started.gw.stop());
  return started;
}

async function client(gw: Gateway, connection?: ConnectionClass, session?: string): Promise<TelegramClient> {
  const c = await connectClient(gw, connection, session);
  cleanup.push(() => c.destroy());
  return c;
}

/** A StringSession that already holds `key` (no DH on connect). */
async function sessionWithKey(key: Buffer): Promise<string> {
  const session = new StringSession('');
  session.setDC(2, '127.0.0.1', 443);
  const authKey = new AuthKey();
  await authKey.setKey(key);
  session.setAuthKey(authKey);
  return session.save();
}

const transports: Array<[string, ConnectionClass]> = [
  ['full', ConnectionTCPFull],
  ['intermediate', ConnectionTCPIntermediate],
  ['abridged', ConnectionTCPAbridged],
  ['obfuscated (abridged)', ConnectionTCPObfuscated],
  ['obfuscated (intermediate)', ConnectionTCPObfuscatedIntermediate],
];

describe('connecting an unmodified GramJS client', () => {
  it.each(transports)(
    'creates an auth key by DH and answers help.getConfig over %s',
    async (_name, connection) => {
      const { gw, backend } = await gateway();
      const c = await client(gw, connection);
      expect(gw.counters.authKeysCreated).toBe(1);
      // connect() itself sent invokeWithLayer(initConnection(help.getConfig)).
      expect(backend.calls).toEqual(['help.GetConfig']);
      const config = await c.invoke(new Api.help.GetConfig());
      expect(config).toBeInstanceOf(Api.Config);
      expect(config.dcOptions.every((dc) => dc.ipAddress === gw.address)).toBe(true);
      expect(gw.counters.badServerSalts).toBe(1); // GramJS starts with salt 0
      expect(gw.counters.newSessions).toBe(1);
    },
  );

  it('passes layer and initConnection data to the backend on the call context', async () => {
    const { gw, backend } = await gateway();
    const seen: unknown[] = [];
    backend.extra.set('help.GetNearestDc', (_req, ctx) => {
      seen.push(ctx);
      return new Api.NearestDc({ country: 'US', thisDc: 2, nearestDc: 2 });
    });
    const c = await client(gw);
    await c.invoke(new Api.help.GetNearestDc());
    const authKeyId = Object.keys(gw.exportAuthKeys())[0];
    expect(seen[0]).toMatchObject({ authKeyId, layer: 198, client: { apiId: API_ID, langPack: '' } });
  });

  it('logs a bot in with client.start({ botAuthToken }) and getMe works', async () => {
    const { gw, backend } = await gateway();
    const c = await client(gw);
    await c.start({ botAuthToken: '123:abc' });
    const me = await c.getMe();
    expect(me.username).toBe('test_bot');
    expect(backend.calls).toContain('auth.ImportBotAuthorization');
  });

  it('reuses the auth key when the same StringSession reconnects (no new DH)', async () => {
    const { gw } = await gateway();
    const first = await client(gw);
    const saved = (first.session as StringSession).save();
    await first.destroy();
    const second = await client(gw, ConnectionTCPFull, saved);
    await second.invoke(new Api.help.GetConfig());
    expect(gw.counters.authKeysCreated).toBe(1);
    expect(gw.counters.connectionsAccepted).toBe(2);
  });

  it('a restarted gateway given the exported auth keys still knows the client', async () => {
    const { gw } = await gateway();
    const first = await client(gw);
    const saved = (first.session as StringSession).save();
    await first.destroy();
    const keys = gw.exportAuthKeys();
    await gw.stop();

    const restarted = await gateway({ authKeys: keys });
    const second = await client(restarted.gw, ConnectionTCPFull, saved);
    await second.invoke(new Api.help.GetConfig());
    expect(restarted.gw.counters.authKeysCreated).toBe(0);
    expect(restarted.gw.counters.transportErrors).toBe(0);
  });

  it('serves a key whose g_ab starts with a zero byte to clients of both conventions', async () => {
    // One key in 256: GramJS, Telethon and mtcute encrypt with its 255 minimal bytes, Pyrogram and TDLib with
    // the spec's 256 (a leading zero byte): two auth_key_ids, two sets of message keys, one key on the server.
    const minimal = Buffer.concat([Buffer.from([0x5a]), randomBytes(254)]);
    const spec = Buffer.concat([Buffer.alloc(1), minimal]);
    const { gw } = await gateway({ authKeys: { [authKeyIdOf(minimal)]: minimal.toString('base64') } });
    for (const form of [minimal, spec]) {
      const c = await client(gw, ConnectionTCPFull, await sessionWithKey(form));
      expect(await c.invoke(new Api.help.GetNearestDc())).toBeInstanceOf(Api.NearestDc);
    }
    expect(gw.counters.authKeysCreated).toBe(0);
    expect(gw.counters.transportErrors).toBe(0);
  });

  it('calls onAuthKeyCreated for each new key', async () => {
    const created: string[] = [];
    const { gw } = await gateway({ onAuthKeyCreated: (id: string) => created.push(id) });
    await client(gw);
    expect(created).toHaveLength(1);
    expect(gw.hasAuthKey(created[0]!)).toBe(true);
  });

  it('follows a server clock that is off, and GramJS resyncs through bad_msg_notification', async () => {
    let offsetMs = 3_600_000; // the server is an hour ahead
    const { gw } = await gateway({ now: () => Date.now() + offsetMs });
    const c = await client(gw); // GramJS takes its time offset from server_DH_inner_data
    expect(await c.invoke(new Api.help.GetNearestDc())).toBeInstanceOf(Api.NearestDc);
    expect(gw.counters.badMsgNotifications).toBe(0);
    offsetMs += 600_000; // the server jumps 10 more minutes: the client's msg_ids are now too old
    expect(await c.invoke(new Api.help.GetNearestDc())).toBeInstanceOf(Api.NearestDc);
    expect(gw.counters.badMsgNotifications).toBe(1);
  });
});
