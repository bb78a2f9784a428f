import { inspect } from 'node:util';
import { type CanMessageResult, canMessage } from './blocks/can-message.js';
import {
  answerCallback,
  type CallbackAnswerInput,
  type CallbackAnswerResult,
  type CallbackQueryEvent,
  callbackQueryEvent,
} from './callbacks/callback-query.js';
import { type Clock, systemClock } from './clock.js';
import { type ConnectionOptions, type ConnectionState, withTimeout } from './connection/index.js';
import {
  type DialogEvents,
  type DialogInfo,
  DialogService,
  type DialogVia,
  toDialogInfo,
} from './dialogs/dialog-service.js';
import { ConnectionLostError, PmError, SessionInvalidError } from './errors.js';
import { TypedEmitter } from './events.js';
import { formatText } from './gram/format.js';
import {
  type GramConnection,
  type GramHooks,
  openGram,
  type SelfInfo,
  type ServerAddress,
  type Transport,
} from './gram/index.js';
import { createLog, errorLine, type Log, type Logger } from './log.js';
import type { PeerRef } from './peers/peer-ref.js';
import { parsePeerRef } from './peers/peer-ref.js';
import { Resolver } from './peers/resolver.js';
import {
  type LanguageInfo,
  languageOf,
  type Profile,
  type ProfileChangedEvent,
  profileChangeEvents,
} from './profiles/profile.js';
import { redactSecrets } from './secrets.js';
import { Broadcast, BroadcastError, type BroadcastOptions } from './send/broadcast.js';
import {
  type DeleteResult,
  deleteMessages,
  type EditDeps,
  type EditInput,
  type EditResult,
  editMessage,
} from './send/edit.js';
import { type LimiterOptions, RateLimiter, realSleep } from './send/limiter.js';
import { SEND_DEFAULTS, Sender, type SendInput, type SendResult } from './send/sender.js';
import {
  readSessionFile,
  type SessionData,
  SessionFileError,
  writeSessionFile,
} from './session/session-file.js';
import { openStorage } from './storage/open.js';
import { PeerCache, type PeerCacheOptions } from './storage/peer-cache.js';
import type { DialogState, PeerInput, PeerRecord, StorageProvider, UpsertResult } from './storage/types.js';
import type { BotUpdate, IncomingUpdates, UpdateState } from './updates/types.js';
import { UpdateEngine } from './updates/update-engine.js';

/** Every default of PmClient, in one place. */
export const CLIENT_DEFAULTS = {
  /** A cached username is trusted this long after the user was last seen with it, ms (1 day). */
  usernameTrustWindowMs: 24 * 60 * 60 * 1000,
  transport: 'full' as Transport,
} as const;

export interface PmClientOptions {
  readonly apiId: number;
  readonly apiHash: string;
  /** A session file path (created on login, mode 0600) or session data. Omitted: a new in-memory session. */
  readonly session?: string | SessionData | undefined;
  /** Where seen users and dialog state live: a provider, `memory`, `sqlite:<path>` or a path. @default 'memory' */
  readonly storage?: string | StorageProvider | undefined;
  /** Connect here instead of Telegram (e.g. an @pm/testserver). */
  readonly server?: ServerAddress | undefined;
  /** @default 'full' */
  readonly transport?: Transport | undefined;
  /** @default 86_400_000 (1 day) */
  readonly usernameTrustWindowMs?: number | undefined;
  /** @default the system clock */
  readonly clock?: Clock | undefined;
  /** Tuning of the peer cache (LRU size, write-behind delay). */
  readonly peerCache?: Omit<PeerCacheOptions, 'storage' | 'now'> | undefined;
  /** Sending limits (global, per chat, per group) and their time scale. @default Telegram's, see LIMITER_DEFAULTS */
  readonly limits?: LimiterOptions | undefined;
  /** Longest flood wait a send sits out (Telegram seconds) before answering floodWait. @default 60 */
  readonly maxFloodWaitSeconds?: number | undefined;
  /**
   * Where pm logs connection states, reconnects, flood waits, peer cache flushes and store errors: `console`, a
   * pino or winston logger, anything with debug/info/warn/error (each called with one redacted string). `DEBUG=pm:*`
   * shows the same lines through the `debug` package. @default none (only DEBUG)
   */
  readonly logger?: Logger | undefined;
  /** GramJS's own logging. @default 'none' */
  readonly gramLogLevel?: 'none' | 'error' | 'warn' | 'info' | 'debug' | undefined;
  /**
   * Deadlines, pings and reconnect backoff: every call settles within `callTimeoutMs` (60 s), a connection that
   * stops answering pings is replaced, reconnects back off up to `backoffMaxMs` (30 s). @default CONNECTION_DEFAULTS
   */
  readonly connection?: ConnectionOptions | undefined;
}

/** A deadline for one call, overriding `connection.callTimeoutMs`. */
export interface CallTimeout {
  /** Settle (with ConnectionLostError, or a `network` result for sends) after this many ms at the latest. */
  readonly timeoutMs?: number;
}

export interface Me {
  readonly id: bigint;
  readonly username: string | undefined;
  readonly firstName: string;
}

export interface ClientErrorEvent {
  readonly error: unknown;
  readonly where: string;
}

export interface PmEvents extends DialogEvents {
  profileChanged: ProfileChangedEvent;
  /** Every update, mapped, after pm handled it (for bots that want more than the typed events). */
  update: BotUpdate;
  error: ClientErrorEvent;
  /** The connection changed state: connecting, ready, waiting (with the next attempt's time), stopped. */
  connectionState: ConnectionState;
  /** A user pressed a callback button under one of the bot's messages; answer with `answerCallback(queryId)`. */
  callbackQuery: CallbackQueryEvent;
}

export class NotLoggedInError extends PmError {
  constructor() {
    super(
      'NOT_LOGGED_IN',
      'The client is not logged in: call loginAsBot(token) or connect with a session file',
    );
  }
}

const STATE_KEY = 'updates.state';

/**
 * A Telegram bot over MTProto, with a persistent cache of every user it has seen.
 *
 *   const client = await PmClient.connect({ apiId, apiHash, session: 'bot.session', storage: 'sqlite:bot.db' });
 *   if (!client.loggedIn) await client.loginAsBot(process.env.BOT_TOKEN!);
 *   client.on('dialogStarted', async ({ user, payload }) => { await client.send(user.id, `Hi ${user.firstName}`) });
 *   await client.start(); // catches up on what was missed, then handles live updates
 */
export class PmClient {
  readonly peers: PeerCache;
  readonly clock: Clock;
  private readonly emitter: TypedEmitter<PmEvents>;
  private readonly resolver: Resolver;
  private readonly dialogService: DialogService;
  private readonly sender: Sender;
  /** The limiter every outgoing message passes (shared by send and broadcast). */
  readonly limiter: RateLimiter;
  private engine: UpdateEngine | undefined;
  private gram!: GramConnection;
  private meInfo: Me | undefined;
  private closed = false;
  private ingestQueue: Promise<unknown> = Promise.resolve();
  private startPromise: Promise<void> | undefined;
  private connState: ConnectionState = { state: 'connecting', attempt: 0 };
  private detachPeerCache: (() => void) | undefined;
  private readonly log: { connection: Log; updates: Log; storage: Log; send: Log };

  private constructor(
    opts: PmClientOptions,
    readonly storage: StorageProvider,
    private readonly sessionPath: string | undefined,
  ) {
    this.clock = opts.clock ?? systemClock;
    this.log = {
      connection: createLog('connection', opts.logger),
      updates: createLog('updates', opts.logger),
      storage: createLog('storage', opts.logger),
      send: createLog('send', opts.logger),
    };
    this.emitter = new TypedEmitter<PmEvents>((error, name) => {
      if (name !== 'error') void this.emitter.emit('error', { error, where: `listener of ${String(name)}` });
    });
    this.peers = new PeerCache({
      ...opts.peerCache,
      storage,
      now: () => this.clock.now(),
      onError: (error) => {
        this.log.storage.error(`peer cache write failed: ${errorLine(error)}`);
        void this.emitter.emit('error', { error, where: 'peer cache write' });
      },
      onFlushed: ({ peers, ms, error }) => {
        if (!error) this.log.storage.debug(`flushed ${peers} peer(s) to ${storage.name} in ${ms} ms`);
      },
    });
    this.resolver = new Resolver({
      peers: this.peers,
      clock: this.clock,
      trustWindowMs: opts.usernameTrustWindowMs ?? CLIENT_DEFAULTS.usernameTrustWindowMs,
      resolveUsername: async (name) => {
        const id = await this.gram.resolveUsername(name);
        await this.ingested();
        return id;
      },
    });
    this.dialogService = new DialogService({
      repo: storage.dialogs,
      shared: storage.shared === true,
      clock: this.clock,
      getPeer: (id) => this.peers.get(id),
      emit: (name, event) => this.emitter.emit(name, event as PmEvents[typeof name]),
      botUsername: () => this.meInfo?.username,
    });
    this.limiter = new RateLimiter(opts.limits, this.clock, realSleep);
    this.sender = new Sender({
      peers: this.peers,
      dialogs: this.dialogService,
      limiter: this.limiter,
      clock: this.clock,
      sleep: realSleep,
      maxFloodWaitSeconds: opts.maxFloodWaitSeconds ?? SEND_DEFAULTS.maxFloodWaitSeconds,
      waitReady: (method) => this.gram.waitReady(method),
      resolvePeer: (ref) => this.resolver.resolvePeer(ref),
      format: formatText,
      sendMessage: (peer, text, randomId, o) => this.gram.sendMessage(peer, text, randomId, o),
      onSent: (incoming) => {
        if (this.engine && this.startPromise) void this.engine.push(incoming);
      },
      onFloodWait: ({ seconds, peerId, waiting }) =>
        this.log.send.warn(
          `FLOOD_WAIT ${seconds} s sending to ${peerId}: ${waiting ? 'waiting it out' : 'answering floodWait'}`,
        ),
    });
  }

  /** Opens storage and connects (runs the MTProto key exchange on a new session). */
  static async connect(opts: PmClientOptions): Promise<PmClient> {
    const sessionPath = typeof opts.session === 'string' ? opts.session : undefined;
    let session: SessionData | undefined = typeof opts.session === 'object' ? opts.session : undefined;
    if (sessionPath) {
      try {
        session = await readSessionFile(sessionPath);
      } catch (e) {
        if (!(e instanceof SessionFileError && e.missing)) throw e;
      }
    }
    const storage = await openStorage(opts.storage ?? 'memory');
    const client = new PmClient(opts, storage, sessionPath);
    try {
      if (storage.attachPeerCache) client.detachPeerCache = await storage.attachPeerCache(client.peers);
      client.gram = await openGram(
        {
          apiId: opts.apiId,
          apiHash: opts.apiHash,
          session,
          server: opts.server,
          transport: opts.transport ?? CLIENT_DEFAULTS.transport,
          gramLogLevel: opts.gramLogLevel,
          connection: opts.connection,
          clock: client.clock,
        },
        client.hooks(),
      );
      if (session?.bot) {
        const me = await client.gram.getMe();
        await client.afterLogin(me);
      }
    } catch (e) {
      client.detachPeerCache?.();
      await client.peers.close().catch(() => {});
      throw e;
    }
    return client;
  }

  /** Logs in with a bot token from @BotFather, saves the session (when a path was given) and starts updates. */
  async loginAsBot(token: string): Promise<Me> {
    const me = await this.gram.loginAsBot(token);
    await this.afterLogin(me);
    if (this.sessionPath) await writeSessionFile(this.sessionPath, this.exportSession());
    return this.me;
  }

  /** Where the connection to Telegram stands: connecting, ready, waiting (next attempt at…), stopped. */
  get connectionState(): ConnectionState {
    return this.connState;
  }

  get loggedIn(): boolean {
    return this.meInfo !== undefined;
  }

  /** The bot itself. Throws NotLoggedInError before login. */
  get me(): Me {
    if (!this.meInfo) throw new NotLoggedInError();
    return this.meInfo;
  }

  /** The session to save (auth key, DC, API credentials). Secret: keep it like a password. */
  exportSession(): SessionData {
    const me = this.meInfo;
    return this.gram.exportSession(
      me
        ? { id: me.id.toString(), ...(me.username ? { username: me.username } : {}), firstName: me.firstName }
        : undefined,
    );
  }

  // ---- events -------------------------------------------------------------------------------------------------

  on<K extends keyof PmEvents>(name: K, listener: (e: PmEvents[K]) => void | Promise<void>): () => void {
    return this.emitter.on(name, listener);
  }

  once<K extends keyof PmEvents>(name: K): Promise<PmEvents[K]> {
    return this.emitter.once(name);
  }

  /** `for await (const e of client.events('dialogStarted')) …` */
  events<K extends keyof PmEvents>(
    name: K,
    opts?: { signal?: AbortSignal },
  ): AsyncIterableIterator<PmEvents[K]> {
    return this.emitter.events(name, opts);
  }

  /**
   * Whether a bot process has consumed updates with this storage (an update state is saved for this bot). Until
   * then dialog starts and blocks are unknown to the storage, not absent.
   */
  async hasUpdateState(): Promise<boolean> {
    if (!this.meInfo) throw new NotLoggedInError();
    return (await this.storage.state.get(`${STATE_KEY}.${this.meInfo.id}`)) !== undefined;
  }

  /** Resolves when every update received so far has been handled (useful in tests and scripts). */
  async idle(): Promise<void> {
    await this.ingestQueue;
    await this.engine?.idle();
    await this.ingestQueue;
  }

  // ---- resolving ----------------------------------------------------------------------------------------------

  /** Any peer by id, @username, t.me link or tg:// link; cache first. */
  resolvePeer(ref: PeerRef, opts: CallTimeout = {}): Promise<PeerRecord> {
    return withTimeout(opts.timeoutMs, () => this.resolver.resolvePeer(ref));
  }

  /** Like resolvePeer, but the peer must be a user (or bot). */
  resolveUser(ref: PeerRef, opts: CallTimeout = {}): Promise<PeerRecord> {
    return withTimeout(opts.timeoutMs, () => this.resolver.resolveUser(ref));
  }

  /** How many username look-ups went to Telegram (the rest were answered from the cache). */
  get networkLookups(): number {
    return this.resolver.networkLookups;
  }

  // ---- sending ------------------------------------------------------------------------------------------------

  /**
   * Sends a text message within Telegram's limits. Refusals are results, not exceptions:
   * `{ ok: false, reason: 'blocked' | 'notStarted' | 'deactivated' | 'isBot' | 'notSeen' | 'tooLong' | 'floodWait' … }`.
   */
  send(ref: PeerRef, input: string | SendInput): Promise<SendResult> {
    const timeoutMs = typeof input === 'string' ? undefined : input.timeoutMs;
    return withTimeout(timeoutMs, () => this.sender.send(ref, input));
  }

  /**
   * Edits one of the bot's messages (text and/or inline keyboard). Refusals are results:
   * `{ ok: false, reason: 'notModified' | 'messageInvalid' | 'notAuthor' | 'editTimeExpired' | … }`.
   */
  edit(
    ref: PeerRef,
    messageId: number,
    input: string | EditInput,
    opts: CallTimeout = {},
  ): Promise<EditResult> {
    return withTimeout(opts.timeoutMs, () => editMessage(this.editDeps, ref, messageId, input));
  }

  /** Deletes messages of the bot's chats for everyone; answers how many Telegram deleted. */
  deleteMessages(messageIds: readonly number[], opts: CallTimeout = {}): Promise<DeleteResult> {
    return withTimeout(opts.timeoutMs, () => deleteMessages(this.editDeps, messageIds));
  }

  /** Answers a `callbackQuery` event (once per query): a notification, an alert or a URL. */
  answerCallback(
    queryId: bigint,
    answer: CallbackAnswerInput = {},
    opts: CallTimeout = {},
  ): Promise<CallbackAnswerResult> {
    return withTimeout(opts.timeoutMs, () =>
      answerCallback((id, a) => this.gram.answerCallbackQuery(id, a), queryId, answer),
    );
  }

  private get editDeps(): EditDeps {
    return {
      resolvePeer: (ref) => this.resolver.resolvePeer(ref),
      inputPeerFor: (id) => this.peers.inputPeerFor(id),
      format: formatText,
      editMessage: (peer, id, text, o) => this.gram.editMessage(peer, id, text, o),
      deleteMessages: (ids) => this.gram.deleteMessages(ids),
      onUpdates: (incoming) => {
        if (this.engine && this.startPromise) void this.engine.push(incoming);
      },
    };
  }

  /**
   * Starts (or, with the same id, resumes) a broadcast. Each recipient's state is stored and its random_id is
   * derived from (id, recipient), so a resumed job never messages anyone twice.
   *
   *   const b = client.broadcast({ id: 'news-42', text: 'Hello!', recipients: { dialogs: { started: true, blocked: false } } });
   *   b.on('progress', (p) => …);
   *   const report = await b.done;
   */
  broadcast(opts: BroadcastOptions): Broadcast {
    const repo = this.storage.broadcasts;
    if (!repo) throw new BroadcastError(opts.id, `the ${this.storage.name} storage keeps no broadcasts`);
    return new Broadcast(
      {
        repo,
        peers: this.peers,
        clock: this.clock,
        shared: this.storage.shared === true,
        resolvePeer: (ref) => this.resolver.resolveUser(ref),
        iterateDialogs: () => this.iterateStates(),
        format: formatText,
        sendTo: (peer, formatted, req) => this.sender.sendTo(peer, formatted, req),
        connection: {
          ready: () => this.connState.state === 'ready',
          waitReady: () => this.gram.waitUntilReady('broadcast'),
        },
      },
      opts,
    );
  }

  /** Resumes a broadcast after a crash or an abort: only recipients not yet sent or skipped get the message. */
  resumeBroadcast(
    id: string,
    opts: Omit<BroadcastOptions, 'id' | 'text' | 'recipients'> = {},
  ): Promise<Broadcast> {
    const repo = this.storage.broadcasts;
    if (!repo) throw new BroadcastError(id, `the ${this.storage.name} storage keeps no broadcasts`);
    return repo.getJob(id).then((job) => {
      if (!job) throw new BroadcastError(id, 'does not exist');
      return this.broadcast({ ...opts, id, text: job.text });
    });
  }

  // ---- dialogs, blocks, profiles ------------------------------------------------------------------------------

  readonly dialogs = {
    /** The dialog state of a user, or undefined when nothing is known. */
    get: async (ref: PeerRef): Promise<DialogInfo | undefined> =>
      this.dialogService.get(await this.userIdOf(ref)),
    /** Every dialog, filtered, ascending by user id. */
    iterate: (filter: { started?: boolean; blocked?: boolean } = {}): AsyncIterable<DialogInfo> =>
      this.iterateDialogs(filter),
    /** Counts of dialogs: all known, started, blocked. */
    counts: async (): Promise<{ total: number; started: number; blocked: number }> => {
      let total = 0;
      let started = 0;
      let blocked = 0;
      for await (const d of this.iterateDialogs({})) {
        total++;
        if (d.started) started++;
        if (d.blocked) blocked++;
      }
      return { total, started, blocked };
    },
  };

  /** Probes with "typing…" whether the bot may message the user; bots are answered without a network call. */
  canMessage(ref: PeerRef, opts: CallTimeout = {}): Promise<CanMessageResult> {
    return withTimeout(opts.timeoutMs, () => this.probe(ref));
  }

  private probe(ref: PeerRef): Promise<CanMessageResult> {
    return canMessage({
      peers: this.peers,
      dialogs: this.dialogService,
      resolveUser: () => this.resolver.resolveUser(ref),
      setTyping: (peer) => this.gram.setTyping(peer),
    });
  }

  /** The user's record, change history, last known language and dialog state. */
  async profile(ref: PeerRef): Promise<Profile> {
    const user = await this.resolver.resolveUser(ref);
    const [history, dialog] = await Promise.all([
      this.peers.history(user.id),
      this.dialogService.get(user.id),
    ]);
    return { user, history, language: languageOf(user), dialog };
  }

  /** The last known lang_code of a user and when it was seen. */
  async languageOf(ref: PeerRef): Promise<LanguageInfo> {
    return languageOf(await this.resolver.resolveUser(ref));
  }

  // ---- lifecycle ----------------------------------------------------------------------------------------------

  /** Stops updates, flushes the peer cache, disconnects and closes the storage. Idempotent. */
  async disconnect(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      // First the connection: a call still waiting for a reconnect settles at once (ConnectionLostError).
      await this.gram?.disconnect();
    } finally {
      await this.engine?.stop();
      await this.ingestQueue.catch(() => {});
      this.detachPeerCache?.();
      await this.peers.close();
    }
  }

  // ---- internals ----------------------------------------------------------------------------------------------

  private hooks(): GramHooks {
    return {
      ingest: (peers) => {
        void this.ingest(peers);
      },
      peekInputPeer: (key) => this.peers.peekInputPeer(key),
      onUpdates: (incoming: IncomingUpdates, peers) => {
        if (!this.engine) return;
        void this.engine.push(incoming, () => this.ingest(peers));
      },
      connectionState: (state) => this.onConnectionState(state),
      reconnected: () => {
        // Whatever happened while disconnected comes through getDifference, checked against pts/qts.
        if (this.engine && this.startPromise)
          void this.engine.push({ kind: 'connection', state: 'connected' });
      },
    };
  }

  private onConnectionState(state: ConnectionState): void {
    this.logConnectionState(this.connState, state);
    this.connState = state;
    void this.emitter.emit('connectionState', state);
    if (state.state === 'stopped' && state.error) {
      // Telegram refused the session: stop handling updates (the state reached is saved) and say so once.
      void this.engine?.stop();
      void this.emitter.emit('error', { error: state.error, where: 'connection' });
    }
  }

  private logConnectionState(before: ConnectionState, state: ConnectionState): void {
    const log = this.log.connection;
    switch (state.state) {
      case 'connecting':
        if (before.state === 'ready') log.warn(`connection lost; reconnecting (attempt ${state.attempt})`);
        else log.debug(`connecting (attempt ${state.attempt})`);
        break;
      case 'ready':
        if (state.reconnects > 0) log.info(`reconnected (reconnect ${state.reconnects})`);
        else log.info('connected');
        break;
      case 'waiting':
        log.warn(
          `connection lost (${state.reason}); reconnect attempt ${state.attempt} in ${Math.max(0, state.nextAttemptAt - this.clock.now())} ms`,
        );
        break;
      case 'stopped':
        if (state.error) log.error(`stopped: ${errorLine(state.error)}`);
        else log.info('stopped');
        break;
    }
  }

  /** Resolves when every sighting queued so far is in the cache. */
  private ingested(): Promise<void> {
    return this.ingest([]);
  }

  /** The one path every user/chat sighting takes into the cache; emits profileChanged for what changed. */
  private ingest(inputs: readonly PeerInput[]): Promise<void> {
    if (inputs.length === 0) return this.ingestQueue.then(() => {});
    const run = this.ingestQueue.then(async () => {
      let results: UpsertResult[];
      try {
        results = await this.peers.upsert(inputs);
      } catch (error) {
        this.log.storage.error(`storing ${inputs.length} peer(s) failed: ${errorLine(error)}`);
        await this.emitter.emit('error', { error, where: 'ingest' });
        return;
      }
      for (const event of profileChangeEvents(results)) await this.emitter.emit('profileChanged', event);
    });
    this.ingestQueue = run;
    return run;
  }

  private async afterLogin(me: SelfInfo): Promise<void> {
    this.meInfo = { id: me.id, username: me.username, firstName: me.firstName };
    // The bot's own user came with the login's answer (GramHooks.ingest).
    await this.ingested();
    this.engine = new UpdateEngine({
      loadState: async () => {
        const s = await this.storage.state.get(`${STATE_KEY}.${me.id}`);
        return s ? (JSON.parse(s) as UpdateState) : undefined;
      },
      saveState: async (s) => {
        // The users an update carried must be on disk before the state says it was handled: the peer cache
        // writes behind, and after a crash in between getDifference would not bring them back.
        await this.peers.flush();
        await this.storage.state.set(`${STATE_KEY}.${me.id}`, JSON.stringify(s));
        this.log.updates.debug(`update state saved (pts ${s.pts}, qts ${s.qts}, seq ${s.seq})`);
      },
      fetchState: () => this.gram.getState(),
      fetchDifference: async (s) => {
        const diff = await this.gram.getDifference(s);
        // Its users and chats were queued (GramHooks.ingest) before it returned: in the cache before delivery.
        await this.ingested();
        return diff;
      },
      deliver: (u) => this.handleUpdate(u),
      onError: (error) => {
        // A catch-up cut short by disconnect() or a refused session is not news: both are reported otherwise.
        if (error instanceof SessionInvalidError) return;
        if (error instanceof ConnectionLostError && (this.closed || error.reason === 'stopped')) return;
        this.log.updates.error(`handling updates failed: ${errorLine(error)}`);
        void this.emitter.emit('error', { error, where: 'updates' });
      },
    });
  }

  /**
   * Starts handling updates: first everything missed since the last run (getDifference from the persisted
   * pts/qts), then live ones. Register listeners before calling it; nothing is emitted before. Idempotent.
   */
  async start(): Promise<void> {
    if (!this.engine) throw new NotLoggedInError();
    if (!this.startPromise) this.startPromise = this.engine.start();
    await this.startPromise;
  }

  /** Answers true when the update opened a dialog (the engine then saves its state at once). */
  private async handleUpdate(u: BotUpdate): Promise<boolean> {
    let opened = false;
    await this.ingestQueue;
    switch (u.type) {
      case 'userName':
        await this.ingest([
          {
            id: u.userId,
            firstName: u.firstName ?? null,
            lastName: u.lastName || null,
            usernames: u.usernames,
          },
        ]);
        break;
      case 'userPhone':
        await this.ingest([{ id: u.userId, phone: u.phone ?? null }]);
        break;
      case 'userChanged': {
        const peer = await this.peers.inputPeerFor(u.userId);
        if (peer && !peer.min) {
          try {
            await this.gram.getUsers([peer]);
            await this.ingested();
          } catch (error) {
            await this.emitter.emit('error', { error, where: 'updateUser refresh' });
          }
        }
        break;
      }
      case 'callbackQuery':
        await this.emitter.emit('callbackQuery', await callbackQueryEvent(u, this.peers));
        break;
      default:
        opened = await this.dialogService.handle(u);
    }
    await this.emitter.emit('update', u);
    return opened;
  }

  private async userIdOf(ref: PeerRef): Promise<bigint> {
    const parsed = parsePeerRef(ref);
    if (parsed.kind === 'id') return parsed.id;
    return (await this.resolver.resolveUser(ref)).id;
  }

  private async *iterateStates(): AsyncIterable<DialogState> {
    let after: bigint | null = null;
    for (;;) {
      const page: DialogState[] = await this.storage.dialogs.page(after, 500);
      if (page.length === 0) return;
      yield* page;
      after = page[page.length - 1]!.userId;
    }
  }

  private async *iterateDialogs(filter: { started?: boolean; blocked?: boolean }): AsyncIterable<DialogInfo> {
    for await (const s of this.iterateStates()) {
      const d = toDialogInfo(s);
      if (filter.started !== undefined && d.started !== filter.started) continue;
      if (filter.blocked !== undefined && d.blocked !== filter.blocked) continue;
      yield d;
    }
  }

  toString(): string {
    return redactSecrets(
      `PmClient(${this.meInfo ? `@${this.meInfo.username ?? this.meInfo.id}` : 'not logged in'})`,
    );
  }

  /**
   * `console.log(client)` shows who it is and where it stores, never the api hash, the auth key or the
   * session, however deep the inspection goes.
   */
  [inspect.custom](): string {
    const who = this.meInfo ? `@${this.meInfo.username ?? this.meInfo.id}` : 'not logged in';
    const where = this.gram ? this.gram.describe() : 'not connected';
    return redactSecrets(`PmClient { ${who}, ${where}, storage: ${this.storage.name} }`);
  }

  /** JSON of a client is its description too: nothing secret can leave through a serializer. */
  toJSON(): string {
    return this.toString();
  }
}

export type { DialogVia };
