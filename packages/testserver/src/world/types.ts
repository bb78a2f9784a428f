/**
 * The world's records: plain data (ids and hashes as `bigint`), no GramJS objects, so the whole world
 * serialises to JSON and the TL shapes are built only at the edge (render.ts).
 */

export type PeerRef =
  | { readonly type: 'user'; readonly id: bigint }
  | { readonly type: 'chat'; readonly id: bigint }
  | { readonly type: 'channel'; readonly id: bigint };

/** How far a bot has seen a user: `min` users come from groups and carry a hash useless in private. */
export type Seen = 'none' | 'min' | 'full';

/** What allowed the bot to write to the user first (the seed's "dialog starts"). */
export type DialogOrigin = 'start' | 'message' | 'login-widget' | 'join-request';

/** One user's relationship with one bot. */
export interface Relation {
  /** The dialog was started and the bot may write any time (unless blocked). */
  started: boolean;
  origin?: DialogOrigin;
  blocked: boolean;
  seen: Seen;
  /** A join request lets the bot write for a limited time (Telegram-ms); set when that is the only reason. */
  joinRequestUntil?: number;
}

export interface BotCommandData {
  command: string;
  description: string;
}

export interface BotCommandSet {
  /** The scope's TL class name (e.g. `BotCommandScopeDefault`) plus its peer, if any. */
  scope: string;
  langCode: string;
  commands: BotCommandData[];
}

/** A service action, the subset of `MessageAction*` the world produces. */
export type ActionData =
  | { readonly type: 'botAllowed'; readonly domain?: string; readonly fromRequest?: boolean }
  | { readonly type: 'chatAddUser'; readonly users: readonly bigint[] }
  | { readonly type: 'chatJoinedByLink'; readonly inviterId: bigint }
  | { readonly type: 'chatJoinedByRequest' }
  | { readonly type: 'chatCreate'; readonly title: string; readonly users: readonly bigint[] }
  | { readonly type: 'channelCreate'; readonly title: string };

export interface MessageRecord {
  id: number;
  /** The chat as the owning bot sees it (for a private chat: the other user). */
  peer: PeerRef;
  fromId?: bigint;
  out: boolean;
  date: number;
  text: string;
  randomId?: bigint;
  /** TL-serialised `MessageEntity` objects (base64), kept opaque so any entity round-trips. */
  entities?: string[];
  /** TL-serialised `ReplyMarkup` (base64). */
  replyMarkup?: string;
  replyToMsgId?: number;
  action?: ActionData;
  /** Channel messages only: the channel pts right after this message. */
  pts?: number;
  /** Telegram-time (Unix seconds) of the last edit. */
  editDate?: number;
}

/** A user as an update carries it: min or full, with or without `lang_code`. */
export interface UserMention {
  id: bigint;
  min: boolean;
  langCode: boolean;
}

export type UpdateData =
  | { readonly kind: 'newMessage'; readonly messageId: number }
  | { readonly kind: 'botStopped'; readonly userId: bigint; readonly stopped: boolean }
  | {
      readonly kind: 'inviteRequester';
      readonly chat: PeerRef;
      readonly userId: bigint;
      readonly about: string;
    }
  | {
      readonly kind: 'userName';
      readonly userId: bigint;
      readonly firstName: string;
      readonly lastName: string;
      readonly usernames: readonly string[];
    }
  | { readonly kind: 'user'; readonly userId: bigint }
  | { readonly kind: 'editMessage'; readonly messageId: number }
  | { readonly kind: 'deleteMessages'; readonly messageIds: readonly number[] }
  | {
      readonly kind: 'callbackQuery';
      readonly userId: bigint;
      /** 64-bit ids as decimal strings (the log is JSON). */
      readonly queryId: string;
      readonly chatInstance: string;
      readonly messageId: number;
      /** The button's data, base64. */
      readonly data: string;
    };

/** A user's press of a callback button, waiting for messages.setBotCallbackAnswer. */
export interface CallbackQueryRecord {
  /** Decimal user id. */
  userId: string;
  messageId: number;
  /** Telegram-time, Unix seconds. */
  date: number;
  answer?: { text?: string; alert: boolean; url?: string; cacheTime: number };
}

/** One entry of a bot's common update sequence (pts / qts / seq). */
export interface LogEntry {
  /** pts after this entry (unchanged when ptsCount is 0). */
  pts: number;
  ptsCount: number;
  /** qts after this entry; `qtsBump` says this entry consumed one. */
  qts: number;
  qtsBump: boolean;
  seq: number;
  date: number;
  update: UpdateData;
  users: UserMention[];
  chats: PeerRef[];
}

/** What only a bot with a token has: its session-independent update state and its message box. */
export interface BotAccount {
  secret: string;
  authKeys: Set<string>;
  pts: number;
  qts: number;
  seq: number;
  nextMessageId: number;
  /** The bot's message box: private chats and basic groups (channels number their own). */
  messages: Map<number, MessageRecord>;
  randomIds: Set<string>;
  log: LogEntry[];
  /** State just after the newest entry dropped from the log: a client older than this gets TooLong. */
  trimmedPts: number;
  trimmedQts: number;
  commands: BotCommandSet[];
  /** Callback queries by decimal query id (absent in state files written before callback buttons). */
  callbackQueries?: Record<string, CallbackQueryRecord>;
}

export interface UserRecord {
  id: bigint;
  firstName: string;
  lastName?: string;
  /** Active usernames, the main one first. */
  usernames: string[];
  langCode?: string;
  bot: boolean;
  premium: boolean;
  phone?: string;
  deleted: boolean;
  /** Keyed by bot id (decimal). */
  relations: Map<string, Relation>;
  /** Present for bots created with a token (they can log in). */
  account?: BotAccount;
}

export interface JoinRequest {
  date: number;
  about: string;
}

interface ChatBase {
  id: bigint;
  title: string;
  date: number;
  /** Member user ids (decimal). */
  members: Set<string>;
  admins: Set<string>;
  /** Pending join requests by user id (decimal). */
  joinRequests: Map<string, JoinRequest>;
  inviteHash: string;
  creatorId: bigint;
}

export interface GroupRecord extends ChatBase {
  kind: 'group';
  version: number;
}

export interface ChannelRecord extends ChatBase {
  kind: 'channel';
  megagroup: boolean;
  username?: string;
  pts: number;
  nextMessageId: number;
  messages: Map<number, MessageRecord>;
}

export type ChatRecord = GroupRecord | ChannelRecord;
