import { randomBytes } from 'node:crypto';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { AuthKeyStore, type ExportedAuthKeys } from './auth/auth-key-store.js';
import type { Backend, TLObject, UpdateSink } from './backend.js';
import { type ServerRsaKey, testServerKey } from './keys.js';
import { LayerBook } from './layers/layer-book.js';
import { ClientConnection } from './session/client-connection.js';
import { ServerMsgIds } from './session/msg-id.js';
import { SaltBook } from './session/salts.js';
import { SessionEngine } from './session/session-engine.js';
import { SessionRegistry } from './session/session-registry.js';
import type { PromisedNetSockets } from './tl.js';
import { DEFAULT_CODEC_LIMITS } from './transport/codec.js';
import {
  BufferBudget,
  type ConnectionLimits,
  type LimitCounters,
  resolveConnectionLimits,
  zeroLimitCounters,
} from './transport/connection-limits.js';
import { loopbackSocket } from './transport/loopback-socket.js';
import type { TransportError } from './transport/transport-error.js';

export interface GatewayOptions {
  /** Answers the unwrapped RPC queries. */
  readonly backend: Backend;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** The DC this server plays (informational; the backend's help.getConfig decides what clients see). @default 2 */
  readonly dcId?: number;
  /** Auth keys from an earlier run (`exportAuthKeys()` output, or id → key): those clients skip DH. */
  readonly authKeys?: ReadonlyMap<string, Buffer> | ExportedAuthKeys;
  /** Called for every auth key created by DH (persistence hook). */
  readonly onAuthKeyCreated?: (authKeyId: string, key: Buffer) => void;
  /** @default the committed TEST-ONLY key (`registerTestServerKey()` makes GramJS accept it) */
  readonly rsaKey?: ServerRsaKey;
  /** Milliseconds since the epoch, for msg_ids, salts and server_time. @default Date.now */
  readonly now?: () => number;
  /** Keys the server salts; keep it across restarts to keep salts valid. @default random */
  readonly saltSecret?: Buffer;
  /** Answers and updates of at least this many bytes go gzip_packed (when smaller). @default 512 */
  readonly gzipThreshold?: number;
  /** Unanswered content-related messages are acknowledged after this many ms. @default 100 */
  readonly ackDelayMs?: number;
  /** Largest accepted transport packet. @default 4 MiB */
  readonly maxPacketBytes?: number;
  /** Connection count, deadlines and buffered-byte caps (see connection-limits.ts). @default DEFAULT_CONNECTION_LIMITS */
  readonly connectionLimits?: Partial<ConnectionLimits>;
  /**
   * The layers served: a client that declares another layer than GramJS's in invokeWithLayer is read and
   * written in it. `false`: every client is served GramJS's layer. @default GramJS's and mtcute's layers
   */
  readonly layers?: LayerBook | false;
  /** Something went wrong that the client only sees as 500 INTERNAL (handler threw a non-RpcError). */
  readonly onError?: (error: unknown, where: string) => void;
  /** A connection was closed for a protocol violation. */
  readonly onTransportError?: (error: TransportError, connectionId: number) => void;
}

/** Running totals since start. */
export interface GatewayCounters extends LimitCounters {
  connectionsAccepted: number;
  connectionsOpen: number;
  authKeysCreated: number;
  rpcCalls: number;
  rpcErrors: number;
  internalErrors: number;
  badMsgNotifications: number;
  badServerSalts: number;
  newSessions: number;
  updatesPushed: number;
  transportErrors: number;
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
}

function zeroCounters(): GatewayCounters {
  return {
    ...zeroLimitCounters(),
    connectionsAccepted: 0,
    connectionsOpen: 0,
    authKeysCreated: 0,
    rpcCalls: 0,
    rpcErrors: 0,
    internalErrors: 0,
    badMsgNotifications: 0,
    badServerSalts: 0,
    newSessions: 0,
    updatesPushed: 0,
    transportErrors: 0,
    packetsIn: 0,
    packetsOut: 0,
    bytesIn: 0,
    bytesOut: 0,
  };
}

let sharedLayerBook: LayerBook | undefined;

/** One LayerBook per process: schemas load once, on the first client of another layer. */
function defaultLayerBook(): LayerBook {
  sharedLayerBook ??= new LayerBook();
  return sharedLayerBook;
}

/**
 * The MTProto server: listens on TCP, detects the framing per connection, runs the auth key exchange and
 * the encrypted session layer, and hands unwrapped queries to a `Backend`. Also the `UpdateSink` the
 * emulated world pushes updates through.
 */
export class Gateway implements UpdateSink {
  readonly dcId: number;
  private readonly counts = zeroCounters();
  private readonly connections = new Map<number, ClientConnection>();
  private readonly authKeys: AuthKeyStore;
  private readonly engine: SessionEngine;
  private nextConnectionId = 1;
  private delayMs = 0;
  private stopped = false;
  private frozen = false;
  private readonly budget: BufferBudget;

  private constructor(
    private readonly server: Server,
    options: GatewayOptions,
  ) {
    this.dcId = options.dcId ?? 2;
    const now = options.now ?? Date.now;
    this.authKeys = new AuthKeyStore(options.authKeys);
    if (options.onAuthKeyCreated) this.authKeys.onAdded(options.onAuthKeyCreated);
    const msgIds = new ServerMsgIds(now);
    const onError = options.onError ?? (() => {});
    this.engine = new SessionEngine({
      backend: options.backend,
      authKeys: this.authKeys,
      salts: new SaltBook(options.saltSecret ?? randomBytes(32), now),
      msgIds,
      registry: new SessionRegistry(),
      counters: this.counts,
      now,
      gzipThreshold: options.gzipThreshold ?? 512,
      ackDelayMs: options.ackDelayMs ?? 100,
      answerDelayMs: () => this.delayMs,
      onError,
      ...(options.layers !== false ? { layers: options.layers ?? defaultLayerBook() } : {}),
    });
    const rsaKey = options.rsaKey ?? testServerKey();
    const limits = { maxPacketBytes: options.maxPacketBytes ?? DEFAULT_CODEC_LIMITS.maxPacketBytes };
    const connectionLimits = resolveConnectionLimits(options.connectionLimits, limits.maxPacketBytes);
    this.budget = new BufferBudget(connectionLimits.maxBufferedBytesTotal);
    const guard = {
      limits: connectionLimits,
      budget: this.budget,
      counters: this.counts,
    };
    server.on('connection', (socket: Socket) => {
      if (this.stopped) {
        socket.destroy();
        return;
      }
      if (this.connections.size >= connectionLimits.maxConnections) {
        this.counts.connectionsRefused++;
        socket.destroy();
        return;
      }
      const connectionId = this.nextConnectionId++;
      this.counts.connectionsAccepted++;
      this.counts.connectionsOpen++;
      const connection = new ClientConnection(socket, {
        connectionId,
        engine: this.engine,
        authKeys: this.authKeys,
        rsaKey,
        msgIds,
        now,
        limits,
        guard,
        counters: this.counts,
        frozen: () => this.frozen,
        onClose: () => {
          this.counts.connectionsOpen--;
          this.connections.delete(connectionId);
        },
        onTransportError: (error) => options.onTransportError?.(error, connectionId),
      });
      this.connections.set(connectionId, connection);
      if (this.frozen) connection.setPaused(true);
    });
  }

  /** Starts listening; resolves once the port is bound. */
  static async start(options: GatewayOptions): Promise<Gateway> {
    const server = createServer({ noDelay: true });
    const gateway = new Gateway(server, options);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        // Errors once listening are reported; a failure to listen (EADDRINUSE) is the caller's rejection only.
        server.on('error', (error) => (options.onError ?? (() => {}))(error, 'server'));
        resolve();
      });
    });
    return gateway;
  }

  /** The bound TCP port. */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The bound IP address (what a DcOption's ipAddress should say). */
  get address(): string {
    return (this.server.address() as AddressInfo).address;
  }

  /**
   * A GramJS `networkSocket` class that dials this gateway whatever host/port GramJS computed (GramJS 2.26
   * ignores the session's port): `new TelegramClient(session, id, hash, { networkSocket: gw.clientSocket })`.
   */
  get clientSocket(): typeof PromisedNetSockets {
    return loopbackSocket({ host: this.address, port: this.port });
  }

  /** A snapshot of the counters. */
  get counters(): Readonly<GatewayCounters> {
    return { ...this.counts };
  }

  /** Bytes of unfinished frames all connections hold now (capped by `maxBufferedBytesTotal`). */
  get bufferedBytes(): number {
    return this.budget.total;
  }

  /** Delays every rpc_result by `ms` (0 turns it off). Service messages are not delayed. */
  setDelay(ms: number): void {
    this.delayMs = Math.max(0, ms);
  }

  /** Serializes `updates` and sends it to each live session on the auth key; returns how many got it. */
  pushToAuthKey(authKeyId: string, updates: TLObject): number {
    return this.engine.push(authKeyId, updates);
  }

  /** Fault injection: destroys every client socket now. Returns how many there were. */
  dropAllConnections(): number {
    const all = [...this.connections.values()];
    for (const connection of all) connection.destroy();
    return all.length;
  }

  /**
   * Fault injection: stops answering while keeping every socket open (a hung server, half-open TCP): nothing is
   * read, nothing is sent (pushed updates are lost, as on a dead link), new connections are accepted and left
   * hanging. `unfreeze()` resumes.
   */
  freeze(): void {
    this.frozen = true;
    for (const c of this.connections.values()) c.setPaused(true);
  }

  unfreeze(): void {
    this.frozen = false;
    for (const c of this.connections.values()) c.setPaused(false);
  }

  get isFrozen(): boolean {
    return this.frozen;
  }

  /** Fault injection: forgets every auth key; each client gets -404 on its next packet. */
  forgetAuthKeys(): void {
    this.authKeys.clear();
  }

  /** The auth keys (id → base64 key), to pass as `authKeys` to a restarted gateway. */
  exportAuthKeys(): ExportedAuthKeys {
    return this.authKeys.export();
  }

  hasAuthKey(authKeyId: string): boolean {
    return this.authKeys.has(authKeyId);
  }

  /** Stops listening and closes all connections. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.dropAllConnections();
    await closed;
  }
}
