/**
 * What Telegram needs to address a peer: its bare id (not marked) and, for users and channels, the access hash
 * this bot got for it. `gram/` turns it into an `Api.InputPeer*`.
 */
export interface InputPeerRef {
  readonly kind: 'user' | 'chat' | 'channel';
  /** The bare id: a user id, a basic chat id or a channel id (not the -100… marked form). */
  readonly id: bigint;
  /** 0n for basic chats. */
  readonly accessHash: bigint;
}
