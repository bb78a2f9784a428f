import { connect, type Socket } from 'node:net';
import bigInt from 'big-integer';
import { Api } from 'telegram';
import { describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { crc32 } from '../../src/tl.js';
import { useFixture } from './fixture.js';
import { waitFor } from './helpers.js';

const fx = useFixture();

/** Opens a raw socket, writes `bytes`, and resolves with everything received until the server closes. */
async function sendRaw(
  gw: Gateway,
  bytes: Buffer,
  timeoutMs = 2000,
): Promise<{ received: Buffer; closed: boolean }> {
  const socket: Socket = connect(gw.port, gw.address);
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(bytes);
  const closed = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  socket.destroy();
  return { received: Buffer.concat(chunks), closed };
}

function fullFrame(payload: Buffer, seq = 0, corruptCrc = false): Buffer {
  const frame = Buffer.alloc(payload.length + 12);
  frame.writeInt32LE(frame.length, 0);
  frame.writeInt32LE(seq, 4);
  payload.copy(frame, 8);
  frame.writeUInt32LE(
    (crc32(frame.subarray(0, frame.length - 4)) ^ (corruptCrc ? 1 : 0)) >>> 0,
    frame.length - 4,
  );
  return frame;
}

/** An "encrypted" message under an auth key id the server never issued. */
function unknownKeyPacket(): Buffer {
  const packet = Buffer.alloc(8 + 16 + 48, 7);
  packet.writeBigUInt64LE(0x1122334455667788n, 0);
  return packet;
}

function minus404InFull(): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeInt32LE(-404, 0);
  return fullFrame(payload);
}

describe('transport faults close only the offending connection', () => {
  const cases: Array<[string, Buffer, Buffer | undefined]> = [
    ['garbage bytes', Buffer.alloc(80, 0x41), undefined],
    ['an HTTP request', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), undefined],
    ['a full frame with a bad crc32', fullFrame(Buffer.alloc(24), 0, true), undefined],
    [
      'a full frame with a wrong sequence number',
      Buffer.concat([fullFrame(plainMessage(reqPqMulti())), fullFrame(plainMessage(reqPqMulti()), 5)]),
      undefined,
    ],
    ['a full frame with an impossible length', Buffer.from('0300000000000000', 'hex'), undefined],
    ['an intermediate frame with an absurd length', Buffer.from('eeeeeeeef0ffff7f', 'hex'), undefined],
    ['an unknown auth key id (full)', fullFrame(unknownKeyPacket()), minus404InFull()],
    [
      'an unknown auth key id (abridged)',
      Buffer.concat([Buffer.from([0xef, unknownKeyPacket().length / 4]), unknownKeyPacket()]),
      Buffer.from('016cfeffff', 'hex'),
    ],
    [
      'a plain message that is no key-exchange request',
      fullFrame(plainMessage(Buffer.from('efbeadde', 'hex'))),
      minus404InFull(),
    ],
  ];

  it.each(cases)('%s', async (_name, bytes, expected) => {
    const { gw } = await fx.gateway();
    const client = await fx.client(gw);
    const { received, closed } = await sendRaw(gw, bytes);
    expect(closed).toBe(true);
    if (expected) expect(received.equals(expected)).toBe(true);
    else expect(received.length).toBe(0);
    expect(gw.counters.transportErrors).toBe(1);
    // The well-behaved client on another connection is untouched.
    expect(await client.invoke(new Api.help.GetNearestDc())).toBeInstanceOf(Api.NearestDc);
    expect(gw.counters.connectionsOpen).toBe(1);
  });

  it('keeps serving new clients after many broken ones', async () => {
    const { gw } = await fx.gateway();
    await Promise.all(Array.from({ length: 20 }, (_, i) => sendRaw(gw, Buffer.alloc(70 + i, i + 1))));
    const client = await fx.client(gw);
    expect(await client.invoke(new Api.help.GetConfig())).toBeInstanceOf(Api.Config);
  });

  it('dropAllConnections destroys every socket and the GramJS client reconnects on its own', async () => {
    const { gw } = await fx.gateway();
    const client = await fx.client(gw);
    expect(gw.dropAllConnections()).toBe(1);
    await waitFor(() => gw.counters.connectionsOpen === 0);
    const answer = await client.invoke(new Api.help.GetNearestDc());
    expect(answer).toBeInstanceOf(Api.NearestDc);
    expect(gw.counters.connectionsAccepted).toBe(2);
    expect(gw.counters.authKeysCreated).toBe(1);
  });
});

function reqPqMulti(): Buffer {
  return new Api.ReqPqMulti({ nonce: bigInt(12345) }).getBytes();
}

function plainMessage(body: Buffer): Buffer {
  const header = Buffer.alloc(20);
  header.writeBigInt64LE(BigInt(Math.floor(Date.now() / 1000)) << 32n, 8);
  header.writeInt32LE(body.length, 16);
  return Buffer.concat([header, body]);
}
