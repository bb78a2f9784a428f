import { inspect } from 'node:util';
import { type Clock, systemClock } from '../clock.js';
import {
  type ConnectionOptions,
  type ConnectionState,
  deadlineFor,
  type Link,
  LinkDeath,
  type LinkFailure,
  type ResolvedConnectionOptions,
  resolveConnectionOptions,
  Supervisor,
} from '../connection/index.js';
import { SessionInvalidError } from '../errors.js';
import { RpcCallError } from '../rpc-errors.js';
import { redactSecrets } from '../secrets.js';
import type { SessionData } from '../session/session-file.js';
import type { InputPeerDescriptor, PeerInput } from '../storage/types.js';
import type { Difference, IncomingUpdates, UpdateState } from '../updates/types.js';
import {
  peerInputsFromGram,
  toGramInputPeer as toInputPeer,
  toGramInputUser as toInputUser,
} from './entities.js';
import { type FormattedText, type InlineButton, inlineKeyboard } from './format.js';
import { callRpc, toPmError } from './rpc.js';

/** msg_container#73f1f8dc */
const MESSAGE_CONTAINER_ID = 0x73f1f8dc;

import {
  Api,
  type AuthKey,
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
  StringSession,
  TelegramClient,
  toBigInteger,
  toBigint,
} from './tl.js';
import { mapDifference, mapIncoming, mapState, markedPeerId } from './updates.js';

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

export interface GramHooks {
  /** Every user/chat object in every update and RPC result, as GramJS TL objects (mapped in entities.ts). */
  ingest(entities: readonly unknown[]): void;
  /** A synchronous lookup so GramJS can address a cached peer by id or username alone. */
  peekInputPeer(key: bigint | string): InputPeerDescriptor | undefined;
  /** Each container from the connection, mapped, with the users/chats it carries. */
  onUpdates(incoming: IncomingUpdates, entities: readonly unknown[]): void;
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

const TRANSPORTS = {
  full: ConnectionTCPFull,
  abridged: ConnectionTCPAbridged,
  obfuscated: ConnectionTCPObfuscated,
} as const;

function collectEntities(tlo: any, out: unknown[] = [], depth = 0): unknown[] {
  if (!tlo || typeof tlo !== 'object' || depth > 2) return out;
  if (Array.isArray(tlo)) {
    for (const x of tlo) collectEntities(x, out, depth + 1);
    return out;
  }
  const cls = tlo.className as string | undefined;
  if (
    cls === 'User' ||
    cls === 'UserEmpty' ||
    cls === 'Chat' ||
    cls === 'ChatForbidden' ||
    cls === 'ChatEmpty' ||
    cls === 'Channel' ||
    cls === 'ChannelForbidden'
  ) {
    out.push(tlo);
    return out;
  }
  for (const key of ['user', 'chat', 'channel', 'users', 'chats']) {
    if (key in tlo) collectEntities(tlo[key], out, depth + 1);
  }
  return out;
}

/**
 * GramJS's session with pm's peer cache behind it: the auth key and DC live here (saved to pm's session file,
 * not GramJS's 16-bit-port string format), every entity GramJS sees goes to the peer cache, and GramJS can
 * address any cached peer by id or username alone.
 */
export class PmSession extends StringSession {
  hooks: GramHooks | undefined;

  constructor(data: SessionData | undefined, server: ServerAddress) {
    super('');
    const s = this as any;
    s._dcId = data?.dcId ?? server.dcId ?? 2;
    s._serverAddress = data?.serverAddress ?? server.host;
    s._port = data?.port ?? server.port;
    if (data) s._key = Buffer.from(data.authKey, 'base64');
  }

  override save(): string {
    return '';
  }

  /** The auth key stays out of logs: `console.log(session)` shows where it points, not what it holds. */
  [inspect.custom](): string {
    const key = this.getAuthKey() as AuthKey | undefined;
    return `PmSession { dc: ${this.dcId}, server: '${this.serverAddress}:${this.port}', authKey: ${key?.getKey() ? '<redacted>' : 'none'} }`;
  }

  override processEntities(tlo: any): void {
    if (!this.hooks) return;
    const entities = collectEntities(tlo);
    if (entities.length > 0) this.hooks.ingest(entities);
  }

  override getInputEntity(key: any): Api.TypeInputPeer {
    if (
      this.hooks &&
      (typeof key === 'bigint' ||
        typeof key === 'number' ||
        typeof key === 'string' ||
        bigInt.isInstance(key))
    ) {
      let k: bigint | string | undefined;
      try {
        k =
          typeof key === 'string' && !/^-?\d+$/.test(key)
            ? key.replace(/^@/, '').toLowerCase()
            : BigInt(key.toString());
      } catch {
        k = undefined;
      }
      const ref = k === undefined ? undefined : this.hooks.peekInputPeer(k);
      if (ref) return toInputPeer(ref);
    }
    return super.getInputEntity(key);
  }
}

/** Socket class that dials `port` whatever port GramJS asks for (GramJS 2.26 always dials 80 without WSS). */
function socketFor(port: number): any {
  return class PmSocket extends PromisedNetSockets {
    override connect(_port: number, ip: string) {
      return super.connect(port, ip);
    }
  };
}

export interface SelfInfo {
  readonly id: bigint;
  readonly username?: string;
  readonly firstName: string;
  readonly bot: boolean;
  /** The raw user, for ingesting into the peer cache. */
  readonly raw: unknown;
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
type ResolvedGramOptions = GramConnectOptions & { readonly connection: ResolvedConnectionOptions };

class GramLink implements Link {
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
    if (mapped) hooks.onUpdates(mapped, collectEntities(obj));
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

/** Connects GramJS (key exchange on a new session) with pm's hooks installed. */
export function openGram(opts: GramConnectOptions, hooks: GramHooks): Promise<GramConnection> {
  return GramConnection.open(opts, hooks);
}

/**
 * The connection behind a PmClient: a supervised series of GramJS clients (one per connection), with every call
 * under a deadline and retried across reconnects where that is safe. Everything it returns is in project types.
 */
export class GramConnection {
  // Private (#) so that no inspection, serializer or stray property walk reaches the api hash or the auth key.
  readonly #session: PmSession;
  readonly #opts: ResolvedGramOptions;
  readonly #server: ServerAddress;
  readonly #supervisor: Supervisor<GramLink>;
  /** A session from a file was logged in; a new one is not until loginAsBot succeeds. */
  #authorized: boolean;

  private constructor(
    session: PmSession,
    opts: ResolvedGramOptions,
    server: ServerAddress,
    hooks: GramHooks,
  ) {
    this.#session = session;
    this.#opts = opts;
    this.#server = server;
    this.#authorized = opts.session !== undefined;
    this.#supervisor = new Supervisor<GramLink>({
      options: opts.connection,
      clock: opts.clock ?? systemClock,
      target: `${server.host}:${server.port}`,
      dial: async (signal) => {
        const link = new GramLink(session, opts, server, hooks, () => this.#authorized);
        await link.open(signal);
        return link;
      },
      onState: (state) => hooks.connectionState?.(state),
      onReconnected: () => hooks.reconnected?.(),
    });
  }

  static async open(opts: GramConnectOptions, hooks: GramHooks): Promise<GramConnection> {
    const server =
      opts.server ??
      (opts.session
        ? { host: opts.session.serverAddress, port: opts.session.port, dcId: opts.session.dcId }
        : TELEGRAM_DC);
    const session = new PmSession(opts.session, server);
    await session.load();
    session.hooks = hooks;
    const conn = new GramConnection(
      session,
      { ...opts, connection: resolveConnectionOptions(opts.connection) },
      server,
      hooks,
    );
    try {
      await conn.#supervisor.start();
    } catch (e) {
      session.hooks = undefined;
      throw e;
    }
    return conn;
  }

  /** Where the connection stands now. */
  get state(): ConnectionState {
    return this.#supervisor.state;
  }

  /** Resolves when connected; rejects with ConnectionLostError at the deadline, or SessionInvalidError. */
  async waitReady(method: string): Promise<void> {
    await this.#supervisor.waitReady(deadlineFor(this.#opts.connection.callTimeoutMs), method);
  }

  /** Resolves once connected, however long that takes; rejects only when the client stops (or the session is refused). */
  async waitUntilReady(method: string): Promise<void> {
    await this.#supervisor.waitReady(
      { at: Number.POSITIVE_INFINITY, timeoutMs: Number.POSITIVE_INFINITY },
      method,
    );
  }

  /** One RPC under the supervisor: waits for a connection, retried after a drop when `retry`. */
  private invoke<T>(method: string, request: () => Api.AnyRequest, retry = true): Promise<T> {
    return this.#supervisor.call(
      method,
      async (link) => {
        try {
          return await callRpc(method, () => link.client.invoke(request() as any) as Promise<T>);
        } catch (e) {
          // A new session that has not logged in yet is merely unregistered: the session itself is fine.
          if (!this.#authorized && e instanceof SessionInvalidError && e.reason === 'AUTH_KEY_UNREGISTERED')
            throw new RpcCallError(
              401,
              e.reason,
              method,
              `${method}: not logged in yet: call loginAsBot first`,
            );
          throw e;
        }
      },
      { retry },
    );
  }

  async loginAsBot(token: string): Promise<SelfInfo> {
    const res = await this.invoke<Api.auth.TypeAuthorization>(
      'auth.ImportBotAuthorization',
      () =>
        new Api.auth.ImportBotAuthorization({
          flags: 0,
          apiId: this.#opts.apiId,
          apiHash: this.#opts.apiHash,
          botAuthToken: token,
        }),
    );
    if (!(res instanceof Api.auth.Authorization))
      throw toPmError(new Error('sign-up required'), 'auth.ImportBotAuthorization');
    this.#authorized = true;
    return selfInfo(res.user);
  }

  async getMe(): Promise<SelfInfo> {
    const [u] = await this.invoke<Api.TypeUser[]>(
      'users.GetUsers',
      () => new Api.users.GetUsers({ id: [new Api.InputUserSelf()] }),
    );
    return selfInfo(u as Api.TypeUser);
  }

  /** The session as pm saves it. Throws when there is no auth key yet. */
  exportSession(bot?: SessionData['bot']): SessionData {
    const key = (this.#session.getAuthKey() as AuthKey | undefined)?.getKey();
    if (!key) throw toPmError(new Error('no auth key yet'), 'exportSession');
    return {
      version: 1,
      dcId: this.#session.dcId,
      serverAddress: this.#server.host,
      port: this.#server.port,
      authKey: key.toString('base64'),
      apiId: this.#opts.apiId,
      apiHash: this.#opts.apiHash,
      ...(bot ? { bot } : {}),
    };
  }

  async getState(): Promise<UpdateState> {
    return mapState(
      await this.invoke<Api.updates.State>('updates.GetState', () => new Api.updates.GetState()),
    );
  }

  async getDifference(state: UpdateState): Promise<{ diff: Difference; entities: unknown[] }> {
    const d = await this.invoke<Api.updates.TypeDifference>(
      'updates.GetDifference',
      () => new Api.updates.GetDifference({ pts: state.pts, qts: state.qts, date: state.date }),
    );
    return { diff: mapDifference(d), entities: collectEntities(d) };
  }

  /** Maps GramJS users/chats to peer cache sightings. */
  mapEntities(entities: readonly unknown[]): PeerInput[] {
    return peerInputsFromGram(entities);
  }

  /** contacts.resolveUsername: the marked id, and the users/chats to ingest. */
  async resolveUsername(username: string): Promise<{ markedId: bigint; entities: unknown[] }> {
    const r = await this.invoke<Api.contacts.ResolvedPeer>(
      'contacts.ResolveUsername',
      () => new Api.contacts.ResolveUsername({ username }),
    );
    return { markedId: markedPeerId(r.peer), entities: collectEntities(r) };
  }

  async getUsers(refs: readonly InputPeerDescriptor[]): Promise<unknown[]> {
    return this.invoke<unknown[]>(
      'users.GetUsers',
      () => new Api.users.GetUsers({ id: refs.map(toInputUser) }),
    );
  }

  async setTyping(ref: InputPeerDescriptor): Promise<void> {
    await this.invoke<boolean>(
      'messages.SetTyping',
      () => new Api.messages.SetTyping({ peer: toInputPeer(ref), action: new Api.SendMessageTypingAction() }),
    );
  }

  /**
   * messages.sendMessage; the result is mapped so its pts reaches the update engine. Sent again after a dropped
   * connection with the same random_id: Telegram answers RANDOM_ID_DUPLICATE rather than deliver twice.
   */
  async sendMessage(
    ref: InputPeerDescriptor,
    message: FormattedText,
    randomId: bigint,
    opts: {
      silent?: boolean;
      replyTo?: number;
      noWebpage?: boolean;
      buttons?: readonly (readonly InlineButton[])[];
    } = {},
  ): Promise<{ messageId: number; date: number; incoming: IncomingUpdates | undefined }> {
    const res = await this.invoke<Api.TypeUpdates>(
      'messages.SendMessage',
      () =>
        new Api.messages.SendMessage({
          peer: toInputPeer(ref),
          message: message.text,
          randomId: toBigInteger(randomId),
          silent: opts.silent,
          noWebpage: opts.noWebpage,
          ...(message.entities.length > 0 ? { entities: message.entities as Api.TypeMessageEntity[] } : {}),
          ...(opts.replyTo ? { replyTo: new Api.InputReplyToMessage({ replyToMsgId: opts.replyTo }) } : {}),
          ...(opts.buttons ? { replyMarkup: inlineKeyboard(opts.buttons) } : {}),
        }),
    );
    return { ...sentMessageInfo(res), incoming: mapIncoming(res) };
  }

  /**
   * messages.editMessage: new text (or the old one when `message` is undefined) and keyboard; the result's pts
   * goes to the update engine. Leaving `buttons` out removes the keyboard, as Telegram does.
   */
  async editMessage(
    ref: InputPeerDescriptor,
    id: number,
    message: FormattedText | undefined,
    opts: { noWebpage?: boolean; buttons?: readonly (readonly InlineButton[])[] } = {},
  ): Promise<{ editDate: number; incoming: IncomingUpdates | undefined }> {
    const res = await this.invoke<Api.TypeUpdates>(
      'messages.EditMessage',
      () =>
        new Api.messages.EditMessage({
          peer: toInputPeer(ref),
          id,
          noWebpage: opts.noWebpage,
          ...(message ? { message: message.text } : {}),
          ...(message && message.entities.length > 0
            ? { entities: message.entities as Api.TypeMessageEntity[] }
            : {}),
          ...(opts.buttons ? { replyMarkup: inlineKeyboard(opts.buttons) } : {}),
        }),
    );
    return { editDate: editDateOf(res), incoming: mapIncoming(res) };
  }

  /** messages.deleteMessages (for everyone); answers how many were deleted and the pts for the engine. */
  async deleteMessages(
    ids: readonly number[],
  ): Promise<{ deleted: number; incoming: IncomingUpdates | undefined }> {
    const res = await this.invoke<Api.messages.AffectedMessages>(
      'messages.DeleteMessages',
      () => new Api.messages.DeleteMessages({ id: [...ids], revoke: true }),
    );
    return {
      deleted: res.ptsCount,
      incoming:
        res.ptsCount > 0
          ? mapIncoming(
              new Api.UpdateShort({
                update: new Api.UpdateDeleteMessages({
                  messages: [...ids],
                  pts: res.pts,
                  ptsCount: res.ptsCount,
                }),
                date: Math.floor(Date.now() / 1000),
              }),
            )
          : undefined,
    };
  }

  /** messages.setBotCallbackAnswer. */
  async answerCallbackQuery(
    queryId: bigint,
    answer: { text?: string; alert?: boolean; url?: string; cacheTime?: number },
  ): Promise<void> {
    await this.invoke<boolean>(
      'messages.SetBotCallbackAnswer',
      () =>
        new Api.messages.SetBotCallbackAnswer({
          queryId: toBigInteger(queryId),
          alert: answer.alert,
          cacheTime: answer.cacheTime ?? 0,
          ...(answer.text ? { message: answer.text } : {}),
          ...(answer.url ? { url: answer.url } : {}),
        }),
    );
  }

  /** Closes the connection for good; calls still waiting settle with ConnectionLostError('stopped'). */
  async disconnect(): Promise<void> {
    this.#session.hooks = undefined;
    await this.#supervisor.stop();
  }

  describe(): string {
    return redactSecrets(`${this.#server.host}:${this.#server.port} dc${this.#session.dcId}`);
  }

  /** No api hash, auth key or GramJS internals in logs, at any depth. */
  [inspect.custom](): string {
    return `GramConnection { ${this.describe()} }`;
  }
}

function selfInfo(u: Api.TypeUser): SelfInfo {
  if (!(u instanceof Api.User)) throw toPmError(new Error('the account is gone'), 'users.GetUsers');
  return {
    id: toBigint(u.id),
    ...(u.username ? { username: u.username } : {}),
    firstName: u.firstName ?? '',
    bot: Boolean(u.bot),
    raw: u,
  };
}

function editDateOf(res: Api.TypeUpdates): number {
  if (res instanceof Api.Updates || res instanceof Api.UpdatesCombined) {
    for (const u of res.updates) {
      if (u instanceof Api.UpdateEditMessage && u.message instanceof Api.Message && u.message.editDate) {
        return u.message.editDate;
      }
    }
  }
  return Math.floor(Date.now() / 1000);
}

function sentMessageInfo(res: Api.TypeUpdates): { messageId: number; date: number } {
  if (res instanceof Api.UpdateShortSentMessage) return { messageId: res.id, date: res.date };
  if (res instanceof Api.Updates || res instanceof Api.UpdatesCombined) {
    for (const u of res.updates) {
      if (
        (u instanceof Api.UpdateNewMessage || u instanceof Api.UpdateNewChannelMessage) &&
        u.message instanceof Api.Message
      ) {
        return { messageId: u.message.id, date: u.message.date };
      }
      if (u instanceof Api.UpdateMessageID) return { messageId: u.id, date: res.date };
    }
    return { messageId: 0, date: res.date };
  }
  return { messageId: 0, date: Math.floor(Date.now() / 1000) };
}
