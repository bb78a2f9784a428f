/**
 * What one hostile or broken client may cost the server: how many connections, how long a connection may take
 * to prove itself or to finish a frame, and how many bytes of unfinished frames it (and everyone together) may
 * hold. Without these, 200 connections each declaring a 4 MiB packet and never finishing it keep ~1 GB alive,
 * and slowloris or idle sockets stay forever.
 */
import { TransportError, TransportErrorCode } from './transport-error.js';

export interface ConnectionLimits {
  /** Connections open at once; a connection beyond it is closed as soon as it is accepted. @default 512 */
  readonly maxConnections: number;
  /**
   * From accept until the connection proves itself (an auth key exchange completed, or a message that decrypts
   * under a known auth key), ms. @default 15_000
   */
  readonly handshakeTimeoutMs: number;
  /** From the first byte of a frame until its last, ms (slowloris). @default 10_000 */
  readonly partialFrameTimeoutMs: number;
  /** A connection that sends nothing at all for this long is closed, ms (GramJS pings every minute). @default 300_000 */
  readonly idleTimeoutMs: number;
  /** Bytes of unfinished frames one connection may hold. @default the largest packet + 64 */
  readonly maxBufferedBytesPerConnection: number;
  /**
   * Bytes of unfinished frames all connections together may hold; past it the connections holding the most are
   * closed (-429) until the total fits again. @default 8 MiB
   */
  readonly maxBufferedBytesTotal: number;
}

export const DEFAULT_CONNECTION_LIMITS: Omit<ConnectionLimits, 'maxBufferedBytesPerConnection'> = {
  maxConnections: 512,
  handshakeTimeoutMs: 15_000,
  partialFrameTimeoutMs: 10_000,
  idleTimeoutMs: 300_000,
  maxBufferedBytesTotal: 8 * 1024 * 1024,
};

/** setTimeout's largest delay; longer limits wait this long. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Framing overhead a connection may hold beyond one packet (length words, init header, padding). */
const FRAME_SLACK = 64;

export function resolveConnectionLimits(
  limits: Partial<ConnectionLimits> | undefined,
  maxPacketBytes: number,
): ConnectionLimits {
  const resolved: ConnectionLimits = {
    ...DEFAULT_CONNECTION_LIMITS,
    maxBufferedBytesPerConnection: maxPacketBytes + FRAME_SLACK,
    ...limits,
  };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isFinite(value) || value <= 0)
      throw new RangeError(`connection limit ${name} must be a positive number, got ${value}`);
  }
  return resolved;
}

/** How often each limit closed a connection, since start. */
export interface LimitCounters {
  connectionsRefused: number;
  handshakeTimeouts: number;
  partialFrameTimeouts: number;
  idleTimeouts: number;
  bufferOverflows: number;
}

export function zeroLimitCounters(): LimitCounters {
  return {
    connectionsRefused: 0,
    handshakeTimeouts: 0,
    partialFrameTimeouts: 0,
    idleTimeouts: 0,
    bufferOverflows: 0,
  };
}

/** The bytes of unfinished frames all connections hold, and who holds how many. */
export class BufferBudget {
  private readonly held = new Map<ConnectionGuard, number>();
  private sum = 0;

  constructor(readonly limit: number) {}

  get total(): number {
    return this.sum;
  }

  /** Records what `guard` holds now; past the limit, closes the largest holders until the rest fits. */
  set(guard: ConnectionGuard, bytes: number): void {
    this.sum += bytes - (this.held.get(guard) ?? 0);
    if (bytes === 0) this.held.delete(guard);
    else this.held.set(guard, bytes);
    while (this.sum > this.limit) {
      let largest: ConnectionGuard | undefined;
      let most = 0;
      for (const [g, n] of this.held) {
        if (n > most) {
          most = n;
          largest = g;
        }
      }
      if (!largest) break;
      this.release(largest);
      largest.overBudget(this.limit);
    }
  }

  release(guard: ConnectionGuard): void {
    this.sum -= this.held.get(guard) ?? 0;
    this.held.delete(guard);
  }
}

export interface ConnectionGuardOptions {
  readonly limits: ConnectionLimits;
  readonly budget: BufferBudget;
  readonly counters: LimitCounters;
  /** Closes the connection; called at most once. */
  readonly close: (error: TransportError) => void;
  /** While true (a frozen server stopped reading), deadlines wait: the client is not the one being slow. */
  readonly paused?: () => boolean;
}

/** The deadlines and byte caps of one connection. Call `received` after every chunk, `dispose` on close. */
export class ConnectionGuard {
  private handshakeTimer: NodeJS.Timeout | undefined;
  private partialTimer: NodeJS.Timeout | undefined;
  private readonly idleTimer: NodeJS.Timeout;
  private done = false;

  constructor(private readonly options: ConnectionGuardOptions) {
    const { limits } = options;
    this.handshakeTimer = this.timer(limits.handshakeTimeoutMs, () => {
      options.counters.handshakeTimeouts++;
      this.close(`no auth key exchange or known auth key within ${limits.handshakeTimeoutMs} ms`);
    });
    this.idleTimer = this.timer(limits.idleTimeoutMs, () => {
      options.counters.idleTimeouts++;
      this.close(`nothing received for ${limits.idleTimeoutMs} ms`);
    });
  }

  /** Bytes arrived; `buffered` is what the connection now holds of frames not yet complete. */
  received(buffered: number): void {
    if (this.done) return;
    this.idleTimer.refresh();
    const { limits, budget, counters } = this.options;
    if (buffered > limits.maxBufferedBytesPerConnection) {
      counters.bufferOverflows++;
      this.close(
        `${buffered} bytes of unfinished frames, more than ${limits.maxBufferedBytesPerConnection}`,
        TransportErrorCode.Flood,
      );
      return;
    }
    if (buffered === 0) {
      this.clearPartial();
    } else if (!this.partialTimer) {
      // Started by a frame's first byte and not moved by later ones: a frame trickling in is still too slow.
      this.partialTimer = this.timer(limits.partialFrameTimeoutMs, () => {
        counters.partialFrameTimeouts++;
        this.close(`a frame still unfinished after ${limits.partialFrameTimeoutMs} ms`);
      });
    }
    budget.set(this, buffered);
  }

  /** The client proved itself: the handshake deadline no longer applies. */
  authenticated(): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
  }

  /** Called by the budget: this connection holds the most while everyone together holds too much. */
  overBudget(limit: number): void {
    this.options.counters.bufferOverflows++;
    this.close(`unfinished frames of all connections over ${limit} bytes`, TransportErrorCode.Flood);
  }

  dispose(): void {
    if (this.done) return;
    this.done = true;
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.clearPartial();
    clearTimeout(this.idleTimer);
    this.options.budget.release(this);
  }

  private clearPartial(): void {
    if (this.partialTimer) clearTimeout(this.partialTimer);
    this.partialTimer = undefined;
  }

  private close(reason: string, code?: TransportErrorCode): void {
    if (this.done) return;
    this.dispose();
    this.options.close(new TransportError(reason, code));
  }

  /** A deadline that waits while the server does not read (frozen), and never keeps the process alive. */
  private timer(ms: number, fire: () => void): NodeJS.Timeout {
    const t = setTimeout(
      () => {
        if (this.done) return;
        if (this.options.paused?.()) t.refresh();
        else fire();
      },
      Math.min(ms, MAX_TIMER_MS),
    );
    t.unref();
    return t;
  }
}
