/** PmClient's options, events and defaults: what a bot author configures and listens to. */
import type { CallbackQueryEvent } from '../callbacks/callback-query.js';
import type { Clock } from '../clock.js';
import type { ConnectionOptions, ConnectionState } from '../connection/index.js';
import type { DialogEvents } from '../dialogs/dialog-service.js';
import { PmError } from '../errors.js';
import type { ServerAddress, Transport } from '../gram/options.js';
import type { Logger } from '../log.js';
import type { ProfileChangedEvent } from '../profiles/profile.js';
import type { LimiterOptions } from '../send/limiter.js';
import type { SessionData } from '../session/session-file.js';
import type { PeerCacheOptions } from '../storage/peer-cache.js';
import type { StorageProvider } from '../storage/types.js';
import type { BotUpdate } from '../updates/types.js';
import type { UpdateEngineOptions } from '../updates/update-engine.js';

/** Every default of PmClient, in one place. */
export const CLIENT_DEFAULTS = {
  /** A cached username is trusted this long after the user was last seen with it, ms (1 day). */
  usernameTrustWindowMs: 24 * 60 * 60 * 1000,
  transport: 'full' as Transport,
  /** How long one listener may hold the updates behind it back, ms (90 s, Telegraf's handlerTimeout too). */
  handlerTimeoutMs: 90_000,
} as const;

export interface PmClientOptions {
  readonly apiId: number;
  readonly apiHash: string;
  /** A session file path (created on login, mode 0600) or session data. Omitted: a new in-memory session. */
  readonly session?: string | SessionData | undefined;
  /** Where seen users and dialog state live: a provider, `memory`, `sqlite:<path>` or a path. @default 'memory' */
  readonly storage?: string | StorageProvider | undefined;
  /** Connect here instead of Telegram (e.g. an @pm/testserver). */
  readonly server?: ServerAddress | undefined;
  /** @default 'full' */
  readonly transport?: Transport | undefined;
  /** @default 86_400_000 (1 day) */
  readonly usernameTrustWindowMs?: number | undefined;
  /** @default the system clock */
  readonly clock?: Clock | undefined;
  /** Tuning of the peer cache (LRU size, write-behind delay). */
  readonly peerCache?: Omit<PeerCacheOptions, 'storage' | 'now'> | undefined;
  /**
   * Group commit of the update state (with the dialog states and peers its updates changed, in one transaction):
   * `saveDelayMs` after the updates stop coming, or every `saveEvery` containers of a burst. A crash replays the
   * updates since the last save through getDifference, so listeners see them again (at least once; a replayed first
   * start is still `first: true`). @default UPDATE_ENGINE_DEFAULTS (every 256 containers, 50 ms)
   */
  readonly updates?: UpdateEngineOptions | undefined;
  /**
   * Listeners are awaited, so the updates behind a slow one wait for it (in order, nothing piles up). One still
   * running after this long is reported (HandlerTimeoutError as an `error` event, and a warning logged) and no longer
   * waited for: it goes on running, later updates go on being handled, a failure of it is still reported. `Infinity`
   * waits for good. @default 90_000
   */
  readonly handlerTimeoutMs?: number | undefined;
  /** Sending limits (global, per chat, per group) and their time scale. @default Telegram's, see LIMITER_DEFAULTS */
  readonly limits?: LimiterOptions | undefined;
  /** Longest flood wait a send sits out (Telegram seconds) before answering floodWait. @default 60 */
  readonly maxFloodWaitSeconds?: number | undefined;
  /**
   * Where pm logs connection states, reconnects, flood waits, peer cache flushes and store errors: `console`, a
   * pino or winston logger, anything with debug/info/warn/error (each called with one redacted string). `DEBUG=pm:*`
   * shows the same lines through the `debug` package. Without a logger, an `error` event nobody listens to is printed
   * on stderr (`pm: <where>: <error>`), so no failure goes unseen. @default none (only DEBUG, and that last resort)
   */
  readonly logger?: Logger | undefined;
  /** GramJS's own logging. @default 'none' */
  readonly gramLogLevel?: 'none' | 'error' | 'warn' | 'info' | 'debug' | undefined;
  /**
   * Deadlines, pings and reconnect backoff: every call settles within `callTimeoutMs` (60 s), a connection that
   * stops answering pings is replaced, reconnects back off up to `backoffMaxMs` (30 s). @default CONNECTION_DEFAULTS
   */
  readonly connection?: ConnectionOptions | undefined;
}

/** A deadline for one call, overriding `connection.callTimeoutMs`. */
export interface CallTimeout {
  /** Settle (with ConnectionLostError, or a `network` result for sends) after this many ms at the latest. */
  readonly timeoutMs?: number;
}

export interface Me {
  readonly id: bigint;
  readonly username: string | undefined;
  readonly firstName: string;
}

export interface ClientErrorEvent {
  readonly error: unknown;
  readonly where: string;
}

export interface PmEvents extends DialogEvents {
  profileChanged: ProfileChangedEvent;
  /** Every update, mapped, after pm handled it (for bots that want more than the typed events). */
  update: BotUpdate;
  error: ClientErrorEvent;
  /** The connection changed state: connecting, ready, waiting (with the next attempt's time), stopped. */
  connectionState: ConnectionState;
  /** A user pressed a callback button under one of the bot's messages; answer with `answerCallback(queryId)`. */
  callbackQuery: CallbackQueryEvent;
}

/** `client.idle()` was called from inside a listener of an update still being handled: it would wait for itself. */
export class IdleInsideListenerError extends PmError {
  constructor() {
    super(
      'IDLE_INSIDE_LISTENER',
      'idle() was called from inside a listener: it waits until every update received is handled, that listener included, so it would wait for itself; call it outside the listeners',
    );
  }
}

export class NotLoggedInError extends PmError {
  constructor() {
    super(
      'NOT_LOGGED_IN',
      'The client is not logged in: call loginAsBot(token) or connect with a session file',
    );
  }
}
