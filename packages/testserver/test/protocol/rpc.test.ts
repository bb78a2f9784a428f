import { gzipSync } from 'node:zlib';
import bigInt from 'big-integer';
import { Api } from 'telegram';
import { RPCError } from 'telegram/errors/index.js';
import { serializeBytes } from 'telegram/tl/generationHelpers.js';
import { describe, expect, it } from 'vitest';
import { RpcError } from '../../src/backend.js';
import { useFixture } from './fixture.js';
import { makeConfig } from './helpers.js';

const fx = useFixture();

function gzipPacked(data: Buffer): Buffer {
  const ctor = Buffer.alloc(4);
  ctor.writeUInt32LE(0x3072cfa1, 0);
  return Buffer.concat([ctor, serializeBytes(gzipSync(data))]);
}

async function rejection(promise: Promise<unknown>): Promise<RPCError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RPCError);
  return error as RPCError;
}

describe('rpc through the gateway', () => {
  it('delivers an RpcError thrown by the backend as a GramJS RPCError with that message and code', async () => {
    const { gw, backend } = await fx.gateway();
    backend.extra.set('help.GetNearestDc', () => {
      throw new RpcError(403, 'SOMETHING_FORBIDDEN');
    });
    const client = await fx.client(gw);
    const error = await rejection(client.invoke(new Api.help.GetNearestDc()));
    expect(error.errorMessage).toBe('SOMETHING_FORBIDDEN');
    expect(error.code).toBe(403);
    expect(gw.counters.rpcErrors).toBe(1);
  });

  it('answers 500 INTERNAL when a handler throws something else, and reports it', async () => {
    const { gw, backend, errors } = await fx.gateway();
    backend.extra.set('help.GetNearestDc', () => {
      throw new TypeError('handler bug');
    });
    const client = await fx.client(gw);
    const error = await rejection(client.invoke(new Api.help.GetNearestDc()));
    expect(error.errorMessage).toBe('INTERNAL');
    expect(error.code).toBe(500);
    expect(errors).toHaveLength(1);
    expect(gw.counters.internalErrors).toBe(1);
    // The connection survives.
    expect(await client.invoke(new Api.help.GetConfig())).toBeInstanceOf(Api.Config);
  });

  it('answers 400 INPUT_METHOD_INVALID for a method the server cannot parse', async () => {
    const { gw } = await fx.gateway();
    const client = await fx.client(gw);
    const request = new Api.help.GetNearestDc();
    request.getBytes = () => Buffer.from('efbeadde', 'hex'); // 0xdeadbeef
    const error = await rejection(client.invoke(request));
    expect(error.errorMessage).toBe('INPUT_METHOD_INVALID');
    expect(error.code).toBe(400);
  });

  it('answers 400 INPUT_CONSTRUCTOR_INVALID for an unknown constructor inside a known method', async () => {
    const { gw } = await fx.gateway();
    const client = await fx.client(gw);
    const request = new Api.users.GetUsers({ id: [new Api.InputUserSelf()] });
    request.getBytes = () => Buffer.from('48a5910d15c4b51c01000000efbeadde', 'hex');
    const error = await rejection(client.invoke(request));
    expect(error.errorMessage).toBe('INPUT_CONSTRUCTOR_INVALID');
  });

  it('serializes Vector<int>, Vector<long> and Bool results from plain values', async () => {
    const { gw, backend } = await fx.gateway();
    backend.extra.set('contacts.GetContactIDs', () => [1, 2, 3]);
    backend.extra.set('messages.ReceivedQueue', () => [1n, bigInt(2), 3]);
    backend.extra.set('account.UpdateStatus', () => true);
    const client = await fx.client(gw);
    expect(await client.invoke(new Api.contacts.GetContactIDs({ hash: bigInt(0) }))).toEqual([1, 2, 3]);
    const queue = await client.invoke(new Api.messages.ReceivedQueue({ maxQts: 1 }));
    expect(queue.map(String)).toEqual(['1', '2', '3']);
    expect(await client.invoke(new Api.account.UpdateStatus({ offline: false }))).toBe(true);
  });

  it('answers 500 INTERNAL when a handler returns something that does not serialize', async () => {
    const { gw, backend, errors } = await fx.gateway();
    backend.extra.set('help.GetNearestDc', () => 'not an Api object');
    const client = await fx.client(gw);
    const error = await rejection(client.invoke(new Api.help.GetNearestDc()));
    expect(error.errorMessage).toBe('INTERNAL');
    expect(String(errors[0])).toMatch(/cannot serialize string as NearestDc/);
  });

  it('unpacks a gzip_packed request', async () => {
    const { gw, backend } = await fx.gateway();
    const client = await fx.client(gw);
    const request = new Api.help.GetNearestDc();
    const plain = request.getBytes();
    request.getBytes = () => gzipPacked(plain);
    const answer = await client.invoke(request);
    expect(answer).toBeInstanceOf(Api.NearestDc);
    expect(backend.calls.at(-1)).toBe('help.GetNearestDc');
  });

  it('sends a large answer gzip_packed and GramJS unpacks it', async () => {
    const { gw, backend } = await fx.gateway();
    const big = makeConfig('127.0.0.1');
    big.dcOptions = Array.from(
      { length: 2000 },
      (_, i) => new Api.DcOption({ id: 1 + (i % 5), ipAddress: '127.0.0.1', port: 443 }),
    );
    const rawSize = big.getBytes().length;
    backend.extra.set('help.GetConfig', () => big);
    const client = await fx.client(gw);
    const before = gw.counters.bytesOut;
    const config = await client.invoke(new Api.help.GetConfig());
    expect(config.dcOptions).toHaveLength(2000);
    expect(rawSize).toBeGreaterThan(40_000);
    expect(gw.counters.bytesOut - before).toBeLessThan(rawSize / 10);
  });

  it('handles a client msg_container and answers in a container', async () => {
    const { gw } = await fx.gateway();
    const client = await fx.client(gw);
    const before = { ...gw.counters };
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => client.invoke(new Api.help.GetNearestDc())),
    );
    expect(answers.every((a) => a instanceof Api.NearestDc)).toBe(true);
    expect(gw.counters.rpcCalls - before.rpcCalls).toBe(5);
    expect(gw.counters.packetsIn - before.packetsIn).toBeLessThan(5);
    expect(gw.counters.packetsOut - before.packetsOut).toBeLessThan(5);
  });

  it('delays answers with setDelay', async () => {
    const { gw } = await fx.gateway();
    const client = await fx.client(gw);
    gw.setDelay(250);
    const start = Date.now();
    await client.invoke(new Api.help.GetNearestDc());
    expect(Date.now() - start).toBeGreaterThanOrEqual(240);
    gw.setDelay(0);
  });
});
