import type { SessionInvalidError } from '../errors.js';

/** Why a link died. */
export interface LinkFailure {
  /** Redacted, for `waiting.reason` and error messages. */
  readonly reason: string;
  /** Set when Telegram refused the session (the supervisor then stops for good). */
  readonly sessionInvalid?: SessionInvalidError;
}

/** One live connection (for pm: one GramJS client with its MTProto sender). */
export interface Link {
  /** Resolves once, when the link is dead (dropped, failed a ping, refused the session, or closed). */
  readonly closed: Promise<LinkFailure>;
  /** True once `closed` has resolved. */
  readonly dead: boolean;
  /**
   * Calls `listener` once when the link dies (at once if it is dead); answers the unsubscribe. Per-call waits use
   * this rather than `closed.then`, whose reactions would pile up on a long-lived link.
   */
  watch(listener: (failure: LinkFailure) => void): () => void;
  /** Marks the link dead (resolving `closed`) and tears it down in the background. */
  fail(failure: LinkFailure): void;
  /** One round trip (ping_delay_disconnect); the supervisor applies the deadline. */
  ping(): Promise<void>;
  /** Closes it for good (disconnect). */
  close(): Promise<void>;
}
