import { inspect } from 'node:util';
import {
  answerCallback,
  type CallbackAnswerInput,
  type CallbackAnswerResult,
} from './callbacks/callback-query.js';
import type { CallTimeout, Me, PmClientOptions, PmEvents } from './client/options.js';
import { CLIENT_DEFAULTS, NotLoggedInError } from './client/options.js';
import {
  broadcastDeps,
  type ClientContext,
  type ClientParts,
  editDeps,
  gramHooks,
  wireClient,
} from './client/wiring.js';
import { type Clock, systemClock } from './clock.js';
import { type ConnectionState, logConnectionState, withTimeout } from './connection/index.js';
import { type CanMessageResult, canMessage } from './dialogs/can-message.js';
import { countDialogs, type DialogFilter, iterateDialogs } from './dialogs/dialog-list.js';
import type { DialogInfo, DialogVia } from './dialogs/dialog-service.js';
import { ConnectionLostError } from './errors.js';
import type { EventStream } from './events.js';
import { type GramConnection, openGram, type SelfInfo } from './gram/connection.js';
import { type PeerRef, parsePeerRef } from './peers/peer-ref.js';
import { type LanguageInfo, languageOf, type Profile } from './profiles/profile.js';
import { redactSecrets } from './secrets.js';
import { Broadcast, BroadcastError, type BroadcastOptions } from './send/broadcast.js';
import {
  type DeleteResult,
  deleteMessages,
  type EditInput,
  type EditResult,
  editMessage,
} from './send/edit.js';
import type { RateLimiter } from './send/limiter.js';
import type { SendInput, SendResult } from './send/sender.js';
import {
  readSessionFile,
  type SessionData,
  SessionFileError,
  writeSessionFile,
} from './session/session-file.js';
import { openStorage } from './storage/open.js';
import type { PeerCache } from './storage/peer-cache.js';
import type { PeerRecord, StorageProvider } from './storage/types.js';

/**
 * A Telegram bot over MTProto, with a persistent cache of every user it has seen. The class is the facade: its parts
 * (built in `client/wiring.ts`) do the work, each in the folder named after it. Over 300 lines only because it is the
 * whole public API, one short documented method per operation.
 *
 *   const client = await PmClient.connect({ apiId, apiHash, session: 'bot.session', storage: 'sqlite:bot.db' });
 *   if (!client.loggedIn) await client.loginAsBot(process.env.BOT_TOKEN!);
 *   client.on('dialogStarted', async ({ user, payload }) => { await client.send(user.id, `Hi ${user.firstName}`) });
 *   await client.start(); // catches up on what was missed, then handles live updates
 */
export class PmClient {
  readonly peers: PeerCache;
  readonly clock: Clock;
  /** The limiter every outgoing message passes (shared by send and broadcast). */
  readonly limiter: RateLimiter;
  readonly #parts: ClientParts;
  readonly #ctx: ClientContext;
  #gram!: GramConnection;
  #me: Me | undefined;
  #closed = false;
  #connState: ConnectionState = { state: 'connecting', attempt: 0 };
  #detachPeerCache: (() => void) | undefined;

  private constructor(
    opts: PmClientOptions,
    readonly storage: StorageProvider,
    private readonly sessionPath: string | undefined,
  ) {
    this.clock = opts.clock ?? systemClock;
    this.#ctx = { gram: () => this.#gram, me: () => this.#me, closed: () => this.#closed };
    this.#parts = wireClient(opts, storage, this.clock, this.#ctx);
    this.peers = this.#parts.peers;
    this.limiter = this.#parts.limiter;
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
    let client: PmClient;
    try {
      client = new PmClient(opts, storage, sessionPath);
    } catch (e) {
      // An option refused (a RangeError naming it): the store opened for this client is closed again.
      await storage.close().catch(() => {});
      throw e;
    }
    try {
      if (storage.attachPeerCache) client.#detachPeerCache = await storage.attachPeerCache(client.peers);
      client.#gram = await openGram(
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
        gramHooks(client.#parts, (state) => client.#onConnectionState(state)),
      );
      if (session?.bot) await client.#afterLogin(await client.#gram.getMe());
    } catch (e) {
      client.#detachPeerCache?.();
      await client.peers.close().catch(() => {});
      throw e;
    }
    return client;
  }

  /** Logs in with a bot token from @BotFather, saves the session (when a path was given) and starts updates. */
  async loginAsBot(token: string): Promise<Me> {
    await this.#afterLogin(await this.#gram.loginAsBot(token));
    if (this.sessionPath) await writeSessionFile(this.sessionPath, this.exportSession());
    return this.me;
  }

  /** Where the connection to Telegram stands: connecting, ready, waiting (next attempt at…), stopped. */
  get connectionState(): ConnectionState {
    return this.#connState;
  }

  get loggedIn(): boolean {
    return this.#me !== undefined;
  }

  /** The bot itself. Throws NotLoggedInError before login. */
  get me(): Me {
    if (!this.#me) throw new NotLoggedInError();
    return this.#me;
  }

  /** The session to save (auth key, DC, API credentials). Secret: keep it like a password. */
  exportSession(): SessionData {
    const me = this.#me;
    return this.#gram.exportSession(
      me
        ? { id: me.id.toString(), ...(me.username ? { username: me.username } : {}), firstName: me.firstName }
        : undefined,
    );
  }

  // ---- events -------------------------------------------------------------------------------------------------

  on<K extends keyof PmEvents>(name: K, listener: (e: PmEvents[K]) => void | Promise<void>): () => void {
    return this.#parts.emitter.on(name, listener);
  }

  /**
   * The next event of this name. Rejects with the `signal`'s reason when it aborts, and with
   * ConnectionLostError('stopped') when the client disconnects first.
   */
  once<K extends keyof PmEvents>(name: K, opts?: { signal?: AbortSignal }): Promise<PmEvents[K]> {
    return this.#parts.emitter.once(name, opts);
  }

  /**
   * `for await (const e of client.events('dialogStarted')) …`: ends on `signal`, on `break`, and when the client
   * disconnects (after the events it buffered), so the code after the loop runs. Events wait for the loop in a
   * buffer of `bufferSize` (10,000; `Infinity` for no bound): a loop that falls further behind loses the oldest,
   * counted in the stream's `dropped`, logged, and told once per burst as an `error` event (EventsDroppedError).
   * `client.on()` never drops: a slow listener holds the updates behind it back instead.
   */
  events<K extends keyof PmEvents>(
    name: K,
    opts?: { signal?: AbortSignal | undefined; bufferSize?: number | undefined },
  ): EventStream<PmEvents[K]> {
    return this.#parts.emitter.events(name, opts);
  }

  /**
   * Whether a bot process has consumed updates with this storage (an update state is saved for this bot). Until
   * then dialog starts and blocks are unknown to the storage, not absent.
   */
  async hasUpdateState(): Promise<boolean> {
    return this.#parts.updates.hasState(this.me.id);
  }

  /** Resolves when every update received so far has been handled (useful in tests and scripts). */
  idle(): Promise<void> {
    return this.#parts.updates.idle();
  }

  // ---- resolving ----------------------------------------------------------------------------------------------

  /** Any peer by id, @username, t.me link or tg:// link; cache first. */
  resolvePeer(ref: PeerRef, opts: CallTimeout = {}): Promise<PeerRecord> {
    return withTimeout(opts.timeoutMs, () => this.#parts.resolver.resolvePeer(ref));
  }

  /** Like resolvePeer, but the peer must be a user (or bot). */
  resolveUser(ref: PeerRef, opts: CallTimeout = {}): Promise<PeerRecord> {
    return withTimeout(opts.timeoutMs, () => this.#parts.resolver.resolveUser(ref));
  }

  /** How many username look-ups went to Telegram (the rest were answered from the cache). */
  get networkLookups(): number {
    return this.#parts.resolver.networkLookups;
  }

  // ---- sending ------------------------------------------------------------------------------------------------

  /**
   * Sends a text message within Telegram's limits. Refusals are results, not exceptions:
   * `{ ok: false, reason: 'blocked' | 'notStarted' | 'deactivated' | 'isBot' | 'notSeen' | 'tooLong' | 'floodWait' … }`.
   */
  send(ref: PeerRef, input: string | SendInput): Promise<SendResult> {
    const timeoutMs = typeof input === 'string' ? undefined : input.timeoutMs;
    return withTimeout(timeoutMs, () => this.#parts.sender.send(ref, input));
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
    return withTimeout(opts.timeoutMs, () =>
      editMessage(editDeps(this.#parts, this.#ctx), ref, messageId, input),
    );
  }

  /** Deletes messages of the bot's chats for everyone; answers how many Telegram deleted. */
  deleteMessages(messageIds: readonly number[], opts: CallTimeout = {}): Promise<DeleteResult> {
    return withTimeout(opts.timeoutMs, () => deleteMessages(editDeps(this.#parts, this.#ctx), messageIds));
  }

  /** Answers a `callbackQuery` event (once per query): a notification, an alert or a URL. */
  answerCallback(
    queryId: bigint,
    answer: CallbackAnswerInput = {},
    opts: CallTimeout = {},
  ): Promise<CallbackAnswerResult> {
    return withTimeout(opts.timeoutMs, () =>
      answerCallback((id, a) => this.#gram.answerCallbackQuery(id, a), queryId, answer),
    );
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
    const ready = () => this.#connState.state === 'ready';
    return new Broadcast(broadcastDeps(this.#parts, this.#ctx, this.storage, repo, this.clock, ready), opts);
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
      this.#parts.dialogs.get(await this.#userIdOf(ref)),
    /** Every dialog, filtered, ascending by user id (dialog states not yet written are written first). */
    iterate: (filter: DialogFilter = {}): AsyncIterable<DialogInfo> =>
      iterateDialogs(this.storage.dialogs, filter, () => this.#parts.dialogs.flush()),
    /** Counts of dialogs: all known, started, blocked. */
    counts: async (): Promise<{ total: number; started: number; blocked: number }> => {
      await this.#parts.dialogs.flush();
      return countDialogs(this.storage.dialogs);
    },
  };

  /** Probes with "typing…" whether the bot may message the user; bots are answered without a network call. */
  canMessage(ref: PeerRef, opts: CallTimeout = {}): Promise<CanMessageResult> {
    return withTimeout(opts.timeoutMs, () =>
      canMessage({
        peers: this.peers,
        dialogs: this.#parts.dialogs,
        resolveUser: () => this.#parts.resolver.resolveUser(ref),
        setTyping: (peer) => this.#gram.setTyping(peer),
      }),
    );
  }

  /** The user's record, change history, last known language and dialog state. */
  async profile(ref: PeerRef): Promise<Profile> {
    const user = await this.#parts.resolver.resolveUser(ref);
    const [history, dialog] = await Promise.all([
      this.peers.history(user.id),
      this.#parts.dialogs.get(user.id),
    ]);
    return { user, history, language: languageOf(user), dialog };
  }

  /** The last known lang_code of a user and when it was seen. */
  async languageOf(ref: PeerRef): Promise<LanguageInfo> {
    return languageOf(await this.#parts.resolver.resolveUser(ref));
  }

  // ---- lifecycle ----------------------------------------------------------------------------------------------

  /**
   * Starts handling updates: first everything missed since the last run (getDifference from the persisted
   * pts/qts), then live ones. Register listeners before calling it; nothing is emitted before. Idempotent.
   */
  start(): Promise<void> {
    return this.#parts.updates.start();
  }

  /**
   * Stops updates, flushes the peer cache, disconnects and closes the storage. Idempotent; when the last write of
   * the peer cache failed (the disconnect rejected with it), calling it again tries that write again.
   */
  async disconnect(): Promise<void> {
    // Closing a closed peer cache does nothing; one whose final flush failed still holds the peers to write.
    if (this.#closed) return this.peers.close();
    this.#closed = true;
    try {
      // First the connection: a call still waiting for a reconnect settles at once (ConnectionLostError).
      await this.#gram?.disconnect();
    } finally {
      try {
        await this.#parts.updates.stop();
        await this.#parts.ingest.idle().catch(() => {});
        this.#detachPeerCache?.();
        await this.peers.close();
      } finally {
        // No event comes after this (even when the last write failed): loops over events() end, once() rejects.
        this.#parts.emitter.close(
          () =>
            new ConnectionLostError(
              'event',
              'stopped',
              undefined,
              'the client was disconnected before the event came',
            ),
        );
      }
    }
  }

  async #afterLogin(me: SelfInfo): Promise<void> {
    this.#me = { id: me.id, username: me.username, firstName: me.firstName };
    // The bot's own user came with the login's answer (GramHooks.ingest): in the cache before anything else.
    await this.#parts.ingest.idle();
    this.#parts.updates.attach(me.id);
  }

  #onConnectionState(state: ConnectionState): void {
    logConnectionState(this.#parts.log.connection, this.clock, this.#connState, state);
    this.#connState = state;
    const { emitter, updates } = this.#parts;
    void emitter.emit('connectionState', state);
    if (state.state === 'stopped' && state.error) {
      // Telegram refused the session: stop handling updates (the state reached is saved) and say so once.
      void updates.stop();
      void emitter.emit('error', { error: state.error, where: 'connection' });
    }
  }

  async #userIdOf(ref: PeerRef): Promise<bigint> {
    const parsed = parsePeerRef(ref);
    if (parsed.kind === 'id') return parsed.id;
    return (await this.#parts.resolver.resolveUser(ref)).id;
  }

  toString(): string {
    return redactSecrets(`PmClient(${this.#me ? `@${this.#me.username ?? this.#me.id}` : 'not logged in'})`);
  }

  /**
   * `console.log(client)` shows who it is and where it stores, never the api hash, the auth key or the
   * session, however deep the inspection goes.
   */
  [inspect.custom](): string {
    const who = this.#me ? `@${this.#me.username ?? this.#me.id}` : 'not logged in';
    const where = this.#gram ? this.#gram.describe() : 'not connected';
    return redactSecrets(`PmClient { ${who}, ${where}, storage: ${this.storage.name} }`);
  }

  /** JSON of a client is its description too: nothing secret can leave through a serializer. */
  toJSON(): string {
    return this.toString();
  }
}

export type { DialogVia };
