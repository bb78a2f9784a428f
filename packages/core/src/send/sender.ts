import type { Clock } from '../clock.js';
import { backoffDelay } from '../connection/options.js';
import type { DialogService } from '../dialogs/dialog-service.js';
import { ConnectionLostError, NetworkError, PmError, SessionInvalidError } from '../errors.js';
import type { FormattedText, InlineButton, ParseMode } from '../gram/format.js';
import { unresolvedReason } from '../peers/errors.js';
import type { PeerRef } from '../peers/peer-ref.js';
import { retry } from '../retry.js';
import {
  FloodWaitError,
  RandomIdDuplicateError,
  type SendFailureReason,
  sendFailureReason,
} from '../rpc-errors.js';
import type { PeerCache } from '../storage/peer-cache.js';
import type { InputPeerDescriptor, PeerRecord } from '../storage/types.js';
import type { IncomingUpdates } from '../updates/types.js';
import type { ChatScope, RateLimiter, Sleep } from './limiter.js';
import { randomMessageId } from './random-id.js';

/** Telegram's limit on a message's text, in UTF-16 code units after entity parsing. */
export const MAX_MESSAGE_LENGTH = 4096;

export const SEND_DEFAULTS = {
  /** Longest flood wait (Telegram seconds, summed over retries) a send sits out before answering floodWait. */
  maxFloodWaitSeconds: 60,
  /** Retries after a dropped connection (each reuses the random_id, so none can double-send). */
  networkRetries: 3,
  /** Wait before the first network retry; doubled each time, ms. */
  networkRetryDelayMs: 250,
} as const;

export interface SendInput {
  readonly text: string;
  readonly parseMode?: ParseMode;
  /** Deliver without a notification sound. */
  readonly silent?: boolean;
  /** Message id to reply to. */
  readonly replyTo?: number;
  readonly noWebpage?: boolean;
  /** Inline keyboard rows. */
  readonly buttons?: readonly (readonly InlineButton[])[];
  /** Telegram's deduplication key; random when omitted. Reuse it to retry safely. */
  readonly randomId?: bigint;
  /**
   * Settle within this many ms: while Telegram is unreachable the send waits for the reconnect (and is sent again
   * with the same random_id), then answers `{ ok: false, reason: 'network' }`. @default connection.callTimeoutMs
   */
  readonly timeoutMs?: number;
}

export type SendResult =
  | {
      readonly ok: true;
      /** 0 when the message had already been sent (RANDOM_ID_DUPLICATE): the earlier send's id is unknown. */
      readonly messageId: number;
      readonly date: number;
      /** True when Telegram said this random_id was already sent. */
      readonly duplicate?: boolean;
      readonly peerId: bigint;
    }
  | {
      readonly ok: false;
      readonly reason: SendFailureReason;
      /** For floodWait: seconds until Telegram accepts messages again. */
      readonly retryAfter?: number;
      readonly peerId?: bigint;
      /** The typed error behind a 'failed' or 'network' reason. */
      readonly error?: PmError;
    };

export interface SenderDeps {
  readonly peers: PeerCache;
  readonly dialogs: DialogService;
  readonly limiter: RateLimiter;
  readonly clock: Clock;
  readonly sleep: Sleep;
  readonly maxFloodWaitSeconds: number;
  /**
   * Resolves once connected (rejects with ConnectionLostError at the call's deadline): a message waits for the
   * connection before it takes a token from the limiter, so time offline is not spent budget.
   */
  waitReady(method: string): Promise<void>;
  resolvePeer(ref: PeerRef): Promise<PeerRecord>;
  format(text: string, mode: ParseMode | undefined): FormattedText;
  sendMessage(
    peer: InputPeerDescriptor,
    text: FormattedText,
    randomId: bigint,
    opts: Omit<SendInput, 'text' | 'parseMode' | 'randomId'>,
  ): Promise<{ messageId: number; date: number; incoming: IncomingUpdates | undefined }>;
  /** Feeds the send's pts to the update engine. */
  onSent(incoming: IncomingUpdates): void;
  /** Told of every flood wait Telegram answers (for logs): seconds, and whether the send sits it out. */
  onFloodWait?(info: { readonly seconds: number; readonly peerId: bigint; readonly waiting: boolean }): void;
}

const utf16Length = (s: string): number => s.length;

/**
 * Sends one text message within Telegram's limits and answers a typed result instead of throwing for the ways a
 * send is refused. Every message has a random_id and every retry reuses it, so a retry can never double-send.
 */
export class Sender {
  constructor(private readonly deps: SenderDeps) {}

  async send(ref: PeerRef, input: string | SendInput): Promise<SendResult> {
    const req: SendInput = typeof input === 'string' ? { text: input } : input;
    const formatted = this.deps.format(req.text, req.parseMode);
    if (formatted.text.trim().length === 0) return { ok: false, reason: 'empty' };
    if (utf16Length(formatted.text) > MAX_MESSAGE_LENGTH) return { ok: false, reason: 'tooLong' };

    let peer: PeerRecord;
    try {
      peer = await this.deps.resolvePeer(ref);
    } catch (e) {
      const unresolved = unresolvedReason(e);
      if (unresolved !== undefined) return { ok: false, reason: unresolved };
      if (e instanceof ConnectionLostError) return { ok: false, reason: 'network', error: e };
      throw e;
    }
    return this.sendTo(peer, formatted, req);
  }

  /** Sends to a known peer record (broadcasts use this after resolving once). */
  async sendTo(peer: PeerRecord, formatted: FormattedText, req: SendInput): Promise<SendResult> {
    const peerId = peer.id;
    if (peer.type === 'bot') return { ok: false, reason: 'isBot', peerId };
    if (peer.deleted) return { ok: false, reason: 'deactivated', peerId };
    const input = await this.deps.peers.inputPeerFor(peerId);
    if (!input || input.min) return { ok: false, reason: 'notSeen', peerId };
    const scope: ChatScope = { kind: input.kind === 'user' ? 'private' : 'group', id: peerId };
    const randomId = req.randomId ?? randomMessageId();
    const { text: _t, parseMode: _p, randomId: _r, timeoutMs: _d, ...opts } = req;
    let waited = 0;
    let networkTries = 0;
    /** Whether the failure came from the send itself rather than the wait for a connection. */
    let sending = false;
    try {
      return await retry<SendResult>(
        async () => {
          sending = false;
          try {
            await this.deps.waitReady('messages.SendMessage');
          } catch (e) {
            if (e instanceof ConnectionLostError) return { ok: false, reason: 'network', peerId, error: e };
            throw e;
          }
          await this.deps.limiter.acquire(scope);
          sending = true;
          const res = await this.deps.sendMessage(input, formatted, randomId, opts);
          if (res.incoming) this.deps.onSent(res.incoming);
          if (input.kind === 'user') await this.deps.dialogs.noteReachability(peerId, 'ok');
          return { ok: true, messageId: res.messageId, date: res.date, peerId };
        },
        {
          sleep: this.deps.sleep,
          // Sent again with the same random_id: Telegram drops a second copy of a message that did arrive.
          retryAfter: (e) => {
            if (!sending) throw e;
            if (e instanceof FloodWaitError) {
              this.deps.limiter.pause(scope, e.seconds, e.slowmode);
              const waiting = waited + e.seconds <= this.deps.maxFloodWaitSeconds;
              this.deps.onFloodWait?.({ seconds: e.seconds, peerId, waiting });
              if (!waiting) throw e;
              waited += e.seconds;
              return 0; // acquire() sits out the pause
            }
            if (
              e instanceof NetworkError &&
              !(e instanceof ConnectionLostError) &&
              networkTries < SEND_DEFAULTS.networkRetries
            ) {
              networkTries++;
              return backoffDelay(networkTries, {
                backoffInitialMs: SEND_DEFAULTS.networkRetryDelayMs,
                backoffFactor: 2,
                backoffMaxMs: SEND_DEFAULTS.networkRetryDelayMs * 4,
                backoffJitter: 0,
              });
            }
            throw e;
          },
        },
      );
    } catch (e) {
      if (!sending) throw e;
      return this.#refused(e, scope, peerId);
    }
  }

  /** The result of a send Telegram refused (or that could not be sent), once nothing is retried any more. */
  async #refused(e: unknown, scope: ChatScope, peerId: bigint): Promise<SendResult> {
    if (e instanceof RandomIdDuplicateError) {
      return {
        ok: true,
        messageId: 0,
        date: Math.floor(this.deps.clock.now() / 1000),
        duplicate: true,
        peerId,
      };
    }
    if (e instanceof FloodWaitError) return { ok: false, reason: 'floodWait', retryAfter: e.seconds, peerId };
    if (e instanceof SessionInvalidError) throw e; // not this recipient's fault: nothing more can be sent
    if (e instanceof ConnectionLostError) {
      // Past the deadline (the connection layer already sent it again across reconnects, same random_id).
      // If it never left, its token was not spent: the limiter gets it back.
      this.deps.limiter.refund(scope);
      return { ok: false, reason: 'network', peerId, error: e };
    }
    if (!(e instanceof PmError)) throw e;
    const reason = sendFailureReason(e, true);
    if (reason === 'blocked') await this.deps.dialogs.noteReachability(peerId, 'blocked');
    if (reason === 'deactivated') await this.deps.peers.upsert([{ id: peerId, deleted: true }]);
    return reason === 'failed' ? { ok: false, reason, peerId, error: e } : { ok: false, reason, peerId };
  }
}
