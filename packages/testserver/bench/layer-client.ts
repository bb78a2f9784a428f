/**
 * A bare MTProto session for the layer benchmark: it declares a layer with invokeWithLayer, then only decrypts
 * and counts the `updates` pushed to it, so a layer-198 and a layer-227 connection cost the client the same and the
 * difference measured is the server's (the transcoder).
 */
import { connect, type Socket } from 'node:net';
import bigInt from 'big-integer';
import { Api } from 'telegram';
import type { AuthKey } from 'telegram/crypto/AuthKey.js';
import { IGE } from 'telegram/crypto/IGE.js';
import { Logger, LogLevel } from 'telegram/extensions/Logger.js';
import { MTProtoState } from 'telegram/network/MTProtoState.js';
import { Ctor, parseContainer } from '../src/session/wire.js';

const UPDATES = Api.Updates.CONSTRUCTOR_ID; // updates#74ae4240, the same in every layer served
const BAD_SERVER_SALT = Api.BadServerSalt.CONSTRUCTOR_ID;

export class CountingSession {
  updates = 0;
  private readonly state: MTProtoState;
  private readonly socket: Socket;
  private buffer = Buffer.alloc(0);
  private chain: Promise<void> = Promise.resolve();
  private salted: (() => void) | undefined;
  private answered: (() => void) | undefined;

  private constructor(
    port: number,
    private readonly authKey: AuthKey,
  ) {
    this.state = new MTProtoState(authKey, new Logger(LogLevel.NONE), false);
    this.socket = connect(port, '127.0.0.1');
    this.socket.setNoDelay(true);
    this.socket.on('error', () => {});
    this.socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      while (this.buffer.length >= 4 && this.buffer.length >= 4 + this.buffer.readInt32LE(0)) {
        const payload = this.buffer.subarray(4, 4 + this.buffer.readInt32LE(0));
        this.buffer = this.buffer.subarray(4 + payload.length);
        this.chain = this.chain.then(() => this.onPayload(payload));
      }
    });
    this.socket.write(Buffer.from('eeeeeeee', 'hex')); // intermediate framing
  }

  /** A session on `authKey` that declared `layer` and asked for updates (updates.getState). */
  static async open(port: number, authKey: AuthKey, layer: number): Promise<CountingSession> {
    const s = new CountingSession(port, authKey);
    await new Promise<void>((resolve) => s.socket.once('connect', () => resolve()));
    const salted = new Promise<void>((resolve) => {
      s.salted = resolve;
    });
    await s.send(new Api.Ping({ pingId: bigInt(1) }).getBytes());
    await salted;
    const query = new Api.InvokeWithLayer({
      layer,
      query: new Api.InitConnection({
        apiId: 1,
        deviceModel: 'bench',
        systemVersion: '1',
        appVersion: '1',
        systemLangCode: 'en',
        langPack: '',
        langCode: 'en',
        query: new Api.updates.GetState(),
      }),
    });
    const answered = new Promise<void>((resolve) => {
      s.answered = resolve;
    });
    await s.send(query.getBytes());
    await answered; // subscribed to updates from here on
    return s;
  }

  private async send(body: Buffer): Promise<void> {
    const header = Buffer.alloc(16);
    header.writeBigInt64LE(BigInt(this.state._getNewMsgId().toString()), 0);
    header.writeInt32LE(this.state._getSeqNo(true), 8);
    header.writeInt32LE(body.length, 12);
    const packet = await this.state.encryptMessageData(Buffer.concat([header, body]));
    const length = Buffer.alloc(4);
    length.writeInt32LE(packet.length, 0);
    this.socket.write(Buffer.concat([length, packet]));
  }

  private async onPayload(payload: Buffer): Promise<void> {
    if (payload.length < 24) return;
    const key = this.authKey.getKey()!;
    const msgKey = payload.subarray(8, 24);
    const { key: aesKey, iv } = await this.state._calcKey(key, msgKey, false);
    const plain = new IGE(aesKey, iv).decryptIge(payload.subarray(24));
    const body = plain.subarray(32, 32 + plain.readInt32LE(28));
    const bodies =
      body.readUInt32LE(0) === Ctor.msgContainer ? (parseContainer(body) ?? []).map((m) => m.body) : [body];
    for (const b of bodies) {
      const ctor = b.readUInt32LE(0);
      if (ctor === UPDATES || ctor === Ctor.gzipPacked) this.updates++;
      else if (ctor === Ctor.rpcResult) this.answered?.();
      else if (ctor === BAD_SERVER_SALT && this.salted) {
        this.state.salt = bigInt(b.readBigInt64LE(20).toString());
        this.salted();
        this.salted = undefined;
      }
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
