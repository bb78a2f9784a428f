import { PmError } from '../errors.js';

/** The bot has never seen this peer, so it has no access hash for it and Telegram would refuse any action. */
export class PeerNotSeenError extends PmError {
  constructor(readonly peerId: bigint) {
    super(
      'PEER_NOT_SEEN',
      `Peer ${peerId} has not been seen by this bot, so there is no access hash to address it. A bot sees a user ` +
        'when the user messages or starts it, requests to join a chat it administers, logs in through its Login ' +
        'Widget, or when the bot resolves their @username; it sees chats and channels it is a member of.',
    );
  }
}

/** No account has this username (Telegram's USERNAME_NOT_OCCUPIED). */
export class PeerNotFoundError extends PmError {
  constructor(readonly username: string) {
    super('PEER_NOT_FOUND', `Nobody has the username @${username}`);
  }
}

/**
 * Why a reference gave nothing to act on, as a send, probe or edit reason: the bot has not seen that id (no access
 * hash), nobody has that username, or it names a chat or channel where a user was expected. Undefined for any
 * other error.
 */
export function unresolvedReason(e: unknown): 'notSeen' | 'notFound' | 'notAUser' | undefined {
  if (e instanceof PeerNotSeenError) return 'notSeen';
  if (e instanceof PeerNotFoundError) return 'notFound';
  if (e instanceof NotAUserError) return 'notAUser';
  return undefined;
}

/** The reference names a chat or channel where a user was expected. */
export class NotAUserError extends PmError {
  constructor(
    readonly peerId: bigint,
    readonly type: string,
  ) {
    super('NOT_A_USER', `Peer ${peerId} is a ${type}, not a user`);
  }
}
