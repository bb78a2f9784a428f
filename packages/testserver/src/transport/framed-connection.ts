import type { Socket } from 'node:net';
import { type CodecLimits, DEFAULT_CODEC_LIMITS, type FrameCodec, type TransportKind } from './codec.js';
import {
  type BufferBudget,
  ConnectionGuard,
  type ConnectionLimits,
  type LimitCounters,
} from './connection-limits.js';
import { type Detected, detectTransport } from './detect.js';
import { TransportError } from './transport-error.js';

/** Byte and error counts, shared by all connections of one server. */
export interface TransportCounters {
  bytesIn: number;
  bytesOut: number;
  transportErrors: number;
}

export interface FramedConnectionOptions {
  readonly limits?: CodecLimits;
  readonly counters?: TransportCounters;
  /** Deadlines and byte caps (connection-limits.ts); without them a connection may hold bytes forever. */
  readonly guard?: {
    readonly limits: ConnectionLimits;
    readonly budget: BufferBudget;
    readonly counters: LimitCounters;
  };
  /** One complete MTProto payload (plain or encrypted message). */
  readonly onPacket: (payload: Buffer) => void;
  /** The socket closed (for any reason). Called once. */
  readonly onClose: () => void;
  /** A transport-level failure that closed (or is closing) this connection. */
  readonly onTransportError?: (error: TransportError) => void;
}

/**
 * One TCP connection seen as a stream of MTProto payloads: detects the framing from the first bytes, answers
 * in the same framing, and turns any framing error into "close this socket" without touching other clients.
 */
export class FramedConnection {
  private codec: FrameCodec | undefined;
  private detected: TransportKind | undefined;
  private head = Buffer.alloc(0);
  private readonly guard: ConnectionGuard | undefined;
  private closing = false;
  private closed = false;
  private readonly limits: CodecLimits;

  constructor(
    readonly socket: Socket,
    private readonly options: FramedConnectionOptions,
  ) {
    this.limits = options.limits ?? DEFAULT_CODEC_LIMITS;
    this.guard =
      options.guard &&
      new ConnectionGuard({
        ...options.guard,
        close: (error) => this.fail(error),
        paused: () => socket.isPaused(),
      });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {
      // A reset or write after close: the 'close' event follows and does the bookkeeping.
    });
    socket.on('close', () => {
      this.guard?.dispose();
      if (this.closed) return;
      this.closed = true;
      this.closing = true;
      options.onClose();
    });
  }

  /** The detected framing, once the first bytes arrived. */
  get kind(): TransportKind | undefined {
    return this.detected;
  }

  get isOpen(): boolean {
    return !this.closing && !this.closed;
  }

  /** The client proved itself (key exchange done, or a message under a known key): no handshake deadline. */
  authenticated(): void {
    this.guard?.authenticated();
  }

  /** Frames and writes one payload; a no-op once the connection is closing. */
  send(payload: Buffer): void {
    if (!this.isOpen || !this.codec) return;
    const bytes = this.codec.encode(payload);
    if (this.options.counters) this.options.counters.bytesOut += bytes.length;
    this.socket.write(bytes);
  }

  /** Closes because of `error`: sends its transport error code first when it has one. */
  fail(error: TransportError): void {
    if (!this.isOpen) return;
    if (this.options.counters) this.options.counters.transportErrors++;
    this.options.onTransportError?.(error);
    if (error.code !== undefined && this.codec) {
      const payload = Buffer.alloc(4);
      payload.writeInt32LE(error.code, 0);
      this.send(payload);
    }
    this.closing = true;
    this.release();
    this.socket.end();
    // Nothing more is read: bytes a closing peer keeps sending stay in the kernel instead of becoming garbage here.
    this.socket.pause();
    // end() waits for the peer's FIN; don't let a silent peer keep the socket half-open.
    setTimeout(() => this.socket.destroy(), 200).unref();
  }

  /** Closes immediately (fault injection, server stop). */
  destroy(): void {
    this.closing = true;
    this.release();
    this.socket.destroy();
  }

  /** Drops the bytes of unfinished frames at once (a closing connection never completes them). */
  private release(): void {
    this.guard?.dispose();
    this.codec = undefined;
    this.head = Buffer.alloc(0);
  }

  private onData(chunk: Buffer): void {
    if (!this.isOpen) return;
    if (this.options.counters) this.options.counters.bytesIn += chunk.length;
    try {
      let payloads: Buffer[];
      if (this.codec) {
        payloads = this.codec.decode(chunk);
      } else {
        this.head = Buffer.concat([this.head, chunk]);
        const detected: Detected | undefined = detectTransport(this.head, this.limits);
        if (!detected) {
          this.guard?.received(this.head.length);
          return;
        }
        this.codec = detected.codec;
        this.detected = detected.codec.kind;
        const rest = this.head.subarray(detected.consumed);
        this.head = Buffer.alloc(0);
        payloads = this.codec.decode(rest);
      }
      this.guard?.received(this.codec ? this.codec.buffered : this.head.length);
      for (const payload of payloads) {
        if (!this.isOpen) return;
        this.options.onPacket(payload);
      }
    } catch (error) {
      this.fail(error instanceof TransportError ? error : new TransportError(String(error)));
    }
  }
}
