/**
 * The bytes of the session layer. Service messages are GramJS's `Api.*` objects (tl.ts), written with their own
 * `getBytes()`; what is here is only what GramJS cannot write on a server's behalf, each for a reason given below:
 * the envelopes that wrap bytes already serialized (rpc_result, msg_container, gzip_packed) and future_salts.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { Api, BinaryReader, GZIPPacked, MessageContainer, RPCResult, serializeBytes } from '../tl.js';

/** Constructor ids the session dispatches on, from GramJS's schema. */
export const Ctor = {
  msgContainer: MessageContainer.CONSTRUCTOR_ID,
  gzipPacked: GZIPPacked.CONSTRUCTOR_ID,
  rpcResult: RPCResult.CONSTRUCTOR_ID,
  rpcError: Api.RpcError.CONSTRUCTOR_ID,
  msgsAck: Api.MsgsAck.CONSTRUCTOR_ID,
  msgsStateReq: Api.MsgsStateReq.CONSTRUCTOR_ID,
  msgsStateInfo: Api.MsgsStateInfo.CONSTRUCTOR_ID,
  msgsAllInfo: Api.MsgsAllInfo.CONSTRUCTOR_ID,
  msgDetailedInfo: Api.MsgDetailedInfo.CONSTRUCTOR_ID,
  msgNewDetailedInfo: Api.MsgNewDetailedInfo.CONSTRUCTOR_ID,
  msgResendReq: Api.MsgResendReq.CONSTRUCTOR_ID,
  httpWait: Api.HttpWait.CONSTRUCTOR_ID,
  ping: Api.Ping.CONSTRUCTOR_ID,
  pingDelayDisconnect: Api.PingDelayDisconnect.CONSTRUCTOR_ID,
  getFutureSalts: Api.GetFutureSalts.CONSTRUCTOR_ID,
  futureSalts: Api.FutureSalts.CONSTRUCTOR_ID,
  destroySession: Api.DestroySession.CONSTRUCTOR_ID,
  rpcDropAnswer: Api.RpcDropAnswer.CONSTRUCTOR_ID,
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

/** One message of a msg_container. */
export interface ContainedMessage {
  readonly msgId: bigint;
  readonly seqNo: number;
  readonly body: Buffer;
}

/**
 * Splits a msg_container body (after its constructor id), keeping each message's bytes (GramJS's reader parses
 * them, and the session must see an unknown or broken one to answer it). `undefined` when malformed.
 */
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

/** msg_container of already numbered messages (GramJS only reads containers). */
export function buildContainer(messages: readonly ContainedMessage[]): Buffer {
  const size = messages.reduce((n, m) => n + 16 + m.body.length, 8);
  const out = Buffer.allocUnsafe(size);
  out.writeUInt32LE(Ctor.msgContainer, 0);
  out.writeInt32LE(messages.length, 4);
  let at = 8;
  for (const m of messages) {
    out.writeBigInt64LE(m.msgId, at);
    out.writeInt32LE(m.seqNo, at + 8);
    out.writeInt32LE(m.body.length, at + 12);
    m.body.copy(out, at + 16);
    at += 16 + m.body.length;
  }
  return out;
}

/** rpc_result answering `reqMsgId` with `result`, already serialized (GramJS only reads rpc_result). */
export function rpcResultBody(reqMsgId: bigint, result: Buffer): Buffer {
  const head = Buffer.allocUnsafe(12);
  head.writeUInt32LE(Ctor.rpcResult, 0);
  head.writeBigInt64LE(reqMsgId, 4);
  return Buffer.concat([head, result]);
}

/**
 * future_salts. Its `salts:vector<future_salt>` is a bare vector of bare future_salt: no constructor ids, which
 * is how clients read it; GramJS 2.26 writes (and reads) each element with its id.
 */
export function futureSaltsBody(
  reqMsgId: bigint,
  now: number,
  salts: ReadonlyArray<{ validSince: number; validUntil: number; salt: bigint }>,
): Buffer {
  const out = Buffer.allocUnsafe(20 + 16 * salts.length);
  out.writeUInt32LE(Ctor.futureSalts, 0);
  out.writeBigInt64LE(reqMsgId, 4);
  out.writeInt32LE(now, 12);
  out.writeInt32LE(salts.length, 16);
  salts.forEach((s, i) => {
    out.writeInt32LE(s.validSince, 20 + 16 * i);
    out.writeInt32LE(s.validUntil, 24 + 16 * i);
    out.writeBigInt64LE(s.salt, 28 + 16 * i);
  });
  return out;
}

/** Largest accepted size of an unpacked gzip_packed. */
const MAX_GUNZIPPED_BYTES = 16 * 1024 * 1024;

/** Unpacks a gzip_packed body (including its constructor id). Throws on corrupt or short data. */
export function unpackGzip(body: Buffer): Buffer {
  const reader = new BinaryReader(body);
  reader.readInt(false);
  return gunzipSync(reader.tgReadBytes(), { maxOutputLength: MAX_GUNZIPPED_BYTES });
}

/**
 * gzip_packed of `data` when that is smaller than `data` and `data` is at least `threshold` bytes (GramJS's
 * GZIPPacked does not compress: its gzip() returns the data as is).
 */
export function maybeGzip(data: Buffer, threshold: number): Buffer {
  if (data.length < threshold) return data;
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32LE(Ctor.gzipPacked, 0);
  const packed = Buffer.concat([head, serializeBytes(gzipSync(data))]);
  return packed.length < data.length ? packed : data;
}
