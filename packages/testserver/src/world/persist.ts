/**
 * The world as JSON (ids and hashes as decimal strings) and back. Explicit per record, so a text that happens
 * to look like a number is never revived as one; that is why it is longer than most files here (each record
 * type written out both ways, side by side, so a field added to one direction is seen missing in the other).
 */
import type {
  ActionData,
  BotAccount,
  ChatRecord,
  JoinRequest,
  LogEntry,
  MessageRecord,
  PeerRef,
  Relation,
  UpdateData,
  UserRecord,
} from './types.js';
import type { World } from './world.js';
import type { IdCounters } from './world-options.js';

type PeerJson = { type: PeerRef['type']; id: string };

type ActionJson =
  | { type: 'botAllowed'; domain?: string; fromRequest?: boolean }
  | { type: 'chatAddUser'; users: string[] }
  | { type: 'chatJoinedByLink'; inviterId: string }
  | { type: 'chatJoinedByRequest' }
  | { type: 'chatCreate'; title: string; users: string[] }
  | { type: 'channelCreate'; title: string };

interface MessageJson {
  id: number;
  peer: PeerJson;
  fromId?: string;
  out: boolean;
  date: number;
  text: string;
  randomId?: string;
  entities?: string[];
  replyMarkup?: string;
  replyToMsgId?: number;
  action?: ActionJson;
  pts?: number;
}

type UpdateJson =
  | { kind: 'newMessage'; messageId: number }
  | { kind: 'botStopped'; userId: string; stopped: boolean }
  | { kind: 'inviteRequester'; chat: PeerJson; userId: string; about: string }
  | { kind: 'userName'; userId: string; firstName: string; lastName: string; usernames: string[] }
  | { kind: 'user'; userId: string }
  | { kind: 'editMessage'; messageId: number }
  | { kind: 'deleteMessages'; messageIds: number[] }
  | {
      kind: 'callbackQuery';
      userId: string;
      queryId: string;
      chatInstance: string;
      messageId: number;
      data: string;
    };

interface LogEntryJson {
  pts: number;
  ptsCount: number;
  qts: number;
  qtsBump: boolean;
  seq: number;
  date: number;
  update: UpdateJson;
  users: { id: string; min: boolean; langCode: boolean }[];
  chats: PeerJson[];
}

interface AccountJson {
  secret: string;
  authKeys: string[];
  pts: number;
  qts: number;
  seq: number;
  nextMessageId: number;
  messages: MessageJson[];
  randomIds: string[];
  log: LogEntryJson[];
  trimmedPts: number;
  trimmedQts: number;
  commands: BotAccount['commands'];
  callbackQueries?: BotAccount['callbackQueries'];
}

/** A UserRecord in JSON: the id as a string, relations as an object, the account serialised. */
type UserJson = Omit<UserRecord, 'id' | 'relations' | 'account'> & {
  id: string;
  relations: Record<string, Relation>;
  account?: AccountJson;
};

interface ChatJson {
  kind: 'group' | 'channel';
  id: string;
  title: string;
  date: number;
  members: string[];
  admins: string[];
  joinRequests: Record<string, JoinRequest>;
  inviteHash: string;
  creatorId: string;
  version?: number;
  megagroup?: boolean;
  username?: string;
  pts?: number;
  nextMessageId?: number;
  messages?: MessageJson[];
}

export interface WorldJson {
  version: 1;
  secret: string;
  counters: IdCounters;
  /** Telegram-time (ms) when saved: a restarted clock never runs backwards. */
  clockAt: number;
  authKeys: Record<string, string>;
  users: UserJson[];
  chats: ChatJson[];
}

const peerToJson = (p: PeerRef): PeerJson => ({ type: p.type, id: p.id.toString() });
const peerFromJson = (p: PeerJson): PeerRef => ({ type: p.type, id: BigInt(p.id) }) as PeerRef;

function actionToJson(a: ActionData): ActionJson {
  switch (a.type) {
    case 'chatAddUser':
      return { type: a.type, users: a.users.map(String) };
    case 'chatCreate':
      return { type: a.type, title: a.title, users: a.users.map(String) };
    case 'chatJoinedByLink':
      return { type: a.type, inviterId: a.inviterId.toString() };
    default:
      return { ...a };
  }
}

function actionFromJson(a: ActionJson): ActionData {
  switch (a.type) {
    case 'chatAddUser':
      return { type: a.type, users: a.users.map((u) => BigInt(u)) };
    case 'chatCreate':
      return { type: a.type, title: a.title, users: a.users.map((u) => BigInt(u)) };
    case 'chatJoinedByLink':
      return { type: a.type, inviterId: BigInt(a.inviterId) };
    default:
      return { ...a };
  }
}

function messageToJson(m: MessageRecord): MessageJson {
  const { peer, fromId, randomId, action, ...rest } = m;
  return {
    ...rest,
    peer: peerToJson(peer),
    ...(fromId !== undefined ? { fromId: fromId.toString() } : {}),
    ...(randomId !== undefined ? { randomId: randomId.toString() } : {}),
    ...(action ? { action: actionToJson(action) } : {}),
  };
}

function messageFromJson(m: MessageJson): MessageRecord {
  const { peer, fromId, randomId, action, ...rest } = m;
  return {
    ...rest,
    peer: peerFromJson(peer),
    ...(fromId !== undefined ? { fromId: BigInt(fromId) } : {}),
    ...(randomId !== undefined ? { randomId: BigInt(randomId) } : {}),
    ...(action ? { action: actionFromJson(action) } : {}),
  };
}

function updateToJson(u: UpdateData): UpdateJson {
  switch (u.kind) {
    case 'newMessage':
    case 'editMessage':
      return { ...u };
    case 'deleteMessages':
      return { ...u, messageIds: [...u.messageIds] };
    case 'inviteRequester':
      return { ...u, chat: peerToJson(u.chat), userId: u.userId.toString() };
    case 'userName':
      return { ...u, userId: u.userId.toString(), usernames: [...u.usernames] };
    default:
      return { ...u, userId: u.userId.toString() };
  }
}

function updateFromJson(u: UpdateJson): UpdateData {
  switch (u.kind) {
    case 'newMessage':
    case 'editMessage':
    case 'deleteMessages':
      return { ...u };
    case 'inviteRequester':
      return { ...u, chat: peerFromJson(u.chat), userId: BigInt(u.userId) };
    default:
      return { ...u, userId: BigInt(u.userId) };
  }
}

function entryToJson(e: LogEntry): LogEntryJson {
  return {
    ...e,
    update: updateToJson(e.update),
    users: e.users.map((m) => ({ ...m, id: m.id.toString() })),
    chats: e.chats.map(peerToJson),
  };
}

function entryFromJson(e: LogEntryJson): LogEntry {
  return {
    ...e,
    update: updateFromJson(e.update),
    users: e.users.map((m) => ({ ...m, id: BigInt(m.id) })),
    chats: e.chats.map(peerFromJson),
  };
}

function accountToJson(a: BotAccount): AccountJson {
  return {
    ...a,
    authKeys: [...a.authKeys],
    messages: [...a.messages.values()].map(messageToJson),
    randomIds: [...a.randomIds],
    log: a.log.map(entryToJson),
  };
}

function accountFromJson(a: AccountJson): BotAccount {
  return {
    ...a,
    authKeys: new Set(a.authKeys),
    messages: new Map(a.messages.map((m) => [m.id, messageFromJson(m)])),
    randomIds: new Set(a.randomIds),
    log: a.log.map(entryFromJson),
  };
}

function userToJson(u: UserRecord): UserJson {
  const { id, relations, account, ...rest } = u;
  return {
    ...rest,
    id: id.toString(),
    relations: Object.fromEntries(relations),
    ...(account ? { account: accountToJson(account) } : {}),
  };
}

function userFromJson(u: UserJson): UserRecord {
  const { id, relations, account, ...rest } = u;
  return {
    ...rest,
    id: BigInt(id),
    relations: new Map(Object.entries(relations)),
    ...(account ? { account: accountFromJson(account) } : {}),
  };
}

function chatToJson(c: ChatRecord): ChatJson {
  const base = {
    id: c.id.toString(),
    title: c.title,
    date: c.date,
    members: [...c.members],
    admins: [...c.admins],
    joinRequests: Object.fromEntries(c.joinRequests),
    inviteHash: c.inviteHash,
    creatorId: c.creatorId.toString(),
  };
  if (c.kind === 'group') return { ...base, kind: 'group', version: c.version };
  return {
    ...base,
    kind: 'channel',
    megagroup: c.megagroup,
    ...(c.username !== undefined ? { username: c.username } : {}),
    pts: c.pts,
    nextMessageId: c.nextMessageId,
    messages: [...c.messages.values()].map(messageToJson),
  };
}

function chatFromJson(c: ChatJson): ChatRecord {
  const base = {
    id: BigInt(c.id),
    title: c.title,
    date: c.date,
    members: new Set(c.members),
    admins: new Set(c.admins),
    joinRequests: new Map(Object.entries(c.joinRequests)),
    inviteHash: c.inviteHash,
    creatorId: BigInt(c.creatorId),
  };
  if (c.kind === 'group') return { ...base, kind: 'group', version: c.version ?? 1 };
  return {
    ...base,
    kind: 'channel',
    megagroup: c.megagroup ?? false,
    ...(c.username !== undefined ? { username: c.username } : {}),
    pts: c.pts ?? 1,
    nextMessageId: c.nextMessageId ?? 1,
    messages: new Map((c.messages ?? []).map((m) => [m.id, messageFromJson(m)])),
  };
}

export function worldToJson(world: World): WorldJson {
  return {
    version: 1,
    secret: world.secret,
    counters: { ...world.counters },
    clockAt: world.clock.now(),
    authKeys: Object.fromEntries([...world.authKeys].map(([k, v]) => [k, v.toString()])),
    users: [...world.users.values()].map(userToJson),
    chats: [...world.chats.values()].map(chatToJson),
  };
}

/** Loads `json` into an empty world (rebuilding the username index). */
export function loadWorldJson(world: World, json: WorldJson): void {
  if (json.version !== 1) throw new Error(`unsupported world state version ${String(json.version)}`);
  world.secret = json.secret;
  world.counters = { ...json.counters };
  world.users.clear();
  world.chats.clear();
  world.authKeys.clear();
  world.usernames.clear();
  for (const u of json.users) {
    const user = userFromJson(u);
    world.users.set(user.id.toString(), user);
    for (const name of user.usernames) world.usernames.claim(name, { type: 'user', id: user.id });
  }
  for (const c of json.chats) {
    const chat = chatFromJson(c);
    world.chats.set(chat.id.toString(), chat);
    if (chat.kind === 'channel' && chat.username !== undefined) {
      world.usernames.claim(chat.username, { type: 'channel', id: chat.id });
    }
  }
  for (const [k, v] of Object.entries(json.authKeys)) world.authKeys.set(k, BigInt(v));
}
