import { type Clock, unixSeconds } from './clock.js';
import { FloodControl } from './flood.js';
import {
  channelAccessHash,
  minUserAccessHash,
  newBotSecret,
  newWorldSecret,
  randomHex,
  userAccessHash,
} from './ids.js';
import type {
  BotAccount,
  ChannelRecord,
  ChatRecord,
  GroupRecord,
  LogEntry,
  MessageRecord,
  PeerRef,
  Relation,
  UpdateData,
  UserMention,
  UserRecord,
} from './types.js';
import { isValidUsername, UsernameIndex, type UsernameOwner } from './usernames.js';
import type {
  CreateBotInput,
  CreateUserInput,
  Delivery,
  DeliveryListener,
  IdCounters,
  WorldOptions,
} from './world-options.js';

const BOT_ID_BASE = 7_000_000_000n;
const USER_ID_BASE = 100_000_000n;
const GROUP_ID_BASE = 4_000_000_000n;
const CHANNEL_ID_BASE = 2_000_000_000n;

/**
 * The emulated Telegram: every account, chat and per-bot update box, plus the rules over them. Longer than most
 * files here (about 400 lines) because it is the state and its invariants in one place (ids, relations, the
 * username index, the update boxes); what users and bots do to it is in the *-actions.ts files beside it.
 */
export class World {
  readonly users = new Map<string, UserRecord>();
  readonly chats = new Map<string, ChatRecord>();
  readonly usernames = new UsernameIndex();
  /** auth key id → bot id. */
  readonly authKeys = new Map<string, bigint>();
  readonly flood: FloodControl;
  readonly sliceSize: number;
  readonly tooLongAfter: number;
  readonly logLimit: number;
  readonly joinRequestWindowMs: number;
  secret: string = newWorldSecret();
  counters: IdCounters = { user: 0, bot: 0, group: 0, channel: 0 };
  private readonly listeners = new Set<DeliveryListener>();
  private readonly changeListeners = new Set<() => void>();

  constructor(readonly options: WorldOptions) {
    this.flood = new FloodControl(options.clock, options.flood);
    this.sliceSize = options.difference?.sliceSize ?? 100;
    this.tooLongAfter = options.difference?.tooLongAfter ?? 10_000;
    this.logLimit = options.difference?.logLimit ?? 20_000;
    this.joinRequestWindowMs = (options.joinRequestWindowSeconds ?? 300) * 1000;
  }

  get clock(): Clock {
    return this.options.clock;
  }

  /** Telegram-time, whole seconds. */
  date(): number {
    return unixSeconds(this.options.clock);
  }

  onDeliver(listener: DeliveryListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called after every mutation (for debounced persistence). */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  changed(): void {
    for (const l of this.changeListeners) l();
  }

  // ---- creation -------------------------------------------------------------------------------------------

  createUser(input: CreateUserInput): UserRecord {
    const id = USER_ID_BASE + BigInt(++this.counters.user) * 7n;
    const user: UserRecord = {
      id,
      firstName: input.firstName,
      usernames: [],
      bot: input.bot ?? false,
      premium: input.premium ?? false,
      deleted: false,
      relations: new Map(),
      ...(input.lastName !== undefined ? { lastName: input.lastName } : {}),
      ...(input.langCode !== undefined ? { langCode: input.langCode } : {}),
      ...(input.phone !== undefined ? { phone: input.phone } : {}),
    };
    this.users.set(id.toString(), user);
    if (input.username !== undefined) this.assignUsernames(user, [input.username]);
    this.changed();
    return user;
  }

  createBot(input: CreateBotInput = {}): UserRecord {
    const n = ++this.counters.bot;
    const id = BOT_ID_BASE + BigInt(n) * 13n;
    const username = input.username ?? `test${n}_bot`;
    if (!isValidUsername(username)) throw new Error(`invalid bot username "${username}"`);
    if (!/bot$/i.test(username)) throw new Error(`a bot username must end in "bot", got "${username}"`);
    const account: BotAccount = {
      secret: newBotSecret(),
      authKeys: new Set(),
      pts: 1,
      qts: 0,
      seq: 0,
      nextMessageId: 1,
      messages: new Map(),
      randomIds: new Set(),
      log: [],
      trimmedPts: 1,
      trimmedQts: 0,
      commands: [],
    };
    const bot: UserRecord = {
      id,
      firstName: input.firstName ?? `Test Bot ${n}`,
      usernames: [],
      bot: true,
      premium: false,
      deleted: false,
      relations: new Map(),
      account,
    };
    this.users.set(id.toString(), bot);
    this.assignUsernames(bot, [username]);
    this.changed();
    return bot;
  }

  createGroup(title: string, creator: UserRecord, members: readonly UserRecord[]): GroupRecord {
    const id = GROUP_ID_BASE + BigInt(++this.counters.group) * 3n;
    const group: GroupRecord = {
      kind: 'group',
      id,
      title,
      date: this.date(),
      version: 1,
      members: new Set([creator, ...members].map((u) => u.id.toString())),
      admins: new Set([creator.id.toString()]),
      joinRequests: new Map(),
      inviteHash: randomHex(8),
      creatorId: creator.id,
    };
    this.chats.set(id.toString(), group);
    this.changed();
    return group;
  }

  createChannel(title: string, megagroup: boolean, creator: UserRecord, username?: string): ChannelRecord {
    const id = CHANNEL_ID_BASE + BigInt(++this.counters.channel) * 11n;
    const channel: ChannelRecord = {
      kind: 'channel',
      id,
      title,
      megagroup,
      date: this.date(),
      members: new Set([creator.id.toString()]),
      admins: new Set([creator.id.toString()]),
      joinRequests: new Map(),
      inviteHash: randomHex(8),
      creatorId: creator.id,
      pts: 1,
      nextMessageId: 1,
      messages: new Map(),
    };
    this.chats.set(id.toString(), channel);
    if (username !== undefined) {
      if (!isValidUsername(username)) throw new Error(`invalid channel username "${username}"`);
      this.freeFromOthers(username, { type: 'channel', id });
      channel.username = username;
    }
    this.changed();
    return channel;
  }

  // ---- lookups --------------------------------------------------------------------------------------------

  user(id: bigint): UserRecord | undefined {
    return this.users.get(id.toString());
  }

  chat(id: bigint): ChatRecord | undefined {
    return this.chats.get(id.toString());
  }

  group(id: bigint): GroupRecord | undefined {
    const c = this.chat(id);
    return c?.kind === 'group' ? c : undefined;
  }

  channel(id: bigint): ChannelRecord | undefined {
    const c = this.chat(id);
    return c?.kind === 'channel' ? c : undefined;
  }

  /** Every bot with a token. */
  bots(): UserRecord[] {
    return [...this.users.values()].filter((u) => u.account);
  }

  botByAuthKey(authKeyId: string): UserRecord | undefined {
    const id = this.authKeys.get(authKeyId);
    return id === undefined ? undefined : this.user(id);
  }

  bindAuthKey(authKeyId: string, bot: UserRecord): void {
    const prev = this.botByAuthKey(authKeyId);
    prev?.account?.authKeys.delete(authKeyId);
    this.authKeys.set(authKeyId, bot.id);
    this.revokedAuthKeys.delete(authKeyId);
    bot.account?.authKeys.add(authKeyId);
    this.changed();
  }

  /** Auth keys logged out by a token revocation (they answer 401 SESSION_REVOKED); not persisted. */
  readonly revokedAuthKeys = new Set<string>();

  /** The bot's token is revoked (@BotFather /revoke): a new secret, and every session logged in with it ends. */
  revokeBotToken(bot: UserRecord): void {
    const account = bot.account;
    if (!account) throw new Error(`user ${bot.id} is not a bot with a token`);
    account.secret = newBotSecret();
    for (const key of [...account.authKeys]) {
      this.unbindAuthKey(key);
      this.revokedAuthKeys.add(key);
    }
    this.changed();
  }

  unbindAuthKey(authKeyId: string): void {
    this.botByAuthKey(authKeyId)?.account?.authKeys.delete(authKeyId);
    this.authKeys.delete(authKeyId);
    this.changed();
  }

  relation(user: UserRecord, bot: UserRecord): Relation {
    const key = bot.id.toString();
    let rel = user.relations.get(key);
    if (!rel) {
      rel = { started: false, blocked: false, seen: 'none' };
      user.relations.set(key, rel);
    }
    return rel;
  }

  peekRelation(user: UserRecord, bot: UserRecord): Relation | undefined {
    return user.relations.get(bot.id.toString());
  }

  // ---- access hashes --------------------------------------------------------------------------------------

  accessHash(user: UserRecord, viewer: UserRecord): bigint {
    return userAccessHash(this.secret, user.id, viewer.id);
  }

  minAccessHash(user: UserRecord, viewer: UserRecord): bigint {
    return minUserAccessHash(this.secret, user.id, viewer.id);
  }

  channelHash(channel: ChannelRecord, viewer: UserRecord): bigint {
    return channelAccessHash(this.secret, channel.id, viewer.id);
  }

  // ---- usernames ------------------------------------------------------------------------------------------

  /**
   * Gives `user` exactly `names` (main first). Names held by someone else move here; returns the users who
   * lost a name so the caller can tell bots about them.
   */
  assignUsernames(user: UserRecord, names: readonly string[]): UserRecord[] {
    for (const n of names) {
      if (!isValidUsername(n))
        throw new Error(`invalid username "${n}": 4-32 of a-z, 0-9, _; a letter first`);
    }
    const lower = names.map((n) => n.toLowerCase());
    if (new Set(lower).size !== lower.length) throw new Error(`duplicate usernames in ${names.join(', ')}`);
    const owner: UsernameOwner = { type: 'user', id: user.id };
    for (const old of user.usernames) this.usernames.release(old, owner);
    const losers: UserRecord[] = [];
    for (const n of names) {
      const prev = this.freeFromOthers(n, owner);
      if (prev) losers.push(prev);
    }
    user.usernames = [...names];
    this.changed();
    return losers;
  }

  /** Claims `name` for `owner`, stripping it from its current holder; returns that holder if a user. */
  private freeFromOthers(name: string, owner: UsernameOwner): UserRecord | undefined {
    const prev = this.usernames.claim(name, owner);
    if (!prev) return undefined;
    if (prev.type === 'channel') {
      const ch = this.channel(prev.id);
      if (ch) delete ch.username;
      return undefined;
    }
    const u = this.user(prev.id);
    if (!u) return undefined;
    u.usernames = u.usernames.filter((x) => x.toLowerCase() !== name.toLowerCase());
    return u;
  }

  // ---- update boxes ---------------------------------------------------------------------------------------

  /** A user as `bot` will see it in an update: full once seen fully (or allowed to write), else min. */
  mention(user: UserRecord, bot: UserRecord, opts: { full?: boolean; langCode?: boolean } = {}): UserMention {
    const rel = this.relation(user, bot);
    if (opts.full) rel.seen = 'full';
    else if (rel.seen === 'none') rel.seen = 'min';
    return { id: user.id, min: rel.seen !== 'full', langCode: opts.langCode ?? false };
  }

  /** Adds a message to the bot's own message box. */
  addBotMessage(bot: UserRecord, msg: Omit<MessageRecord, 'id'>): MessageRecord {
    const acc = account(bot);
    const record: MessageRecord = { id: acc.nextMessageId++, ...msg };
    acc.messages.set(record.id, record);
    return record;
  }

  /**
   * Appends one entry to the bot's common update sequence and pushes it live (to every session of the bot
   * except `excludeAuthKey`, which got the result of its own call).
   */
  appendEntry(
    bot: UserRecord,
    update: UpdateData,
    opts: {
      pts?: boolean;
      /** How many pts the entry takes (updateDeleteMessages: one per message). @default 1 */
      ptsCount?: number;
      qts?: boolean;
      users?: UserMention[];
      chats?: PeerRef[];
      excludeAuthKey?: string;
    },
  ): LogEntry {
    const acc = account(bot);
    const ptsCount = opts.pts ? (opts.ptsCount ?? 1) : 0;
    acc.pts += ptsCount;
    if (opts.qts) acc.qts += 1;
    // seq orders only the updates that have neither pts nor qts (updateUserName, updateUser); the others are
    // ordered by their own counter and pushed with seq 0, so a client checking seq never sees a false gap.
    if (!opts.pts && !opts.qts) acc.seq += 1;
    const entry: LogEntry = {
      pts: acc.pts,
      ptsCount,
      qts: acc.qts,
      qtsBump: opts.qts ?? false,
      seq: acc.seq,
      date: this.date(),
      update,
      users: opts.users ?? [],
      chats: opts.chats ?? [],
    };
    acc.log.push(entry);
    this.trimLog(acc);
    this.changed();
    this.deliver(bot, { type: 'entry', entry }, opts.excludeAuthKey);
    return entry;
  }

  deliver(bot: UserRecord, delivery: Delivery, excludeAuthKey?: string): void {
    for (const l of this.listeners) l(bot, delivery, excludeAuthKey);
  }

  private trimLog(acc: BotAccount): void {
    const excess = acc.log.length - this.logLimit;
    if (excess <= 0) return;
    const dropped = acc.log.splice(0, excess);
    const last = dropped[dropped.length - 1]!;
    acc.trimmedPts = last.pts;
    acc.trimmedQts = last.qts;
    const keep = new Set<number>();
    for (const e of acc.log) {
      if (e.update.kind === 'newMessage' || e.update.kind === 'editMessage') keep.add(e.update.messageId);
    }
    for (const e of dropped) {
      if (e.update.kind === 'newMessage' && !keep.has(e.update.messageId))
        acc.messages.delete(e.update.messageId);
    }
  }
}

/** The bot account of a bot user (throws for ordinary users: a programming error). */
export function account(bot: UserRecord): BotAccount {
  if (!bot.account) throw new Error(`user ${bot.id} is not a bot with a token`);
  return bot.account;
}

/** The peer a chat record is addressed by. */
export function chatPeer(chat: ChatRecord): PeerRef {
  return chat.kind === 'group' ? { type: 'chat', id: chat.id } : { type: 'channel', id: chat.id };
}
