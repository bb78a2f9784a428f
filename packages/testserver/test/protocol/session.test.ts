import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import bigInt from 'big-integer';
import { Api } from 'telegram';
import { AuthKey } from 'telegram/crypto/AuthKey.js';
import { serializeBytes } from 'telegram/tl/generationHelpers.js';
import { describe, expect, it } from 'vitest';
import { authKeyIdOf } from '../../src/auth/auth-key-store.js';
import type { Gateway } from '../../src/gateway.js';
import { useFixture } from './fixture.js';
import { waitFor } from './helpers.js';
import { isResultFor, isRpcResult, ping, RawSession, type Received, resultBody } from './raw-client.js';

const fx = useFixture();

/** A gateway plus an auth key made by a real GramJS DH exchange. */
async function setup(options = {}) {
  const started = await fx.gateway(options);
  const client = await fx.client(started.gw);
  const authKey = client.session.getAuthKey()!;
  await client.destroy(); // only the raw sessions of the test remain on this key
  await waitFor(() => started.gw.counters.connectionsOpen === 0);
  return { ...started, authKey };
}

async function open(gw: Gateway, authKey: AuthKey, salted = true): Promise<RawSession> {
  const session = await RawSession.open(gw, authKey, salted);
  fx.defer(async () => session.close());
  return session;
}

const is =
  (cls: abstract new (...args: any[]) => unknown) =>
  (m: Received): boolean =>
    m.obj instanceof cls;

function sleepyHandler(ms: number, answer: () => unknown) {
  return async () => {
    await new Promise((r) => setTimeout(r, ms));
    return answer();
  };
}

describe('MTProto session rules', () => {
  it('answers a wrong salt with bad_server_salt, then announces the session and answers ping with pong', async () => {
    const { gw, authKey } = await setup();
    const s = await open(gw, authKey, false);
    const [first] = await s.send([{ body: ping(7n) }]);
    const bad = await s.next(is(Api.BadServerSalt));
    expect(bad.obj.badMsgId.toString()).toBe(first!.toString());
    expect(bad.obj.errorCode).toBe(48);
    expect(bad.msgId % 4n).toBe(1n);
    s.state.salt = bad.obj.newServerSalt;

    const [second] = await s.send([{ body: ping(8n) }]);
    const created = await s.next(is(Api.NewSessionCreated));
    expect(created.obj.firstMsgId.toString()).toBe(second!.toString());
    expect(created.obj.serverSalt.toString()).toBe(bad.obj.newServerSalt.toString());
    expect(created.msgId % 4n).toBe(3n);
    expect(created.seqNo % 2).toBe(1);
    const pong = await s.next(is(Api.Pong));
    expect(pong.obj.msgId.toString()).toBe(second!.toString());
    expect(pong.obj.pingId.toString()).toBe('8');
    expect(pong.msgId % 4n).toBe(1n);
  });

  it.each([
    ['not divisible by 4', (id: bigint) => id + 1n, 18],
    ['more than 300 s old', (id: bigint) => id - (400n << 32n), 16],
    ['more than 30 s in the future', (id: bigint) => id + (60n << 32n), 17],
  ])('rejects a msg_id %s with bad_msg_notification', async (_name, mutate, code) => {
    const { gw, authKey } = await setup();
    const s = await open(gw, authKey);
    const msgId = mutate(s.newMsgId());
    await s.send([{ body: ping(1n), msgId }]);
    const bad = await s.next(is(Api.BadMsgNotification));
    expect(bad.obj.errorCode).toBe(code);
    expect(bad.obj.badMsgId.toString()).toBe(msgId.toString());
  });

  it('checks seqno parity of queries and containers, and order', async () => {
    const { gw, authKey } = await setup();
    const s = await open(gw, authKey);
    await s.send([{ body: new Api.help.GetNearestDc().getBytes(), seqNo: 2 }]);
    expect((await s.next(is(Api.BadMsgNotification))).obj.errorCode).toBe(35);
    const container = Buffer.alloc(8);
    container.writeUInt32LE(0x73f1f8dc, 0);
    await s.send([{ body: container, seqNo: 3 }]);
    expect((await s.next(is(Api.BadMsgNotification))).obj.errorCode).toBe(34);
    await s.send([{ body: ping(2n), seqNo: 21 }]);
    await s.next(is(Api.Pong));
    await s.send([{ body: ping(3n), seqNo: 11 }]);
    expect((await s.next(is(Api.BadMsgNotification))).obj.errorCode).toBe(32);
  });

  it('takes msgs_ack and msgs_state_req with an odd seqno, as mtcute sends them, and never acks an ack', async () => {
    const { gw, authKey } = await setup();
    const s = await open(gw, authKey);
    const [pingId] = await s.send([{ body: ping(1n) }]);
    await s.next(is(Api.Pong));
    await s.send([{ body: new Api.MsgsAck({ msgIds: [bigInt(1)] }).getBytes(), seqNo: 5 }]);
    await s.send([
      { body: new Api.MsgsStateReq({ msgIds: [bigInt(pingId!.toString())] }).getBytes(), seqNo: 7 },
    ]);
    const info = await s.next(is(Api.MsgsStateInfo));
    expect([...Buffer.from(info.obj.info, 'latin1')]).toEqual([4]);
    const later = await s.drain(300);
    expect(later.filter(is(Api.BadMsgNotification))).toEqual([]);
    expect(later.filter(is(Api.MsgsAck)).flatMap((m) => m.obj.msgIds.map(String))).toEqual([]);
  });

  it('answers a ping with an even seqno (0 on a fresh session), as Pyrogram sends it', async () => {
    const { gw, authKey } = await setup();
    const s = await open(gw, authKey, false);
    await s.send([{ body: ping(1n), seqNo: 0 }]);
    s.state.salt = (await s.next(is(Api.BadServerSalt))).obj.newServerSalt;
    await s.send([{ body: ping(2n), seqNo: 0 }]);
    const pong = await s.next(is(Api.Pong));
    expect(pong.obj.pingId.toString()).toBe('2');
    expect((await s.drain(150)).filter(is(Api.BadMsgNotification))).toEqual([]);
  });

  it('answers a duplicated msg_id once', async () => {
    const { gw, authKey } = await setup();
    const s = await open(gw, authKey);
    const msgId = s.newMsgId();
    await s.send([{ body: ping(5n), msgId, seqNo: 101 }]);
    await s.send([{ body: ping(5n), msgId, seqNo: 101 }]);
    const pongs = (await s.drain(150)).filter(is(Api.Pong));
    expect(pongs).toHaveLength(1);
  }, 10_000);

  it('answers get_future_salts with salts starting at the current one', async () => {
    const { gw, authKey } = await setup();
    const s = await open(gw, authKey);
    const [id] = await s.send([{ body: new Api.GetFutureSalts({ num: 3 }).getBytes() }]);
    // GramJS 2.26 cannot parse future_salts (its bare vector), so read it by hand.
    const { unparsed } = (await s.next((m) => 'unparsed' in m.obj)).obj as { unparsed: Buffer };
    expect(unparsed.readUInt32LE(0)).toBe(0xae500895);
    expect(unparsed.readBigInt64LE(4)).toBe(id);
    expect(unparsed.readInt32LE(16)).toBe(3);
    const salt = (i: number) => ({
      validSince: unparsed.readInt32LE(20 + i * 16),
      salt: unparsed.readBigInt64LE(28 + i * 16),
    });
    expect(salt(0).salt.toString()).toBe(s.state.salt.toString());
    expect(salt(1).validSince).toBeGreaterThan(salt(0).validSince);
  });

  it('destroys another session of the same auth key', async () => {
    const { gw, authKey } = await setup();
    const a = await open(gw, authKey);
    const b = await open(gw, authKey);
    const bId = bigInt((b.state as any).id.toString());
    await a.send([{ body: new Api.DestroySession({ sessionId: bId }).getBytes() }]);
    const ok = await a.next(is(Api.DestroySessionOk));
    expect(ok.obj.sessionId.toString()).toBe(bId.toString());
    await a.send([{ body: new Api.DestroySession({ sessionId: bigInt(424242) }).getBytes() }]);
    expect((await a.next(is(Api.DestroySessionNone))).obj.sessionId.toString()).toBe('424242');
  });

  it('answers msgs_state_req', async () => {
    const { gw, authKey } = await setup();
    const s = await open(gw, authKey);
    const [known] = await s.send([{ body: ping(9n) }]);
    await s.next(is(Api.Pong));
    const unknown = s.newMsgId();
    const future = s.newMsgId() + (100n << 32n);
    const ids = [known!, unknown, future].map((id) => bigInt(id.toString()));
    const [req] = await s.send([
      { body: new Api.MsgsStateReq({ msgIds: ids }).getBytes(), contentRelated: false },
    ]);
    const info = await s.next(is(Api.MsgsStateInfo));
    expect(info.obj.reqMsgId.toString()).toBe(req!.toString());
    expect([...Buffer.from(info.obj.info, 'latin1')]).toEqual([4, 2, 3]);
  });

  it('unpacks gzip_packed and containers, and refuses a nested container', async () => {
    const { gw, authKey } = await setup();
    const s = await open(gw, authKey);
    const plain = new Api.help.GetNearestDc().getBytes();
    const ctor = Buffer.alloc(4);
    ctor.writeUInt32LE(0x3072cfa1, 0);
    const packed = Buffer.concat([ctor, serializeBytes(gzipSync(plain))]);
    const [a, b] = await s.send([{ body: packed }, { body: ping(3n) }]);
    expect(resultBody(await s.next(isResultFor(a!)))).toBeInstanceOf(Api.NearestDc);
    expect((await s.next(is(Api.Pong))).obj.msgId.toString()).toBe(b!.toString());

    const inner = Buffer.alloc(8);
    inner.writeUInt32LE(0x73f1f8dc, 0);
    const nestedId = s.newMsgId();
    await s.send([{ body: inner, msgId: nestedId, contentRelated: false }, { body: ping(4n) }]);
    const bad = await s.next(is(Api.BadMsgNotification));
    expect(bad.obj.errorCode).toBe(64);
    expect(bad.obj.badMsgId.toString()).toBe(nestedId.toString());
  });

  it('answers invokeAfterMsg only after the earlier query', async () => {
    const { gw, authKey, backend } = await setup();
    backend.extra.set(
      'help.GetNearestDc',
      sleepyHandler(150, () => new Api.NearestDc({ country: 'US', thisDc: 2, nearestDc: 2 })),
    );
    const s = await open(gw, authKey);
    const firstId = s.newMsgId();
    const second = new Api.InvokeAfterMsg({
      msgId: bigInt(firstId.toString()),
      query: new Api.help.GetConfig(),
    });
    await s.send([
      { body: new Api.help.GetNearestDc().getBytes(), msgId: firstId },
      { body: second.getBytes() },
    ]);
    const results = [await s.next(isRpcResult)];
    results.push(await s.next(isRpcResult));
    expect(results[0]!.obj.reqMsgId.toString()).toBe(firstId.toString());
    expect(resultBody(results[1]!)).toBeInstanceOf(Api.Config);
  });

  it('drops the answer of a running query on rpc_drop_answer', async () => {
    const { gw, authKey, backend } = await setup();
    backend.extra.set(
      'help.GetNearestDc',
      sleepyHandler(150, () => new Api.NearestDc({ country: 'US', thisDc: 2, nearestDc: 2 })),
    );
    const s = await open(gw, authKey);
    const [slow] = await s.send([{ body: new Api.help.GetNearestDc().getBytes() }]);
    const [drop] = await s.send([
      { body: new Api.RpcDropAnswer({ reqMsgId: bigInt(slow!.toString()) }).getBytes() },
    ]);
    expect(resultBody(await s.next(isResultFor(drop!)))).toBeInstanceOf(Api.RpcAnswerDroppedRunning);
    const later = await s.drain(300);
    expect(later.filter(isResultFor(slow!))).toHaveLength(0);
  });

  it('acknowledges a slow query with msgs_ack before answering it', async () => {
    const { gw, authKey } = await setup({ ackDelayMs: 20 });
    const s = await open(gw, authKey);
    gw.setDelay(200);
    const [id] = await s.send([{ body: new Api.help.GetNearestDc().getBytes() }]);
    const ack = await s.next(is(Api.MsgsAck));
    const ackedAt = Date.now();
    expect(ack.obj.msgIds.map(String)).toContain(id!.toString());
    expect(resultBody(await s.next(isResultFor(id!)))).toBeInstanceOf(Api.NearestDc);
    expect(Date.now() - ackedAt).toBeGreaterThan(100);
  });

  it('pushes updates only to sessions that made a call outside invokeWithoutUpdates', async () => {
    const { gw, authKey } = await setup();
    const s = await open(gw, authKey);
    const authKeyId = authKeyIdOf(authKey.getKey()!);
    const update = new Api.UpdatesTooLong();
    const [quiet] = await s.send([
      { body: new Api.InvokeWithoutUpdates({ query: new Api.help.GetConfig() }).getBytes() },
    ]);
    await s.next(isResultFor(quiet!));
    expect(gw.pushToAuthKey(authKeyId, update)).toBe(0);
    const [loud] = await s.send([{ body: new Api.help.GetConfig().getBytes() }]);
    await s.next(isResultFor(loud!));
    expect(gw.pushToAuthKey(authKeyId, update)).toBe(1);
    const pushed = await s.next(is(Api.UpdatesTooLong));
    expect(pushed.msgId % 4n).toBe(3n);
    expect(pushed.seqNo % 2).toBe(1);
  });

  it('closes the connection when ping_delay_disconnect expires', async () => {
    const { gw, authKey } = await setup();
    const s = await open(gw, authKey);
    await s.send([
      { body: new Api.PingDelayDisconnect({ pingId: bigInt(1), disconnectDelay: 1 }).getBytes() },
    ]);
    await s.next(is(Api.Pong));
    const start = Date.now();
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (s.closed) {
          clearInterval(check);
          resolve();
        }
      }, 10);
    });
    expect(Date.now() - start).toBeGreaterThan(700);
  });

  it('works with a 255-byte auth key (GramJS keeps g_ab without its leading zero byte)', async () => {
    const key = Buffer.concat([Buffer.from([1]), randomBytes(254)]);
    const { gw } = await fx.gateway({ authKeys: { [authKeyIdOf(key)]: key.toString('base64') } });
    const authKey = new AuthKey();
    await authKey.setKey(key);
    const s = await open(gw, authKey);
    const [id] = await s.send([{ body: ping(77n) }]);
    expect((await s.next(is(Api.Pong))).obj.msgId.toString()).toBe(id!.toString());
  });

  it('answers -404 to a packet that does not decrypt under its auth key', async () => {
    const { gw, authKey } = await setup();
    const bytes = Buffer.from(authKey.getKey()!);
    bytes[20] = bytes[20]! ^ 0xff; // inside the part of the key MTProto 2.0 uses
    const forged = new AuthKey();
    await forged.setKey(bytes);
    (forged as any).keyId = authKey.keyId; // a known auth_key_id, but the wrong key material
    const s = await open(gw, forged, false);
    await s.send([{ body: ping(1n) }]);
    const error = await s.next((m) => 'transportError' in m.obj);
    expect(error.obj.transportError).toBe(-404);
    expect(gw.counters.transportErrors).toBe(1);
  });

  it('runs a query replayed on a new connection of the same session once, and serves the session on', async () => {
    const { gw, authKey, backend } = await setup();
    const first = await open(gw, authKey);
    const body = new Api.help.GetConfig().getBytes();
    const msgId = first.newMsgId();
    const seqNo = first.state._getSeqNo(true);
    await first.send([{ body, msgId, seqNo }]);
    await first.next(isResultFor(msgId));
    const calls = backend.calls.length;
    first.close();
    await waitFor(() => gw.counters.connectionsOpen === 0);

    // The same session id, salt, msg_id and seqno on a new connection: what a captured packet replays.
    const replay = await open(gw, authKey);
    const ids = (s: RawSession) => s.state as unknown as { id: unknown };
    ids(replay).id = ids(first).id;
    replay.state.salt = first.state.salt;
    await replay.send([{ body, msgId, seqNo }]);
    await expect(replay.next(isResultFor(msgId), 500)).rejects.toThrow(/no matching message/);
    expect(backend.calls.length).toBe(calls);
    // A new query on the resumed session is answered.
    const [next] = await replay.send([{ body }]);
    expect(resultBody(await replay.next(isResultFor(next!)))).toBeInstanceOf(Api.Config);
    expect(backend.calls.length).toBe(calls + 1);
  });
});
