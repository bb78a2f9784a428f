/**
 * TestServer, the scenario API's entry: start a loopback Telegram, create bots, users and chats (their handles
 * are in scenario.ts), inspect what the bots did, inject faults, persist the state.
 *
 *   const tg = await TestServer.start({ timeScale: 0.01 });
 *   const bot = tg.createBot({ username: 'shop_bot' });
 *   const alice = tg.createUser({ firstName: 'Alice', langCode: 'en' });
 *   alice.start('ref42');                  // the bot gets "/start ref42"
 *   // ... a GramJS client logs in with bot.token at 127.0.0.1:tg.port ...
 *   tg.inbox(alice);                       // what the bot sent her
 *   await tg.stop();
 */
import { randomBytes } from 'node:crypto';
import type { ExportedAuthKeys } from './auth/auth-key-store.js';
import { Gateway, type GatewayCounters } from './gateway.js';
import { registerTestServerKey } from './keys.js';
import type { LayerBook } from './layers/layer-book.js';
import { WorldBackend } from './rpc/registry.js';
import { Stats, type StatsSnapshot } from './rpc/stats.js';
import { type BotHandle, botHandle, ChatHandle, type InboxMessage, UserHandle } from './scenario.js';
import { readState, type StateFile, writeState } from './state-file.js';
import type { PromisedNetSockets } from './tl.js';
import type { ConnectionLimits } from './transport/connection-limits.js';
import { loopbackSocket } from './transport/loopback-socket.js';
import { type Clock, ScaledClock } from './world/clock.js';
import type { FloodOptions } from './world/flood.js';
import { loadWorldJson, worldToJson } from './world/persist.js';
import type { ChannelRecord, GroupRecord, UserRecord } from './world/types.js';
import { World } from './world/world.js';
import type { CreateUserInput, DifferenceOptions } from './world/world-options.js';

export interface TestServerOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** JSON file holding the world and the auth keys across restarts (and processes). */
  stateFile?: string;
  /** Real time per Telegram-time: 0.01 makes a Telegram-second last 10 ms. @default 1 */
  timeScale?: number;
  /** Telegram-time source (tests: a `ManualClock`); overrides `timeScale`. */
  clock?: Clock;
  /** Sending limits; `false` disables flood control. @default Telegram's (30/s per bot, 1/s per chat...) */
  flood?: FloodOptions | false;
  difference?: DifferenceOptions;
  /** @default 300 */
  joinRequestWindowSeconds?: number;
  /** `false`: no network at all (unit tests call `tg.backend.invoke` directly). @default true */
  network?: boolean;
  /** Connection count, handshake/partial-frame/idle deadlines, buffered-byte caps. @default DEFAULT_CONNECTION_LIMITS */
  connectionLimits?: Partial<ConnectionLimits>;
  /** The client layers served (README "Layers served"); `false`: GramJS's only. @default GramJS's and mtcute's */
  layers?: LayerBook | false;
}

const PERSIST_DEBOUNCE_MS = 50;

/**
 * A loopback Telegram: the world, its RPC backend and (unless `network: false`) the MTProto gateway.
 * Longer than most files here (about 350 lines) because it is the one facade the README documents, method by
 * method; each method is a few lines handing over to world/, rpc/ or the gateway.
 */
export class TestServer {
  readonly world: World;
  readonly backend: WorldBackend;
  private gateway: Gateway | undefined;
  private authKeys: ExportedAuthKeys = {};
  private saltSecret: Buffer = randomBytes(32);
  private persistTimer: NodeJS.Timeout | undefined;
  private readonly counters = new Stats();

  private constructor(private readonly options: TestServerOptions) {
    const saved = options.stateFile ? readState(options.stateFile) : undefined;
    this.world = new World({
      clock: options.clock ?? new ScaledClock(options.timeScale ?? 1, saved?.world.clockAt ?? 0),
      ...(options.flood !== undefined ? { flood: options.flood } : {}),
      ...(options.difference ? { difference: options.difference } : {}),
      ...(options.joinRequestWindowSeconds !== undefined
        ? { joinRequestWindowSeconds: options.joinRequestWindowSeconds }
        : {}),
    });
    if (saved) {
      loadWorldJson(this.world, saved.world);
      this.authKeys = saved.authKeys;
      this.saltSecret = Buffer.from(saved.saltSecret, 'base64');
    }
    this.backend = new WorldBackend({
      world: this.world,
      server: () => this.address(),
      stats: this.counters,
    });
    if (options.stateFile) this.world.onChange(() => this.schedulePersist());
  }

  /** Starts a server (listening unless `network: false`). */
  static async start(options: TestServerOptions = {}): Promise<TestServer> {
    const tg = new TestServer(options);
    await tg.listen(options.port ?? 0);
    return tg;
  }

  get host(): string {
    return this.gateway?.address ?? this.options.host ?? '127.0.0.1';
  }

  get port(): number {
    return this.gateway?.port ?? this.offlinePort ?? this.options.port ?? 0;
  }

  /** Real time per Telegram-time (a `FLOOD_WAIT_n` lasts `n * 1000 * timeScale` real ms). */
  get timeScale(): number {
    const clock = this.world.clock;
    return clock instanceof ScaledClock ? clock.timeScale : 1;
  }

  /**
   * The GramJS `networkSocket` class that reaches this server (GramJS 2.26 dials port 80 whatever the session
   * says): `new TelegramClient(session, apiId, apiHash, { networkSocket: tg.clientSocket, useWSS: false })`.
   */
  get clientSocket(): typeof PromisedNetSockets {
    return loopbackSocket({ host: this.host, port: this.port });
  }

  /** Counters of the MTProto layer (connections, packets, auth keys...). */
  get gatewayCounters(): Readonly<GatewayCounters> | undefined {
    return this.gateway?.counters;
  }

  private address(): { host: string; port: number } {
    return { host: this.host, port: this.port };
  }

  private async listen(port: number): Promise<void> {
    if (this.options.network === false) return;
    registerTestServerKey();
    this.gateway = await Gateway.start({
      backend: this.backend,
      host: this.options.host ?? '127.0.0.1',
      port,
      authKeys: this.authKeys,
      saltSecret: this.saltSecret,
      ...(this.options.connectionLimits ? { connectionLimits: this.options.connectionLimits } : {}),
      ...(this.options.layers !== undefined ? { layers: this.options.layers } : {}),
      onAuthKeyCreated: () => {
        if (this.options.stateFile) this.schedulePersist();
      },
      onError: (error, where) => console.error(`testserver gateway (${where}):`, error),
    });
    this.backend.attach(this.gateway);
  }

  // ---- creation -------------------------------------------------------------------------------------------

  createBot(input: { username?: string; firstName?: string } = {}): BotHandle {
    return botHandle(this.world.createBot(input));
  }

  /** A user; a `username` someone else holds moves to the new user (the old owner's bots are told). */
  createUser(input: CreateUserInput): UserHandle {
    const { username, ...rest } = input;
    const user = new UserHandle(this, this.world.createUser(rest).id);
    if (username !== undefined) user.setUsernames([username]);
    return user;
  }

  /** A basic group with the bot(s) as admins. */
  createGroup(input: { title: string; bot?: BotHandle; bots?: readonly BotHandle[] }): ChatHandle {
    const bots = this.botsOf(input);
    const [creator, ...rest] = bots;
    const group: GroupRecord = this.world.createGroup(input.title, creator!, rest);
    for (const b of bots) group.admins.add(b.id.toString());
    return new ChatHandle(this, group.id);
  }

  /** A channel (or, with `megagroup`, a supergroup) with the bot(s) as admins. */
  createChannel(input: {
    title: string;
    megagroup?: boolean;
    username?: string;
    bot?: BotHandle;
    bots?: readonly BotHandle[];
  }): ChatHandle {
    const bots = this.botsOf(input);
    const channel: ChannelRecord = this.world.createChannel(
      input.title,
      input.megagroup ?? false,
      bots[0]!,
      input.username,
    );
    for (const b of bots) {
      channel.members.add(b.id.toString());
      channel.admins.add(b.id.toString());
    }
    return new ChatHandle(this, channel.id);
  }

  private botsOf(input: { bot?: BotHandle; bots?: readonly BotHandle[] }): UserRecord[] {
    const handles = input.bots ?? (input.bot ? [input.bot] : [this.soleBotHandle()]);
    if (handles.length === 0) throw new Error('a chat needs at least one bot');
    return handles.map((h) => this.botRecord(h));
  }

  // ---- lookups used by the handles --------------------------------------------------------------------------

  /** @internal */
  botRecord(bot: BotHandle): UserRecord {
    const rec = this.world.user(bot.id);
    if (!rec?.account) throw new Error(`no bot with id ${bot.id}`);
    return rec;
  }

  /** @internal The bot an action targets: the given one, or the only bot. */
  pickBot(bot: BotHandle | undefined): UserRecord {
    return this.botRecord(bot ?? this.soleBotHandle());
  }

  private soleBotHandle(): BotHandle {
    const bots = this.world.bots();
    if (bots.length !== 1) {
      throw new Error(`say which bot: the world has ${bots.length} bots (pass { bot })`);
    }
    return botHandle(bots[0]!);
  }

  bots(): BotHandle[] {
    return this.world.bots().map(botHandle);
  }

  /** Every user that is not a bot with a token (e.g. after loading a state file). */
  users(): UserHandle[] {
    return [...this.world.users.values()].filter((u) => !u.account).map((u) => new UserHandle(this, u.id));
  }

  chats(): ChatHandle[] {
    return [...this.world.chats.values()].map((c) => new ChatHandle(this, c.id));
  }

  // ---- inspection -----------------------------------------------------------------------------------------

  /** Messages the bots (or `bot`) sent to `user` in private, oldest first. */
  inbox(user: UserHandle, bot?: BotHandle): InboxMessage[] {
    const out: InboxMessage[] = [];
    for (const b of bot ? [this.botRecord(bot)] : this.world.bots()) {
      for (const m of b.account!.messages.values()) {
        if (!m.out || m.peer.type !== 'user' || m.peer.id !== user.id) continue;
        out.push({
          id: m.id,
          botId: b.id,
          text: m.text,
          date: m.date,
          ...(m.randomId !== undefined ? { randomId: m.randomId } : {}),
          ...(m.editDate !== undefined ? { editDate: m.editDate } : {}),
        });
      }
    }
    return out.sort((a, b) => a.date - b.date || a.id - b.id);
  }

  stats(): StatsSnapshot {
    return this.counters.snapshot();
  }

  resetStats(): void {
    this.counters.reset();
  }

  // ---- faults ---------------------------------------------------------------------------------------------

  /** Closes every client connection (clients reconnect by themselves); the server keeps listening. */
  dropAllConnections(): void {
    this.gateway?.dropAllConnections();
  }

  /** Holds every RPC answer back by `ms` real milliseconds (0 to stop). */
  setDelay(ms: number): void {
    this.backend.delayMs = ms;
  }

  /**
   * The next `n` calls answer `420 FLOOD_WAIT_<seconds>`. Connection housekeeping (help.*, auth.*, updates.*,
   * users.getUsers) is exempt, so GramJS's own getMe / getState do not eat the faults; `methods` narrows it
   * further (GramJS class names, e.g. `messages.SendMessage`).
   */
  forceFloodWait(n: number, seconds: number, methods?: readonly string[]): void {
    this.world.flood.force(n, seconds, methods);
  }

  /**
   * Stops answering while keeping every socket open (a hung server, half-open TCP): nothing is read or sent,
   * updates pushed meanwhile are lost on the way (clients catch up with getDifference), new connections are
   * accepted and left hanging. `unfreeze()` resumes.
   */
  freeze(): void {
    this.gateway?.freeze();
  }

  unfreeze(): void {
    this.gateway?.unfreeze();
  }

  /** Forgets every auth key (the world stays): each client gets the transport's -404 on its next packet. */
  forgetAuthKeys(): void {
    this.gateway?.forgetAuthKeys();
    this.authKeys = {};
    for (const id of [...this.world.authKeys.keys()]) this.world.unbindAuthKey(id);
    this.persistNow();
  }

  /**
   * Revokes the bot's token (@BotFather /revoke): the old token answers ACCESS_TOKEN_INVALID, every session logged
   * in with it answers 401 SESSION_REVOKED. Returns the bot with its new token.
   */
  revokeBotToken(bot?: BotHandle): BotHandle {
    const rec = this.pickBot(bot);
    this.world.revokeBotToken(rec);
    return botHandle(rec);
  }

  /**
   * The server goes away: the port closes (connections are refused) and every connection drops. The world keeps
   * running meanwhile (users act; what bots miss waits for getDifference). `comeBack()` listens again.
   */
  async goOffline(): Promise<void> {
    if (this.offlinePort === undefined) this.offlinePort = this.port;
    await this.closeGateway();
  }

  /**
   * Listens again on the same port. `keepState: false` comes back as a new server would after losing its disk:
   * no auth keys (clients get -404) and an empty world.
   */
  async comeBack(opts: { keepState?: boolean } = {}): Promise<void> {
    const port = this.offlinePort ?? this.port;
    if (opts.keepState === false) this.forgetState();
    if (this.gateway) return;
    await this.listen(port);
    this.offlinePort = undefined;
  }

  /** Stops and starts again on the same port (after `downMs` real ms), keeping the world and the auth keys unless `keepState: false`. */
  async restart(opts: { keepState?: boolean; downMs?: number } = {}): Promise<void> {
    await this.goOffline();
    if (opts.downMs) await new Promise((r) => setTimeout(r, opts.downMs));
    await this.comeBack(opts);
  }

  private offlinePort: number | undefined;

  private forgetState(): void {
    this.gateway?.forgetAuthKeys();
    this.authKeys = {};
    this.saltSecret = randomBytes(32);
    this.world.revokedAuthKeys.clear();
    loadWorldJson(this.world, worldToJson(new World(this.world.options)));
    this.persistNow();
  }

  async stop(): Promise<void> {
    await this.closeGateway();
    this.backend.dispose();
  }

  private async closeGateway(): Promise<void> {
    if (this.gateway) {
      this.authKeys = this.gateway.exportAuthKeys();
      this.backend.attach(undefined);
      await this.gateway.stop();
      this.gateway = undefined;
    }
    this.persistNow();
  }

  // ---- persistence ----------------------------------------------------------------------------------------

  private schedulePersist(): void {
    if (this.persistTimer) return;
    this.persistTimer = setTimeout(() => {
      this.persistTimer = undefined;
      this.persistNow();
    }, PERSIST_DEBOUNCE_MS);
    this.persistTimer.unref();
  }

  /** Writes the state file now (atomically). */
  persistNow(): void {
    if (this.persistTimer) {
      clearTimeout(this.persistTimer);
      this.persistTimer = undefined;
    }
    const file = this.options.stateFile;
    if (!file) return;
    const state: StateFile = {
      world: worldToJson(this.world),
      authKeys: this.gateway?.exportAuthKeys() ?? this.authKeys,
      saltSecret: this.saltSecret.toString('base64'),
    };
    writeState(file, state);
  }
}
