import type { TestServer } from './test-server.js';
import { Api, toBigInteger } from './tl.js';
import { type CallbackAnswer, userPress } from './world/callback-queries.js';
import { userJoinChat, userSendToChat } from './world/chat-actions.js';
import { inviteLink } from './world/render.js';
import type { ChatRecord, MessageRecord, UserRecord } from './world/types.js';
import {
  type LangCodeOption,
  userDeleteAccount,
  userLoginWithWidget,
  userRename,
  userRequestJoin,
  userSend,
  userSetBlocked,
  userSetLanguage,
  userSetPremium,
  userSetUsernames,
  userStart,
} from './world/user-actions.js';

export interface BotHandle {
  readonly id: bigint;
  /** `<id>:<secret>`, for `client.start({ botAuthToken })`. */
  readonly token: string;
  readonly username: string;
  readonly firstName: string;
}

export interface InboxMessage {
  readonly id: number;
  readonly botId: bigint;
  readonly text: string;
  /** Telegram-time, Unix seconds. */
  readonly date: number;
  readonly randomId?: bigint;
  /** Telegram-time of the last edit, if the bot edited it. */
  readonly editDate?: number;
}

/** A press of a callback button, as the scenario sees it. */
export interface CallbackQueryHandle {
  /** The query id the bot answers with messages.setBotCallbackAnswer. */
  readonly id: bigint;
  /** The bot's answer, once it gave one. */
  readonly answer: CallbackAnswer | undefined;
}

export interface BotOption {
  /** Which bot the action targets; may be left out while the world has exactly one bot. */
  bot?: BotHandle;
}

/** A chat created by the scenario. */
export class ChatHandle {
  constructor(
    private readonly tg: TestServer,
    readonly id: bigint,
  ) {}

  get record(): ChatRecord {
    const c = this.tg.world.chat(this.id);
    if (!c) throw new Error(`chat ${this.id} is gone`);
    return c;
  }

  get title(): string {
    return this.record.title;
  }

  get kind(): 'group' | 'supergroup' | 'channel' {
    const c = this.record;
    return c.kind === 'group' ? 'group' : c.megagroup ? 'supergroup' : 'channel';
  }

  get inviteLink(): string {
    return inviteLink(this.record.inviteHash);
  }

  /** The input peer `bot` uses for this chat (with the bot's own channel access hash). */
  inputPeer(bot: BotHandle): Api.TypeInputPeer {
    const c = this.record;
    if (c.kind === 'group') return new Api.InputPeerChat({ chatId: toBigInteger(c.id) });
    const viewer = this.tg.botRecord(bot);
    return new Api.InputPeerChannel({
      channelId: toBigInteger(c.id),
      accessHash: toBigInteger(this.tg.world.channelHash(c, viewer)),
    });
  }
}

/** A user created by the scenario; every verb changes the world and notifies the bots concerned. */
export class UserHandle {
  constructor(
    private readonly tg: TestServer,
    readonly id: bigint,
  ) {}

  get record(): UserRecord {
    const u = this.tg.world.user(this.id);
    if (!u) throw new Error(`user ${this.id} is gone`);
    return u;
  }

  get firstName(): string {
    return this.record.firstName;
  }

  get lastName(): string | undefined {
    return this.record.lastName;
  }

  get username(): string | undefined {
    return this.record.usernames[0];
  }

  get usernames(): readonly string[] {
    return this.record.usernames;
  }

  get langCode(): string | undefined {
    return this.record.langCode;
  }

  /** Presses Start (with a deep-link payload: `/start <payload>`). Unblocks first if the user had blocked. */
  start(payload?: string, opts: BotOption & LangCodeOption = {}): MessageRecord {
    return userStart(this.tg.world, this.record, this.tg.pickBot(opts.bot), payload, opts);
  }

  /** Sends a private message to the bot (a first message opens the dialog too). */
  send(text: string, opts: BotOption & LangCodeOption = {}): MessageRecord {
    return userSend(this.tg.world, this.record, this.tg.pickBot(opts.bot), text, opts);
  }

  block(opts: BotOption & LangCodeOption = {}): void {
    userSetBlocked(this.tg.world, this.record, this.tg.pickBot(opts.bot), true, opts);
  }

  unblock(opts: BotOption & LangCodeOption = {}): void {
    userSetBlocked(this.tg.world, this.record, this.tg.pickBot(opts.bot), false, opts);
  }

  rename(names: { firstName: string; lastName?: string }, opts: LangCodeOption = {}): void {
    userRename(this.tg.world, this.record, names, opts);
  }

  /** All active usernames, main first; a name another user holds moves here. */
  setUsernames(names: readonly string[], opts: LangCodeOption = {}): void {
    userSetUsernames(this.tg.world, this.record, names, opts);
  }

  setLanguage(code: string | undefined): void {
    userSetLanguage(this.tg.world, this.record, code);
  }

  /** Telegram Premium on or off: bots that know the user get updateUser. */
  setPremium(premium: boolean): void {
    userSetPremium(this.tg.world, this.record, premium);
  }

  requestJoin(chat: ChatHandle, opts: LangCodeOption & { about?: string } = {}): void {
    userRequestJoin(this.tg.world, this.record, chat.record, opts);
  }

  /** Logs in to `domain` with the bot's Login Widget: the bot may write from now on. */
  loginWithWidget(bot?: BotHandle, opts: LangCodeOption & { domain?: string } = {}): MessageRecord {
    return userLoginWithWidget(this.tg.world, this.record, this.tg.pickBot(bot), opts.domain, opts);
  }

  deleteAccount(): void {
    userDeleteAccount(this.tg.world, this.record);
  }

  joinGroup(chat: ChatHandle, opts: LangCodeOption = {}): void {
    userJoinChat(this.tg.world, this.record, chat.record, opts);
  }

  sendToGroup(chat: ChatHandle, text: string, opts: LangCodeOption = {}): void {
    userSendToChat(this.tg.world, this.record, chat.record, text, opts);
  }

  /**
   * Presses the callback button with `data` under the bot's message (an inbox message or its id): the bot gets
   * updateBotCallbackQuery. Throws when the message has no such button.
   */
  press(
    message: { readonly id: number; readonly botId?: bigint } | number,
    data: string | Buffer,
    opts: BotOption = {},
  ): CallbackQueryHandle {
    const msg = typeof message === 'number' ? { id: message } : message;
    const bot =
      opts.bot !== undefined || msg.botId === undefined
        ? this.tg.pickBot(opts.bot)
        : this.tg.world.user(msg.botId)!;
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const id = userPress(this.tg.world, this.record, bot, msg.id, bytes);
    const queries = () => bot.account?.callbackQueries?.[id.toString()];
    return {
      id,
      get answer() {
        return queries()?.answer;
      },
    };
  }

  /** The access hash `bot` legitimately holds for this user. */
  accessHashFor(bot?: BotHandle): bigint {
    return this.tg.world.accessHash(this.record, this.tg.pickBot(bot));
  }

  /** The hash a `min` copy of this user carries for `bot` (useless in private). */
  minAccessHashFor(bot?: BotHandle): bigint {
    return this.tg.world.minAccessHash(this.record, this.tg.pickBot(bot));
  }

  /** `inputPeerUser` with the hash `bot` holds. */
  inputPeer(bot?: BotHandle): Api.InputPeerUser {
    return new Api.InputPeerUser({
      userId: toBigInteger(this.id),
      accessHash: toBigInteger(this.accessHashFor(bot)),
    });
  }

  /** `inputUser` with the hash `bot` holds. */
  inputUser(bot?: BotHandle): Api.InputUser {
    return new Api.InputUser({
      userId: toBigInteger(this.id),
      accessHash: toBigInteger(this.accessHashFor(bot)),
    });
  }
}

export function botHandle(bot: UserRecord): BotHandle {
  return {
    id: bot.id,
    token: `${bot.id}:${bot.account!.secret}`,
    username: bot.usernames[0] ?? '',
    firstName: bot.firstName,
  };
}
