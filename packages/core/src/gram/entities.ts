/**
 * GramJS users and chats → peer cache sightings ({@link PeerInput}), and peer cache descriptors → `Api.InputPeer*`.
 *
 * What a sighting leaves `undefined` the cache keeps: a missing `lang_code` or phone (privacy), the profile of a
 * deleted account, anything a `min` constructor omits. What Telegram states as absent on a full constructor is
 * `null` / `[]`: a removed last name, a lost username, a removed photo.
 */
import { markId } from '../storage/peer-ids.js';
import type { InputPeerDescriptor, PeerInput, PeerType } from '../storage/types.js';
import { Api, textFromTl, toBigInteger, toBigint } from './tl.js';

/** Every active username: `username` (the main one) first, then the active ones of `usernames` (collectible). */
function usernamesOf(main: string | undefined, list: readonly Api.TypeUsername[] | undefined): string[] {
  // Called for every user of every update: no set or closure for the usual none or one name.
  const names: string[] = main ? [main] : [];
  if (!list || list.length === 0) return names;
  const seen = new Set<string>(main ? [main.toLowerCase()] : []);
  for (const entry of list) {
    if (!(entry instanceof Api.Username) || !entry.active) continue;
    const lower = entry.username.toLowerCase();
    if (seen.has(lower)) continue;
    seen.add(lower);
    names.push(entry.username);
  }
  return names;
}

function photoIdOf(
  photo: Api.TypeUserProfilePhoto | Api.TypeChatPhoto | undefined,
): bigint | null | undefined {
  if (photo instanceof Api.UserProfilePhoto || photo instanceof Api.ChatPhoto) return toBigint(photo.photoId);
  if (photo instanceof Api.UserProfilePhotoEmpty || photo instanceof Api.ChatPhotoEmpty) return null;
  return undefined;
}

const hashOf = (hash: Api.long | undefined): bigint | undefined =>
  hash === undefined ? undefined : toBigint(hash);

function fromUser(u: Api.User): PeerInput {
  const min = Boolean(u.min);
  const names = usernamesOf(u.username, u.usernames);
  if (min) {
    // A min user carries only what the sender's client could see; omitted fields say nothing.
    return {
      id: toBigint(u.id),
      type: u.bot ? 'bot' : 'user',
      accessHash: hashOf(u.accessHash),
      min: true,
      usernames: names.length > 0 ? names : undefined,
      firstName: textFromTl(u.firstName),
      lastName: textFromTl(u.lastName),
      phone: u.phone || undefined,
      langCode: u.langCode || undefined,
      deleted: u.deleted ? true : undefined,
      photoId: u.applyMinPhoto ? photoIdOf(u.photo) : undefined,
    };
  }
  const deleted = Boolean(u.deleted);
  return {
    id: toBigint(u.id),
    type: u.bot ? 'bot' : 'user',
    accessHash: hashOf(u.accessHash),
    min: false,
    // A deleted account frees its usernames; its last known names stay on record.
    usernames: deleted ? [] : names,
    firstName: deleted ? undefined : (textFromTl(u.firstName) ?? null),
    lastName: deleted ? undefined : (textFromTl(u.lastName) ?? null),
    phone: u.phone || undefined,
    langCode: u.langCode || undefined,
    premium: Boolean(u.premium),
    verified: Boolean(u.verified),
    deleted,
    photoId: photoIdOf(u.photo) ?? (deleted ? undefined : null),
  };
}

function fromChannel(c: Api.Channel): PeerInput {
  const min = Boolean(c.min);
  const names = usernamesOf(c.username, c.usernames);
  return {
    id: markId('channel', toBigint(c.id)),
    type: c.megagroup || c.gigagroup ? 'supergroup' : 'channel',
    accessHash: hashOf(c.accessHash),
    min,
    usernames: min && names.length === 0 ? undefined : names,
    title: textFromTl(c.title),
    verified: min ? undefined : Boolean(c.verified),
    photoId: photoIdOf(c.photo),
  };
}

/**
 * One GramJS user or chat as a sighting: `User`, `UserEmpty`, `Chat`, `ChatForbidden`, `ChatEmpty`, `Channel`,
 * `ChannelForbidden`. Anything else (e.g. a peer object) gives undefined.
 */
export function peerInputFromGram(entity: unknown): PeerInput | undefined {
  if (entity instanceof Api.User) return fromUser(entity);
  if (entity instanceof Api.UserEmpty) return { id: toBigint(entity.id), deleted: true };
  if (entity instanceof Api.Channel) return fromChannel(entity);
  if (entity instanceof Api.ChannelForbidden) {
    const type: PeerType = entity.megagroup ? 'supergroup' : 'channel';
    return {
      id: markId('channel', toBigint(entity.id)),
      type,
      accessHash: toBigint(entity.accessHash),
      title: textFromTl(entity.title),
    };
  }
  if (entity instanceof Api.Chat) {
    return {
      id: markId('chat', toBigint(entity.id)),
      type: 'chat',
      title: textFromTl(entity.title),
      photoId: photoIdOf(entity.photo),
    };
  }
  if (entity instanceof Api.ChatForbidden)
    return { id: markId('chat', toBigint(entity.id)), type: 'chat', title: textFromTl(entity.title) };
  if (entity instanceof Api.ChatEmpty)
    return { id: markId('chat', toBigint(entity.id)), type: 'chat', deleted: true };
  return undefined;
}

/** The sightings among a list of GramJS users and chats (e.g. `[...update.users, ...update.chats]`). */
export function peerInputsFromGram(entities: Iterable<unknown>): PeerInput[] {
  const inputs: PeerInput[] = [];
  for (const entity of entities) {
    const input = peerInputFromGram(entity);
    if (input !== undefined) inputs.push(input);
  }
  return inputs;
}

const ENTITY_CLASSES = new Set([
  'User',
  'UserEmpty',
  'Chat',
  'ChatForbidden',
  'ChatEmpty',
  'Channel',
  'ChannelForbidden',
]);

/**
 * Every user and chat a TL object carries (an update container, an RPC result, a list), as sightings: the object
 * itself, its `user`/`chat`/`channel`/`users`/`chats` fields, two levels deep (`updates.difference.users`).
 */
export function peersOf(tlo: unknown, out: PeerInput[] = [], depth = 0): PeerInput[] {
  if (!tlo || typeof tlo !== 'object' || depth > 2) return out;
  if (Array.isArray(tlo)) {
    for (const x of tlo) peersOf(x, out, depth + 1);
    return out;
  }
  const o = tlo as Record<string, unknown>;
  if (ENTITY_CLASSES.has(o.className as string)) {
    const input = peerInputFromGram(tlo);
    if (input !== undefined) out.push(input);
    return out;
  }
  if (o.user !== undefined) peersOf(o.user, out, depth + 1);
  if (o.chat !== undefined) peersOf(o.chat, out, depth + 1);
  if (o.channel !== undefined) peersOf(o.channel, out, depth + 1);
  if (o.users !== undefined) peersOf(o.users, out, depth + 1);
  if (o.chats !== undefined) peersOf(o.chats, out, depth + 1);
  return out;
}

/** What GramJS needs to address a peer, from `PeerCache.inputPeerFor()`. */
export function toGramInputPeer(
  peer: Pick<InputPeerDescriptor, 'kind' | 'id' | 'accessHash'>,
): Api.InputPeerUser | Api.InputPeerChat | Api.InputPeerChannel {
  switch (peer.kind) {
    case 'user':
      return new Api.InputPeerUser({
        userId: toBigInteger(peer.id),
        accessHash: toBigInteger(peer.accessHash),
      });
    case 'chat':
      return new Api.InputPeerChat({ chatId: toBigInteger(peer.id) });
    case 'channel':
      return new Api.InputPeerChannel({
        channelId: toBigInteger(peer.id),
        accessHash: toBigInteger(peer.accessHash),
      });
  }
}

/** `Api.InputUser` for methods that take a user rather than a peer (e.g. `users.getUsers`). */
export function toGramInputUser(peer: Pick<InputPeerDescriptor, 'id' | 'accessHash'>): Api.InputUser {
  return new Api.InputUser({ userId: toBigInteger(peer.id), accessHash: toBigInteger(peer.accessHash) });
}

/** `Api.InputChannel` for `channels.*` methods. */
export function toGramInputChannel(peer: Pick<InputPeerDescriptor, 'id' | 'accessHash'>): Api.InputChannel {
  return new Api.InputChannel({
    channelId: toBigInteger(peer.id),
    accessHash: toBigInteger(peer.accessHash),
  });
}
