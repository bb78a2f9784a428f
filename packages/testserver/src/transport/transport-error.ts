/**
 * Why a connection is being closed at the transport level. With a `code` the server first sends the 4-byte
 * transport error (a framed little-endian int32, e.g. -404) the way Telegram does, then closes; without one
 * (broken framing: the peer could not parse an answer anyway) it just closes.
 */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly code?: TransportErrorCode,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

/** Telegram's transport error codes (sent negated on the wire as an int32 payload). */
export const TransportErrorCode = {
  /** Unknown auth key id, or a packet that does not decrypt / parse under its auth key. */
  AuthKeyNotFound: -404,
  /** Too many connections or packets from the peer. */
  Flood: -429,
  /** Unknown DC id in an obfuscated init. */
  InvalidDc: -444,
} as const;
export type TransportErrorCode = (typeof TransportErrorCode)[keyof typeof TransportErrorCode];
