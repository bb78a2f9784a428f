/**
 * What users do (the scenario's verbs). Each action changes the world and appends to the update box of every
 * bot concerned, which pushes it live to that bot's sessions.
 */
import { botCommandEntities } from './entities.js';
import type { ChatRecord, DialogOrigin, MessageRecord, UserRecord } from './types.js';
import { chatPeer, type World } from './world.js';

export interface LangCodeOption {
  /**
   * Whether the user object in the update carries `lang_code`. Telegram includes it in most updates caused by
   * the user's own messages and omits it from many others. Default: true for messages, false otherwise.
   */
  withLangCode?: boolean;
}

const START_PAYLOAD_RE = /^[A-Za-z0-9_-]{1,64}$/;

function assertUsable(user: UserRecord): void {
  if (user.deleted) throw new Error(`user ${user.id} deleted their account`);
}

function assertBot(bot: UserRecord): void {
  if (!bot.account) throw new Error(`user ${bot.id} is not a bot created with createBot()`);
}

function openDialog(world: World, user: UserRecord, bot: UserRecord, origin: DialogOrigin): void {
  const rel = world.relation(user, bot);
  if (!rel.started) {
    rel.started = true;
    rel.origin = origin;
  }
  rel.seen = 'full';
}

/** A private message from `user` to `bot`, delivered as updateNewMessage. */
function privateMessage(
  world: World,
  user: UserRecord,
  bot: UserRecord,
  text: string,
  opts: LangCodeOption,
): MessageRecord {
  const entities = botCommandEntities(text);
  const msg = world.addBotMessage(bot, {
    peer: { type: 'user', id: user.id },
    fromId: user.id,
    out: false,
    date: world.date(),
    text,
    ...(entities.length ? { entities } : {}),
  });
  world.appendEntry(
    bot,
    { kind: 'newMessage', messageId: msg.id },
    { pts: true, users: [world.mention(user, bot, { full: true, langCode: opts.withLangCode ?? true })] },
  );
  return msg;
}

/** Pressing Start (or following a `t.me/bot?start=payload` deep link): sends `/start` or `/start <payload>`. */
export function userStart(
  world: World,
  user: UserRecord,
  bot: UserRecord,
  payload?: string,
  opts: LangCodeOption = {},
): MessageRecord {
  assertUsable(user);
  assertBot(bot);
  if (payload !== undefined && !START_PAYLOAD_RE.test(payload)) {
    throw new Error(`invalid start payload "${payload}": 1-64 characters of A-Z, a-z, 0-9, _ and -`);
  }
  // The "Restart" button of a blocked bot unblocks it, then sends /start.
  if (world.relation(user, bot).blocked) userSetBlocked(world, user, bot, false, opts);
  openDialog(world, user, bot, 'start');
  return privateMessage(world, user, bot, payload === undefined ? '/start' : `/start ${payload}`, opts);
}

/** Any private message; a first message that is not /start still opens the dialog (the seed allows it). */
export function userSend(
  world: World,
  user: UserRecord,
  bot: UserRecord,
  text: string,
  opts: LangCodeOption = {},
): MessageRecord {
  assertUsable(user);
  assertBot(bot);
  if (text.trim() === '') throw new Error('a message needs some text');
  if (world.relation(user, bot).blocked) {
    throw new Error(`user ${user.id} has blocked bot ${bot.id}; call unblock() (or start()) first`);
  }
  openDialog(world, user, bot, 'message');
  return privateMessage(world, user, bot, text, opts);
}

/** Blocking (stopping) or unblocking the bot: updateBotStopped, which takes a qts. */
export function userSetBlocked(
  world: World,
  user: UserRecord,
  bot: UserRecord,
  blocked: boolean,
  opts: LangCodeOption = {},
): void {
  assertUsable(user);
  assertBot(bot);
  const rel = world.relation(user, bot);
  if (rel.blocked === blocked) return;
  rel.blocked = blocked;
  world.appendEntry(
    bot,
    { kind: 'botStopped', userId: user.id, stopped: blocked },
    { qts: true, users: [world.mention(user, bot, { full: true, langCode: opts.withLangCode ?? false })] },
  );
}

/** Logging in to a site through the bot's Login Widget: a `messageActionBotAllowed` service message. */
export function userLoginWithWidget(
  world: World,
  user: UserRecord,
  bot: UserRecord,
  domain = 'example.com',
  opts: LangCodeOption = {},
): MessageRecord {
  assertUsable(user);
  assertBot(bot);
  openDialog(world, user, bot, 'login-widget');
  const msg = world.addBotMessage(bot, {
    peer: { type: 'user', id: user.id },
    fromId: user.id,
    out: false,
    date: world.date(),
    text: '',
    action: { type: 'botAllowed', domain },
  });
  world.appendEntry(
    bot,
    { kind: 'newMessage', messageId: msg.id },
    { pts: true, users: [world.mention(user, bot, { full: true, langCode: opts.withLangCode ?? false })] },
  );
  return msg;
}

/** Bots that know the user at all: they get profile changes. */
function botsThatSaw(world: World, user: UserRecord): UserRecord[] {
  const out: UserRecord[] = [];
  for (const [botId, rel] of user.relations) {
    const bot = world.users.get(botId);
    if (bot?.account && rel.seen !== 'none') out.push(bot);
  }
  return out;
}

function announceName(world: World, user: UserRecord, opts: LangCodeOption): void {
  for (const bot of botsThatSaw(world, user)) {
    world.appendEntry(
      bot,
      {
        kind: 'userName',
        userId: user.id,
        firstName: user.firstName,
        lastName: user.lastName ?? '',
        usernames: [...user.usernames],
      },
      { users: [world.mention(user, bot, { langCode: opts.withLangCode ?? false })] },
    );
  }
}

export function userRename(
  world: World,
  user: UserRecord,
  names: { firstName: string; lastName?: string },
  opts: LangCodeOption = {},
): void {
  assertUsable(user);
  if (names.firstName.trim() === '') throw new Error('firstName cannot be empty');
  user.firstName = names.firstName;
  if (names.lastName === undefined || names.lastName === '') delete user.lastName;
  else user.lastName = names.lastName;
  world.changed();
  announceName(world, user, opts);
}

/** Sets all active usernames (main first). A name taken from another user leaves that user too. */
export function userSetUsernames(
  world: World,
  user: UserRecord,
  names: readonly string[],
  opts: LangCodeOption = {},
): void {
  assertUsable(user);
  const losers = world.assignUsernames(user, names);
  for (const loser of losers) announceName(world, loser, {});
  announceName(world, user, opts);
}

export function userSetLanguage(world: World, user: UserRecord, code: string | undefined): void {
  if (code === undefined) delete user.langCode;
  else user.langCode = code;
  world.changed();
}

/** Premium status changes are announced with a bare updateUser (the bot refetches or reads `users`). */
export function userSetPremium(world: World, user: UserRecord, premium: boolean): void {
  assertUsable(user);
  if (user.premium === premium) return;
  user.premium = premium;
  world.changed();
  for (const bot of botsThatSaw(world, user)) {
    world.appendEntry(bot, { kind: 'user', userId: user.id }, { users: [world.mention(user, bot)] });
  }
}

/** Deleting the account: usernames are freed, bots that knew the user get updateUser. */
export function userDeleteAccount(world: World, user: UserRecord): void {
  if (user.deleted) return;
  world.assignUsernames(user, []);
  user.deleted = true;
  for (const chat of world.chats.values()) {
    chat.members.delete(user.id.toString());
    chat.joinRequests.delete(user.id.toString());
  }
  world.changed();
  for (const bot of botsThatSaw(world, user)) {
    world.appendEntry(bot, { kind: 'user', userId: user.id }, { users: [world.mention(user, bot)] });
  }
}

/** Admin bots of a chat (bots with a token that administer it). */
export function adminBots(world: World, chat: ChatRecord): UserRecord[] {
  const out: UserRecord[] = [];
  for (const id of chat.admins) {
    const u = world.users.get(id);
    if (u?.account) out.push(u);
  }
  return out;
}

/** Member bots of a chat (bots with a token). */
export function memberBots(world: World, chat: ChatRecord): UserRecord[] {
  const out: UserRecord[] = [];
  for (const id of chat.members) {
    const u = world.users.get(id);
    if (u?.account) out.push(u);
  }
  return out;
}

/**
 * A join request through the chat's invite link: admin bots get updateBotChatInviteRequester (qts) and may
 * write to the user for `joinRequestWindowSeconds` even if the user never started them.
 */
export function userRequestJoin(
  world: World,
  user: UserRecord,
  chat: ChatRecord,
  opts: LangCodeOption & { about?: string } = {},
): void {
  assertUsable(user);
  const key = user.id.toString();
  if (chat.members.has(key)) throw new Error(`user ${user.id} is already a member of chat ${chat.id}`);
  const about = opts.about ?? '';
  chat.joinRequests.set(key, { date: world.date(), about });
  const until = world.clock.now() + world.joinRequestWindowMs;
  for (const bot of adminBots(world, chat)) {
    const rel = world.relation(user, bot);
    if (!rel.started) rel.joinRequestUntil = until;
    world.appendEntry(
      bot,
      { kind: 'inviteRequester', chat: chatPeer(chat), userId: user.id, about },
      {
        qts: true,
        users: [world.mention(user, bot, { full: true, langCode: opts.withLangCode ?? true })],
        chats: [chatPeer(chat)],
      },
    );
  }
  world.changed();
}
