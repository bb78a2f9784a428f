import { inspect } from 'node:util';
import { type Link, LinkDeath, type LinkFailure } from '../connection/index.js';
import { SessionInvalidError } from '../errors.js';
import { redactSecrets } from '../secrets.js';
import { installFastAcks } from './acks.js';
import { peersOf } from './entities.js';
import type { GramHooks, ResolvedGramOptions, ServerAddress } from './options.js';
import { callRpc } from './rpc.js';
import type { PmSession } from './session.js';
import {
  Api,
  bigInt,
  ConnectionTCPAbridged,
  ConnectionTCPFull,
  ConnectionTCPObfuscated,
  gramHandleUpdate,
  Logger,
  type LogLevel,
  MTProtoSender,
  PromisedNetSockets,
  RPCError,
  TelegramClient,
} from './tl.js';
import { mapIncoming } from './updates.js';

/** msg_container#73f1f8dc */
const MESSAGE_CONTAINER_ID = 0x73f1f8dc;

const TRANSPORTS = {
  full: ConnectionTCPFull,
  abridged: ConnectionTCPAbridged,
  obfuscated: ConnectionTCPObfuscated,
} as const;

/** Socket class that dials `port` whatever port GramJS asks for (GramJS 2.26 always dials 80 without WSS). */
function socketFor(port: number): any {
  return class PmSocket extends PromisedNetSockets {
    override connect(_port: number, ip: string) {
      return super.connect(port, ip);
    }
  };
}

/** One ping in this many checks the session (updates.getState) rather than the socket alone. */
const AUTH_CHECK_EVERY = 4;

/** `-404` and friends: the transport's answer to an auth key the server does not know. */
const AUTH_KEY_NOT_FOUND = 404;

/**
 * One GramJS client with its MTProto sender: one connection attempt and, once it succeeds, the live connection.
 * pm owns the lifecycle: GramJS's own reconnect (which gives up silently and leaves its calls pending) is replaced
 * by `fail()`, so the supervisor throws this link away and dials a fresh one.
 */
export class GramLink implements Link {
  readonly client: TelegramClient;
  private readonly death = new LinkDeath();
  private lastError: unknown;

  constructor(
    session: PmSession,
    private readonly opts: ResolvedGramOptions,
    private readonly server: ServerAddress,
    hooks: GramHooks,
    /** Whether the session is logged in (only then does a refused getState mean the session is gone). */
    private readonly authorized: () => boolean,
  ) {
    installFastAcks();
    const logger = new Logger((opts.gramLogLevel ?? 'none') as LogLevel);
    const client = new TelegramClient(session, opts.apiId, opts.apiHash, {
      connection: TRANSPORTS[opts.transport ?? 'full'],
      networkSocket: socketFor(server.port),
      useWSS: false,
      // One attempt per link: the supervisor does the retrying, with backoff.
      connectionRetries: 1,
      retryDelay: 0,
      // pm's limiter handles flood waits; GramJS must not sleep through them silently.
      floodSleepThreshold: 0,
      baseLogger: logger,
      deviceModel: 'pm',
      appVersion: '0.1.0',
      systemVersion: process.platform,
    });
    client.onError = async (e: unknown) => {
      this.lastError = e;
    };
    this.client = client;
    const c = client as any;
    // The sender GramJS would create in connect(), created here so pm's hooks are in place before the first byte.
    const sender = new MTProtoSender(session.getAuthKey(), {
      logger,
      dcId: session.dcId || 2,
      retries: 1,
      delay: 0,
      autoReconnect: true,
      connectTimeout: c._timeout,
      authKeyCallback: c._authKeyCallback.bind(client),
      updateCallback: (_client: unknown, obj: unknown) => this.onUpdate(hooks, obj),
      isMainSender: true,
      client,
      securityChecks: c._securityChecks,
      _exportedSenderPromises: c._exportedSenderPromises,
      reconnectRetries: 0,
    } as any) as any;
    sender.reconnect = () => this.fail({ reason: `the connection to ${this.where} closed` });
    sender._handleBadAuthKey = (rpcError?: boolean) => {
      // An AUTH_KEY_UNREGISTERED answer reaches its own call (and the supervisor through it); here: the -404.
      if (rpcError) return;
      const error = new SessionInvalidError(`-${AUTH_KEY_NOT_FOUND} (auth key not found)`);
      this.fail({ reason: error.reason, sessionInvalid: error });
    };
    isolateContainerErrors(sender);
    c._sender = sender;
  }

  /** Like GramConnection: no GramJS internals (api hash, auth key) in logs. */
  [inspect.custom](): string {
    return `GramLink { ${this.where}${this.dead ? ', dead' : ''} }`;
  }

  private get where(): string {
    return `${this.server.host}:${this.server.port}`;
  }

  /** GramJS's update callback: containers go to pm whole (with seq), and to GramJS's own handlers if any. */
  private onUpdate(hooks: GramHooks, obj: unknown): void {
    if (this.dead) return;
    // GramJS's own connection-state notes: the supervisor knows better.
    if (typeof (obj as { state?: unknown }).state === 'number') return;
    const mapped = mapIncoming(obj);
    if (mapped) hooks.onUpdates(mapped, peersOf(obj));
    if ((this.client as any)._eventBuilders?.length > 0) gramHandleUpdate(this.client, obj as Api.TypeUpdate);
  }

  /** Connects (TCP, key exchange on a new session, initConnection); rejects when `signal` aborts first. */
  async open(signal: AbortSignal): Promise<void> {
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(new Error(`no answer from ${this.where}`));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    const failed = this.closed.then((f): never => {
      throw f.sessionInvalid ?? new Error(f.reason);
    });
    const connected = this.client.connect().then((ok) => {
      if (ok === false) {
        const e = this.lastError;
        throw new Error(
          `cannot connect to ${this.where}${e instanceof Error ? `: ${redactSecrets(e.message)}` : ''}`,
        );
      }
    });
    try {
      await Promise.race([connected, aborted, failed]);
    } catch (e) {
      this.fail({ reason: e instanceof Error ? e.message : String(e) });
      throw e;
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort);
      connected.catch(() => {});
    }
  }

  get closed(): Promise<LinkFailure> {
    return this.death.closed;
  }

  get dead(): boolean {
    return this.death.dead;
  }

  watch(listener: (failure: LinkFailure) => void): () => void {
    return this.death.watch(listener);
  }

  fail(failure: LinkFailure): void {
    if (this.death.die(failure)) void this.destroy();
  }

  private pings = 0;

  async ping(): Promise<void> {
    // An MTProto ping proves the socket, not the session: a revoked token would go unnoticed by a bot that only
    // listens (its updates just stop). Every AUTH_CHECK_EVERY-th ping asks updates.getState instead.
    if (++this.pings % AUTH_CHECK_EVERY === 0 && this.authorized()) {
      try {
        await callRpc('updates.GetState', () => this.client.invoke(new Api.updates.GetState()));
      } catch (e) {
        if (e instanceof SessionInvalidError) this.fail({ reason: e.reason, sessionInvalid: e });
        throw e;
      }
      return;
    }
    const { pingIntervalMs, pingTimeoutMs } = this.opts.connection;
    // Telegram closes the connection itself if pm stops pinging (a client that vanished), after this long.
    const disconnectDelay = Math.max(10, Math.ceil(((pingIntervalMs + pingTimeoutMs) * 2) / 1000));
    await (this.client as any)._sender.send(
      new Api.PingDelayDisconnect({
        pingId: bigInt(Math.floor(Math.random() * Number.MAX_SAFE_INTEGER)),
        disconnectDelay,
      }),
    );
  }

  async close(): Promise<void> {
    this.death.die({ reason: 'closed' });
    await this.destroy();
  }

  private destroying: Promise<void> | undefined;

  private destroy(): Promise<void> {
    this.destroying ??= (async () => {
      try {
        await this.client.destroy();
      } catch {
        // the socket is gone either way
      }
    })();
    return this.destroying;
  }
}

/**
 * GramJS 2.26 bug: `_handleRPCResult` rethrows an rpc_error after rejecting its request, and `_handleContainer`
 * lets that abort the loop, so every later message in the same container (another call's answer) is dropped
 * and that call never returns. Telegram does batch answers. Each inner message gets its own try; a session
 * error (AUTH_KEY_UNREGISTERED…) is still rethrown for GramJS's own handling.
 */
function isolateContainerErrors(sender: any): void {
  const key = String(MESSAGE_CONTAINER_ID);
  if (!sender?._handlers?.[key]) return;
  sender._handlers[key] = async (message: { obj: { messages: unknown[] } }) => {
    let fatal: unknown;
    for (const inner of message.obj.messages) {
      try {
        await sender._processMessage(inner);
      } catch (e) {
        const name = (e as { errorMessage?: string }).errorMessage;
        if (!(e instanceof RPCError) || name === 'AUTH_KEY_UNREGISTERED' || name === 'SESSION_REVOKED')
          fatal ??= e;
      }
    }
    if (fatal) throw fatal;
  };
}
