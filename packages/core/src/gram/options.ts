import type { Clock } from '../clock.js';
import type { ConnectionOptions, ConnectionState, ResolvedConnectionOptions } from '../connection/index.js';
import type { SessionData } from '../session/session-file.js';
import type { InputPeerDescriptor, PeerInput } from '../storage/types.js';
import type { IncomingUpdates } from '../updates/types.js';

/** The TCP framings GramJS 2.26 ships (it has no intermediate framing). */
export type Transport = 'full' | 'abridged' | 'obfuscated';

/** Where to connect: Telegram's production DC (default) or any MTProto server, e.g. @pm/testserver. */
export interface ServerAddress {
  readonly host: string;
  readonly port: number;
  /** @default 2 */
  readonly dcId?: number;
}

/** A Telegram DC 2 address GramJS would pick itself. */
export const TELEGRAM_DC: ServerAddress = { host: '149.154.167.50', port: 443, dcId: 2 };

/** What the connection tells its owner. Everything it hands over is in project types, mapped once in `gram/`. */
export interface GramHooks {
  /** The users and chats of every RPC result, mapped; called before the call returns. */
  ingest(peers: readonly PeerInput[]): void;
  /** A synchronous lookup so GramJS can address a cached peer by id or username alone. */
  peekInputPeer(key: bigint | string): InputPeerDescriptor | undefined;
  /** Each container from the connection, mapped, with the users/chats it carries. */
  onUpdates(incoming: IncomingUpdates, peers: readonly PeerInput[]): void;
  /** Every change of the connection's state. */
  connectionState?(state: ConnectionState): void;
  /** A new connection replaced a lost one: fetch what was missed. */
  reconnected?(): void;
}

export interface GramConnectOptions {
  readonly apiId: number;
  readonly apiHash: string;
  readonly session?: SessionData | undefined;
  readonly server?: ServerAddress | undefined;
  /** @default 'full' */
  readonly transport?: Transport | undefined;
  /** GramJS's own log level. @default 'none' */
  readonly gramLogLevel?: 'none' | 'error' | 'warn' | 'info' | 'debug' | undefined;
  /** Deadlines, pings and reconnect backoff. @default CONNECTION_DEFAULTS */
  readonly connection?: ConnectionOptions | undefined;
  /** Wall-clock time for connection states. @default the system clock */
  readonly clock?: Clock | undefined;
}

export type ResolvedGramOptions = GramConnectOptions & { readonly connection: ResolvedConnectionOptions };

/** The logged-in account (the bot). Its user record reaches the peer cache through `GramHooks.ingest`. */
export interface SelfInfo {
  readonly id: bigint;
  readonly username?: string;
  readonly firstName: string;
  readonly bot: boolean;
}
