/**
 * A hand-driven MTProto client for tests of the session rules GramJS never breaks on its own (bad msg_ids,
 * seqnos, service messages). Encryption is GramJS's own client half (MTProtoState), so only the message
 * layout is under the test's control. Transport: intermediate.
 */
import { connect, type Socket } from 'node:net';
import bigInt from 'big-integer';
import { Api } from 'telegram';
import type { AuthKey } from 'telegram/crypto/AuthKey.js';
import { IGE } from 'telegram/crypto/IGE.js';
import { BinaryReader } from 'telegram/extensions/BinaryReader.js';
import { Logger, LogLevel } from 'telegram/extensions/Logger.js';
import { MTProtoState } from 'telegram/network/MTProtoState.js';
import { GZIPPacked, MessageContainer, RPCResult } from 'telegram/tl/core/index.js';
import type { TLObject } from '../../src/backend.js';
import type { Gateway } from '../../src/gateway.js';
import { parseContainer } from '../../src/session/wire.js';

/** One message as the client receives it, containers flattened and gzip unpacked. */
export interface Received {
  readonly msgId: bigint;
  readonly seqNo: number;
  readonly obj: TLObject;
}

/** One message to send; msg_id and seqno default to what a well-behaved client would use. */
export interface Outgoing {
  readonly body: Buffer;
  readonly msgId?: bigint;
  readonly seqNo?: number;
  /** @default true */
  readonly contentRelated?: boolean;
}

export class RawSession {
  readonly state: MTProtoState;
  private readonly socket: Socket;
  private buffer = Buffer.alloc(0);
  private readonly inbox: Received[] = [];
  private waiters: Array<() => void> = [];
  private pending: Promise<void> = Promise.resolve();
  closed = false;

  private constructor(gw: Gateway, authKey: AuthKey) {
    this.state = new MTProtoState(authKey, new Logger(LogLevel.NONE), false);
    this.socket = connect(gw.port, gw.address);
    this.socket.on('error', () => {});
    this.socket.on('close', () => {
      void this.pending.then(() => {
        this.closed = true;
        this.wake();
      });
    });
    this.socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      while (this.buffer.length >= 4 && this.buffer.length >= 4 + this.buffer.readInt32LE(0)) {
        const length = this.buffer.readInt32LE(0);
        const payload = this.buffer.subarray(4, 4 + length);
        this.buffer = this.buffer.subarray(4 + length);
        this.pending = this.pending.then(() => this.onPayload(payload)).catch(() => this.onUnparsed(payload));
      }
    });
    this.socket.write(Buffer.from('eeeeeeee', 'hex'));
  }

  /** A new session on `authKey`; with `salted` it first learns the server salt (bad_server_salt). */
  static async open(gw: Gateway, authKey: AuthKey, salted = true): Promise<RawSession> {
    const session = new RawSession(gw, authKey);
    await new Promise<void>((resolve) => session.socket.once('connect', () => resolve()));
    if (salted) {
      await session.send([{ body: ping(1n) }]);
      const bad = await session.next((m) => m.obj instanceof Api.BadServerSalt);
      session.state.salt = bad.obj.newServerSalt;
    }
    return session;
  }

  newMsgId(): bigint {
    return BigInt(this.state._getNewMsgId().toString());
  }

  /** Sends the messages in one packet (a container when there are several, or when `container` is set). */
  async send(messages: readonly Outgoing[], container = messages.length > 1): Promise<bigint[]> {
    const ids: bigint[] = [];
    const encoded = messages.map((m) => {
      const msgId = m.msgId ?? this.newMsgId();
      ids.push(msgId);
      return header(msgId, m.seqNo ?? this.state._getSeqNo(m.contentRelated ?? true), m.body);
    });
    let data: Buffer;
    if (container) {
      const head = Buffer.alloc(8);
      head.writeUInt32LE(MessageContainer.CONSTRUCTOR_ID, 0);
      head.writeInt32LE(encoded.length, 4);
      const body = Buffer.concat([head, ...encoded]);
      data = header(this.newMsgId(), this.state._getSeqNo(false), body);
    } else {
      data = encoded[0]!;
    }
    const packet = await this.state.encryptMessageData(data);
    const length = Buffer.alloc(4);
    length.writeInt32LE(packet.length, 0);
    this.socket.write(Buffer.concat([length, packet]));
    return ids;
  }

  /** The next received message matching `predicate` (others are kept); rejects after `timeoutMs`. */
  async next(predicate: (m: Received) => boolean = () => true, timeoutMs = 2000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.inbox.findIndex(predicate);
      if (index >= 0) return this.inbox.splice(index, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) throw new Error('RawSession.next: no matching message');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Everything received within `ms`. */
  async drain(ms: number): Promise<Received[]> {
    await new Promise((r) => setTimeout(r, ms));
    return this.inbox.splice(0);
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private async onPayload(payload: Buffer): Promise<void> {
    if (payload.length === 4) {
      this.inbox.push({ msgId: 0n, seqNo: 0, obj: { transportError: payload.readInt32LE(0) } });
      this.wake();
      return;
    }
    const message = await this.state.decryptMessageData(payload);
    await this.collect(BigInt(message.msgId.toString()), (message as TLObject).seqNo, await message.obj);
    this.wake();
  }

  /** GramJS could not parse it (it cannot read future_salts, for one): keep the decrypted body. */
  private async onUnparsed(payload: Buffer): Promise<void> {
    const authKey = (this.state as TLObject).authKey.getKey() as Buffer;
    const msgKey = payload.subarray(8, 24);
    const { key, iv } = await this.state._calcKey(authKey, msgKey, false);
    const plain = new IGE(key, iv).decryptIge(payload.subarray(24));
    const length = plain.readInt32LE(28);
    const body = plain.subarray(32, 32 + length);
    const inner =
      body.readUInt32LE(0) === MessageContainer.CONSTRUCTOR_ID ? (parseContainer(body) ?? []) : [];
    if (inner.length === 0)
      inner.push({ msgId: plain.readBigInt64LE(16), seqNo: plain.readInt32LE(24), body });
    for (const m of inner) {
      let obj: TLObject;
      try {
        obj = await new BinaryReader(m.body).tgReadObject();
      } catch {
        obj = { unparsed: m.body };
      }
      this.inbox.push({ msgId: m.msgId, seqNo: m.seqNo, obj });
    }
    this.wake();
  }

  private async collect(msgId: bigint, seqNo: number, obj: TLObject): Promise<void> {
    if (obj instanceof MessageContainer) {
      for (const m of (obj as TLObject).messages)
        await this.collect(BigInt(m.msgId.toString()), (m as TLObject).seqNo, await m.obj);
    } else if (obj instanceof GZIPPacked) {
      await this.collect(msgId, seqNo, await new BinaryReader(obj.data).tgReadObject());
    } else {
      this.inbox.push({ msgId, seqNo, obj });
    }
  }
}

function header(msgId: bigint, seqNo: number, body: Buffer): Buffer {
  const h = Buffer.alloc(16);
  h.writeBigInt64LE(msgId, 0);
  h.writeInt32LE(seqNo, 8);
  h.writeInt32LE(body.length, 12);
  return Buffer.concat([h, body]);
}

export function ping(id: bigint): Buffer {
  return new Api.Ping({ pingId: bigInt(id.toString()) }).getBytes();
}

export function isRpcResult(m: Received): boolean {
  return m.obj instanceof RPCResult;
}

/** The rpc_result answering `reqMsgId`: its parsed result or rpc_error. */
export function isResultFor(reqMsgId: bigint): (m: Received) => boolean {
  return (m) => m.obj instanceof RPCResult && BigInt((m.obj as TLObject).reqMsgId.toString()) === reqMsgId;
}

export function resultBody(m: Received): TLObject {
  const r = m.obj as TLObject;
  if (r.error) return r.error;
  return new BinaryReader(r.body).tgReadObject();
}
