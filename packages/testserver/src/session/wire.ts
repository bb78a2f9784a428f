import { gunzipSync, gzipSync } from 'node:zlib';
import { serializeBytes } from '../tl.js';

/** Constructor ids of the MTProto service layer that the session handles itself. */
export const Ctor = {
  msgContainer: 0x73f1f8dc,
  gzipPacked: 0x3072cfa1,
  rpcResult: 0xf35c6d01,
  rpcError: 0x2144ca19,
  msgsAck: 0x62d6b459,
  badMsgNotification: 0xa7eff811,
  badServerSalt: 0xedab447b,
  newSessionCreated: 0x9ec20908,
  msgsStateReq: 0xda69fb52,
  msgsStateInfo: 0x04deb57d,
  msgsAllInfo: 0x8cc0d131,
  msgDetailedInfo: 0x276d3ec6,
  msgNewDetailedInfo: 0x809db6df,
  msgResendReq: 0x7d861a08,
  httpWait: 0x9299359f,
  ping: 0x7abe77ec,
  pingDelayDisconnect: 0xf3427b8c,
  pong: 0x347773c5,
  getFutureSalts: 0xb921bd04,
  futureSalts: 0xae500895,
  futureSalt: 0x0949d9dc,
  destroySession: 0xe7512126,
  destroySessionOk: 0xe22045fc,
  destroySessionNone: 0x62d350c9,
  rpcDropAnswer: 0x58e4a740,
  rpcAnswerUnknown: 0x5e2ad36e,
  rpcAnswerDroppedRunning: 0xcd78e586,
  rpcAnswerDropped: 0xa43ad8b7,
  vector: 0x1cb5c415,
} as const;

/**
 * How the seqno parity of a client message is checked, by constructor (MTProto: content-related messages carry
 * an odd seqno, the others an even one). Telegram is lenient with service messages, and clients that work
 * against it rely on that:
 * - mtcute numbers msgs_ack and msgs_state_req as content-related (odd seqno);
 * - Pyrogram/Kurigram number ping as not content-related (even seqno, 0 on a fresh session).
 * So service messages are accepted with either parity; a container must be even (34) and an RPC query odd (35),
 * where every client agrees.
 */
export const EITHER_PARITY: ReadonlySet<number> = new Set([
  Ctor.msgsAck,
  Ctor.httpWait,
  Ctor.msgsStateReq,
  Ctor.msgsStateInfo,
  Ctor.msgsAllInfo,
  Ctor.msgDetailedInfo,
  Ctor.msgNewDetailedInfo,
  Ctor.msgResendReq,
  Ctor.ping,
  Ctor.pingDelayDisconnect,
]);

/** Messages that must carry an even seqno (34 otherwise). */
export const NOT_CONTENT_RELATED: ReadonlySet<number> = new Set([Ctor.msgContainer]);

/** Shortest valid body (constructor id included) of the service queries the session answers itself. */
export const SERVICE_MIN_LENGTH: ReadonlyMap<number, number> = new Map([
  [Ctor.ping, 12],
  [Ctor.pingDelayDisconnect, 16],
  [Ctor.getFutureSalts, 8],
  [Ctor.destroySession, 12],
  [Ctor.rpcDropAnswer, 12],
  [Ctor.msgsStateReq, 12],
]);

/** A little TL writer for the handful of service messages written by hand. */
export class TlWriter {
  private readonly parts: Buffer[] = [];

  int(value: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32LE(value | 0, 0);
    this.parts.push(b);
    return this;
  }

  uint(value: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value >>> 0, 0);
    this.parts.push(b);
    return this;
  }

  long(value: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(BigInt.asIntN(64, value), 0);
    this.parts.push(b);
    return this;
  }

  bytes(value: Buffer | string): this {
    this.parts.push(serializeBytes(value));
    return this;
  }

  raw(value: Buffer): this {
    this.parts.push(value);
    return this;
  }

  longVector(values: readonly bigint[]): this {
    this.uint(Ctor.vector).int(values.length);
    for (const v of values) this.long(v);
    return this;
  }

  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** One message of a msg_container. */
export interface ContainedMessage {
  readonly msgId: bigint;
  readonly seqNo: number;
  readonly body: Buffer;
}

/** Splits a msg_container body (after its constructor id). Returns `undefined` when it is malformed. */
export function parseContainer(body: Buffer): ContainedMessage[] | undefined {
  if (body.length < 8) return undefined;
  const count = body.readInt32LE(4);
  if (count < 0 || count > 1024) return undefined;
  const out: ContainedMessage[] = [];
  let offset = 8;
  for (let i = 0; i < count; i++) {
    if (offset + 16 > body.length) return undefined;
    const msgId = body.readBigInt64LE(offset);
    const seqNo = body.readInt32LE(offset + 8);
    const length = body.readInt32LE(offset + 12);
    offset += 16;
    if (length < 4 || length % 4 !== 0 || offset + length > body.length) return undefined;
    out.push({ msgId, seqNo, body: body.subarray(offset, offset + length) });
    offset += length;
  }
  return out;
}

/** Builds a msg_container from already numbered messages. */
export function buildContainer(messages: readonly ContainedMessage[]): Buffer {
  const w = new TlWriter().uint(Ctor.msgContainer).int(messages.length);
  for (const m of messages) w.long(m.msgId).int(m.seqNo).int(m.body.length).raw(m.body);
  return w.build();
}

/** Largest accepted size of an unpacked gzip_packed. */
const MAX_GUNZIPPED_BYTES = 16 * 1024 * 1024;

/** Unpacks a gzip_packed body (including its constructor id). Throws on corrupt data. */
export function unpackGzip(body: Buffer): Buffer {
  const reader = readTlBytes(body, 4);
  return gunzipSync(reader, { maxOutputLength: MAX_GUNZIPPED_BYTES });
}

/** gzip_packed of `data` when that is smaller than `data` and `data` is at least `threshold` bytes. */
export function maybeGzip(data: Buffer, threshold: number): Buffer {
  if (data.length < threshold) return data;
  const packed = new TlWriter().uint(Ctor.gzipPacked).bytes(gzipSync(data)).build();
  return packed.length < data.length ? packed : data;
}

function readTlBytes(buf: Buffer, offset: number): Buffer {
  const first = buf[offset];
  if (first === undefined) throw new RangeError('bytes: buffer too short');
  if (first < 254) {
    if (offset + 1 + first > buf.length) throw new RangeError('bytes: buffer too short');
    return buf.subarray(offset + 1, offset + 1 + first);
  }
  const length = buf.readUIntLE(offset + 1, 3);
  if (offset + 4 + length > buf.length) throw new RangeError('bytes: buffer too short');
  return buf.subarray(offset + 4, offset + 4 + length);
}
