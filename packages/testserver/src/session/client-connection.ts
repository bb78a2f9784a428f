import type { Socket } from 'node:net';
import type { AuthKeyStore } from '../auth/auth-key-store.js';
import { AuthHandshake, HandshakeError } from '../auth/handshake.js';
import type { ServerRsaKey } from '../keys.js';
import { readTlObject } from '../tl.js';
import type { CodecLimits, TransportKind } from '../transport/codec.js';
import {
  FramedConnection,
  type FramedConnectionOptions,
  type TransportCounters,
} from '../transport/framed-connection.js';
import { TransportError, TransportErrorCode } from '../transport/transport-error.js';
import { decryptClientPacket } from './crypto.js';
import type { ServerMsgIds } from './msg-id.js';
import type { MtSession, SessionLink } from './mt-session.js';
import type { SessionEngine } from './session-engine.js';

export interface ClientConnectionOptions {
  readonly connectionId: number;
  readonly engine: SessionEngine;
  readonly authKeys: AuthKeyStore;
  readonly rsaKey: ServerRsaKey;
  readonly msgIds: ServerMsgIds;
  readonly now: () => number;
  readonly limits?: CodecLimits;
  /** Deadlines and byte caps of the connection. */
  readonly guard?: FramedConnectionOptions['guard'];
  readonly counters: TransportCounters & { authKeysCreated: number; packetsIn: number; packetsOut: number };
  readonly onClose: (connection: ClientConnection) => void;
  /** While true the server reads nothing and sends nothing on this connection (a frozen server). */
  readonly frozen?: () => boolean;
  readonly onTransportError?: (error: TransportError, connection: ClientConnection) => void;
}

/**
 * One client TCP connection: routes each payload either to the auth key exchange (auth_key_id = 0) or,
 * decrypted under its auth key, to the session layer. Any protocol violation closes this connection only.
 */
export class ClientConnection implements SessionLink {
  readonly connectionId: number;
  readonly sessions = new Set<MtSession>();
  private readonly framed: FramedConnection;
  private readonly handshake: AuthHandshake;
  /** Plain (key exchange) messages are handled one after another. */
  private plainChain: Promise<void> = Promise.resolve();
  private disconnectTimer: NodeJS.Timeout | undefined;

  constructor(
    socket: Socket,
    private readonly options: ClientConnectionOptions,
  ) {
    this.connectionId = options.connectionId;
    this.handshake = new AuthHandshake({
      rsaKey: options.rsaKey,
      authKeys: options.authKeys,
      now: options.now,
    });
    this.framed = new FramedConnection(socket, {
      ...(options.limits ? { limits: options.limits } : {}),
      ...(options.guard ? { guard: options.guard } : {}),
      counters: options.counters,
      onPacket: (payload) => this.onPacket(payload),
      onClose: () => {
        if (this.disconnectTimer) clearTimeout(this.disconnectTimer);
        options.engine.detach(this);
        options.onClose(this);
      },
      onTransportError: (error) => options.onTransportError?.(error, this),
    });
  }

  get isOpen(): boolean {
    return this.framed.isOpen;
  }

  get transport(): TransportKind | undefined {
    return this.framed.kind;
  }

  sendPayload(payload: Buffer): void {
    if (this.options.frozen?.()) return; // lost on the way, as on a half-open connection
    this.options.counters.packetsOut++;
    this.framed.send(payload);
  }

  scheduleDisconnect(delaySeconds: number): void {
    if (this.disconnectTimer) clearTimeout(this.disconnectTimer);
    if (delaySeconds <= 0) return;
    this.disconnectTimer = setTimeout(
      () => this.framed.destroy(),
      Math.min(delaySeconds, 2 ** 31 / 1000) * 1000,
    );
    this.disconnectTimer.unref();
  }

  /** Closes with a transport error code (or none). */
  fail(error: TransportError): void {
    this.framed.fail(error);
  }

  /** Stops reading the socket (the bytes wait in the kernel) or starts again. */
  setPaused(paused: boolean): void {
    if (paused) this.framed.socket.pause();
    else this.framed.socket.resume();
  }

  /** Drops the TCP connection at once (fault injection, server stop). */
  destroy(): void {
    this.framed.destroy();
  }

  private onPacket(payload: Buffer): void {
    this.options.counters.packetsIn++;
    if (payload.length < 8) {
      this.fail(new TransportError(`packet of ${payload.length} bytes`, TransportErrorCode.AuthKeyNotFound));
      return;
    }
    const authKeyId = payload.readBigUInt64LE(0);
    if (authKeyId === 0n) {
      this.onPlain(payload);
      return;
    }
    const id = authKeyId.toString();
    const key = this.options.authKeys.get(id);
    if (!key) {
      this.fail(new TransportError(`unknown auth key id ${id}`, TransportErrorCode.AuthKeyNotFound));
      return;
    }
    const message = decryptClientPacket(key, payload);
    if (typeof message === 'string') {
      this.fail(new TransportError(`auth key ${id}: ${message}`, TransportErrorCode.AuthKeyNotFound));
      return;
    }
    this.framed.authenticated();
    this.options.engine.handlePacket(this, id, message);
  }

  /** auth_key_id = 0: message_id, message_data_length, a key-exchange request. */
  private onPlain(payload: Buffer): void {
    const length = payload.length >= 20 ? payload.readInt32LE(16) : -1;
    if (length <= 0 || 20 + length > payload.length) {
      this.fail(new TransportError('malformed unencrypted message', TransportErrorCode.AuthKeyNotFound));
      return;
    }
    const body = payload.subarray(20, 20 + length);
    this.plainChain = this.plainChain.then(async () => {
      if (!this.isOpen) return;
      try {
        const request = readTlObject(body);
        const step = await this.handshake.handle(request);
        if (step.createdAuthKeyId) {
          this.options.counters.authKeysCreated++;
          this.framed.authenticated();
        }
        this.sendPlain(step.answer.getBytes());
      } catch (error) {
        const reason =
          error instanceof HandshakeError ? error.message : `unreadable key exchange: ${String(error)}`;
        this.fail(new TransportError(reason, TransportErrorCode.AuthKeyNotFound));
      }
    });
  }

  private sendPlain(body: Buffer): void {
    const header = Buffer.alloc(20);
    header.writeBigInt64LE(this.options.msgIds.next('response'), 8);
    header.writeInt32LE(body.length, 16);
    this.sendPayload(Buffer.concat([header, body]));
  }
}
