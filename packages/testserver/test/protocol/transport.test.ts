import 'telegram'; // load GramJS through its index first: its deep modules have import cycles
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { Logger, LogLevel } from 'telegram/extensions/Logger.js';
import { AbridgedPacketCodec } from 'telegram/network/connection/TCPAbridged.js';
import { FullPacketCodec } from 'telegram/network/connection/TCPFull.js';
import { ConnectionTCPObfuscated } from 'telegram/network/connection/TCPObfuscated.js';
import { describe, expect, it } from 'vitest';
import type { TLObject } from '../../src/backend.js';
import { DEFAULT_CODEC_LIMITS, type FrameCodec } from '../../src/transport/codec.js';
import { detectTransport } from '../../src/transport/detect.js';
import { TransportError } from '../../src/transport/transport-error.js';
import { ConnectionTCPObfuscatedIntermediate } from './helpers.js';

/** Stands in for GramJS's socket: collects writes, serves reads from `incoming`. */
class FakeSocket {
  written: Buffer[] = [];
  incoming: Buffer = Buffer.alloc(0);
  write(data: Buffer): void {
    this.written.push(Buffer.from(data));
  }
  async readExactly(n: number): Promise<Buffer> {
    const out = this.incoming.subarray(0, n);
    this.incoming = this.incoming.subarray(n);
    return out;
  }
  async read(n: number): Promise<Buffer> {
    return this.readExactly(n);
  }
}

/** The client side of one framing, built from GramJS's own codecs where GramJS has them. */
interface ClientSide {
  init(): Promise<Buffer>;
  encode(payload: Buffer): Buffer;
  decode(bytes: Buffer): Promise<Buffer>;
}

function plainCodec(codec: TLObject, tag: Buffer): ClientSide {
  return {
    init: async () => tag,
    encode: (p) => codec.encodePacket(p),
    decode: async (bytes) => {
      const socket = new FakeSocket();
      socket.incoming = bytes;
      return codec.readPacket(socket);
    },
  };
}

function intermediate(tag: string): ClientSide {
  return {
    init: async () => Buffer.from(tag, 'hex'),
    encode: (p) => {
      const length = Buffer.alloc(4);
      length.writeInt32LE(p.length, 0);
      return Buffer.concat([length, p]);
    },
    decode: async (bytes) => bytes.subarray(4, 4 + bytes.readInt32LE(0)),
  };
}

function obfuscated(connectionClass: typeof ConnectionTCPObfuscated): ClientSide {
  const connection: TLObject = new connectionClass({
    ip: '127.0.0.1',
    port: 80,
    dcId: 2,
    loggers: new Logger(LogLevel.NONE),
    socket: FakeSocket as TLObject,
  } as TLObject);
  const io: TLObject = new connection.ObfuscatedIO(connection);
  const codec: TLObject = new connection.PacketCodecClass(connection);
  const socket = connection.socket as FakeSocket;
  return {
    init: async () => {
      await io.initHeader();
      return io.header;
    },
    encode: (p) => {
      io.write(codec.encodePacket(p));
      return socket.written.pop()!;
    },
    decode: async (bytes) => {
      socket.incoming = bytes;
      return codec.readPacket(io);
    },
  };
}

const framings: Array<[string, () => ClientSide, string]> = [
  ['full', () => plainCodec(new FullPacketCodec(null as TLObject), Buffer.alloc(0)), 'full'],
  ['abridged', () => plainCodec(new AbridgedPacketCodec(null), Buffer.from([0xef])), 'abridged'],
  ['intermediate', () => intermediate('eeeeeeee'), 'intermediate'],
  ['obfuscated abridged', () => obfuscated(ConnectionTCPObfuscated), 'obfuscated-abridged'],
  [
    'obfuscated intermediate',
    () => obfuscated(ConnectionTCPObfuscatedIntermediate),
    'obfuscated-intermediate',
  ],
];

/** An encrypted-message-shaped payload: nonzero auth_key_id, msg_key, 16k bytes. */
function payloadOf(blocks: number): Buffer {
  const p = randomBytes(24 + 16 * blocks);
  p[0] = 1;
  return p;
}

/** Splits `bytes` at the given cut points. */
function chunks(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let last = 0;
  for (const p of points) {
    out.push(bytes.subarray(last, p));
    last = p;
  }
  out.push(bytes.subarray(last));
  return out;
}

function serverSide(head: Buffer): { codec: FrameCodec; rest: Buffer } {
  const detected = detectTransport(head, DEFAULT_CODEC_LIMITS);
  if (!detected) throw new Error('not detected');
  return { codec: detected.codec, rest: head.subarray(detected.consumed) };
}

describe('transport framings against GramJS codecs', () => {
  it.each(framings)(
    '%s: detects the framing and round-trips payloads split anywhere',
    async (_name, make, kind) => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 4 }),
          fc.array(fc.nat(), { maxLength: 8 }),
          async (sizes, cuts) => {
            const client = make();
            const payloads = sizes.map(payloadOf);
            const stream = Buffer.concat([await client.init(), ...payloads.map((p) => client.encode(p))]);
            const head = stream.subarray(0, 64);
            const { codec, rest } = serverSide(head);
            expect(codec.kind).toBe(kind);
            const received: Buffer[] = [];
            for (const chunk of chunks(Buffer.concat([rest, stream.subarray(64)]), cuts)) {
              received.push(...codec.decode(chunk));
            }
            expect(received.map((b) => b.toString('hex'))).toEqual(payloads.map((b) => b.toString('hex')));
            for (const p of payloads) expect((await client.decode(codec.encode(p))).equals(p)).toBe(true);
          },
        ),
        { numRuns: 25 },
      );
    },
  );

  it('padded intermediate strips the random tail of encrypted and plain messages', () => {
    const { codec } = serverSide(Buffer.from('dddddddd', 'hex'));
    const encrypted = payloadOf(3);
    const plain = Buffer.alloc(20 + 8, 0);
    plain.writeInt32LE(8, 16);
    for (const p of [encrypted, plain]) {
      const padding = randomBytes(13);
      const length = Buffer.alloc(4);
      length.writeInt32LE(p.length + padding.length, 0);
      expect(codec.decode(Buffer.concat([length, p, padding]))[0]!.equals(p)).toBe(true);
    }
    const framed = codec.encode(encrypted);
    expect(framed.readInt32LE(0)).toBe(framed.length - 4);
  });

  it('full: refuses a bad crc32, a wrong sequence number and an oversized length', () => {
    const good = new FullPacketCodec(null as TLObject);
    const frame = good.encodePacket(payloadOf(1));
    const badCrc = Buffer.from(frame);
    badCrc[badCrc.length - 1]! ^= 1;
    expect(() => serverSide(badCrc).codec.decode(badCrc.subarray(0))).toThrow(TransportError);
    const second = good.encodePacket(payloadOf(1)); // seq 1 first: wrong
    const { codec } = serverSide(frame);
    codec.decode(frame);
    codec.decode(second);
    expect(() => codec.decode(good.encodePacket(payloadOf(1)).fill(0, 4, 8))).toThrow(/sequence number/);
    const huge = Buffer.alloc(8);
    huge.writeInt32LE(64 * 1024 * 1024, 0);
    expect(() => serverSide(Buffer.concat([huge, Buffer.alloc(8)])).codec.decode(huge)).toThrow(
      /bad packet length/,
    );
  });

  it('waits for enough bytes before deciding, and refuses HTTP and unknown obfuscation tags', () => {
    expect(detectTransport(Buffer.from([0x28, 0, 0]), DEFAULT_CODEC_LIMITS)).toBeUndefined();
    expect(detectTransport(Buffer.from('28000000', 'hex'), DEFAULT_CODEC_LIMITS)).toBeUndefined();
    expect(detectTransport(randomBytes(40).fill(1, 4, 8), DEFAULT_CODEC_LIMITS)).toBeUndefined();
    expect(() => detectTransport(Buffer.from('POST /api HTTP/1.1'), DEFAULT_CODEC_LIMITS)).toThrow(/HTTP/);
    expect(() => detectTransport(Buffer.alloc(64, 0x41), DEFAULT_CODEC_LIMITS)).toThrow(
      /unknown protocol tag/,
    );
  });
});
