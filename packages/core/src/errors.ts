/**
 * The PmError hierarchy. Every error pm throws is a PmError subclass with typed readonly fields; callers switch
 * on `instanceof` or `code`, never on message text. Messages name the bad value and what would be valid, and
 * never contain secrets (bot token, auth key, session string).
 */
export class PmError extends Error {
  /** A stable machine-readable code, e.g. 'INVALID_PEER_ID'. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A value handed to pm is not of the form Telegram allows (an id, an access hash, a username, a link...). */
export class InvalidInputError extends PmError {
  constructor(
    code: string,
    /** The offending value, rendered as a string (already redacted if it could be secret). */
    readonly value: string,
    message: string,
  ) {
    super(code, message);
  }
}

/** Renders any value for an error message without ever throwing, trimmed to a readable length. */
export function describeValue(value: unknown): string {
  let s: string;
  try {
    s =
      typeof value === 'bigint'
        ? `${value}n`
        : typeof value === 'string'
          ? JSON.stringify(value)
          : String(value);
  } catch {
    s = Object.prototype.toString.call(value);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/**
 * A loop over `client.events(name)` fell `bufferSize` events behind and lost the oldest ones (told through the
 * client's `error` event when the first one goes; the stream's `dropped` counts them all). Handle events faster,
 * raise `bufferSize` (or pass `Infinity`), or use `client.on(name, …)`, whose slow listeners hold updates back
 * instead.
 */
export class EventsDroppedError extends PmError {
  declare readonly code: 'EVENTS_DROPPED';
  constructor(
    /** The event whose loop fell behind, e.g. 'dialogStarted'. */
    readonly event: string,
    readonly bufferSize: number,
  ) {
    super(
      'EVENTS_DROPPED',
      `a loop over events('${event}') fell ${bufferSize} events behind: its oldest ${event} events are being dropped (handle them faster, raise bufferSize, or use on('${event}', …), which holds updates back instead)`,
    );
  }
}

/**
 * One of the bot's listeners was still running `timeoutMs` after its event came (`handlerTimeoutMs`): pm stopped
 * holding later updates back for it. It goes on running; a failure of it is still reported.
 */
export class HandlerTimeoutError extends PmError {
  declare readonly code: 'HANDLER_TIMEOUT';
  constructor(
    /** The event whose listener is late, e.g. 'dialogStarted'. */
    readonly event: string,
    readonly timeoutMs: number,
  ) {
    super(
      'HANDLER_TIMEOUT',
      `a listener of ${event} was still running after ${timeoutMs} ms: later updates no longer wait for it (it goes on running; raise handlerTimeoutMs, or Infinity, if it should hold them back)`,
    );
  }
}

/**
 * Updates arrive faster than the bot's listeners handle them: `waiting` containers are queued, in memory, and each
 * waits that much longer to be handled. Told when the queue reaches 1,000 (`updates.backlogWarnAt`), again at each
 * tenfold; a warning is logged when it has cleared.
 */
export class UpdatesBacklogError extends PmError {
  declare readonly code: 'UPDATES_BACKLOG';
  constructor(readonly waiting: number) {
    super(
      'UPDATES_BACKLOG',
      `${waiting} update containers are waiting for the bot's listeners, which handle them more slowly than they arrive (they are kept in memory until handled)`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Storage and peer cache
// ---------------------------------------------------------------------------------------------------------------

/** Builds the message shared by the invalid-input subclasses: where, what was given, what would be valid. */
function invalidMessage(what: string, value: unknown, field: string | undefined, valid: string): string {
  return `Invalid ${what} ${describeValue(value)}${field ? ` at ${field}` : ''}: ${valid}`;
}

/** A peer id that is not a 64-bit integer (a JS number, a non-integer string, out of range, 0...). */
export class InvalidPeerIdError extends InvalidInputError {
  constructor(
    value: unknown,
    valid: string,
    /** Where the value was found, e.g. `records[2].id`; undefined for a direct argument. */
    readonly field?: string,
  ) {
    super('INVALID_PEER_ID', describeValue(value), invalidMessage('peer id', value, field, valid));
  }
}

/** An access hash (or another 64-bit field such as a photo id) outside the signed 64-bit range. */
export class InvalidAccessHashError extends InvalidInputError {
  constructor(
    value: unknown,
    valid: string,
    readonly field?: string,
  ) {
    super('INVALID_ACCESS_HASH', describeValue(value), invalidMessage('access hash', value, field, valid));
  }
}

/** A username Telegram never allows (characters, length, leading digit, trailing or double underscore). */
export class InvalidUsernameError extends InvalidInputError {
  constructor(
    value: unknown,
    valid: string,
    readonly field?: string,
  ) {
    super('INVALID_USERNAME', describeValue(value), invalidMessage('username', value, field, valid));
  }
}

/** A phone number that is not 4 to 20 digits once `+`, spaces, dashes and brackets are removed. */
export class InvalidPhoneError extends InvalidInputError {
  constructor(
    value: unknown,
    valid: string,
    readonly field?: string,
  ) {
    super('INVALID_PHONE', describeValue(value), invalidMessage('phone number', value, field, valid));
  }
}

/** Any other malformed field of a peer record handed to the peer cache (type, names, flags, lang code...). */
export class InvalidPeerRecordError extends InvalidInputError {
  constructor(
    value: unknown,
    valid: string,
    /** The offending field, e.g. `records[0].type`. */
    readonly field: string,
  ) {
    super('INVALID_PEER_RECORD', describeValue(value), invalidMessage('value', value, field, valid));
  }
}

/** Codes of {@link StorageError}. */
export type StorageErrorCode =
  | 'STORAGE_CLOSED'
  | 'STORAGE_SCHEMA_TOO_NEW'
  | 'STORAGE_FAILED'
  | 'STORAGE_CANNOT_OPEN'
  | 'STORAGE_NOT_FOUND'
  | 'STORAGE_NOT_PM'
  | 'STORAGE_DAMAGED'
  | 'STORAGE_RECORD_REJECTED';

/**
 * What a failed storage operation says about a retry. `transient`: the same write may succeed later (connection
 * lost, lock busy, serialization failure, deadlock). `record`: the store refused this data (a constraint, an
 * encoding): other records would go through, so a batch is split to find the one to set aside. `store`: the store
 * cannot take writes now whatever the data (closed, read-only, full, damaged, another schema).
 */
export type StorageFailureKind = 'transient' | 'record' | 'store';

/** The storage provider failed or was used after `close()`; `cause` holds the driver's own error. */
export class StorageError extends PmError {
  declare readonly code: StorageErrorCode;
  readonly #kind: StorageFailureKind;
  constructor(
    code: StorageErrorCode,
    message: string,
    options?: { cause?: unknown; kind?: StorageFailureKind | undefined },
  ) {
    super(code, message, options);
    this.#kind = options?.kind ?? 'store';
  }

  /** See {@link StorageFailureKind}. @default 'store' */
  get kind(): StorageFailureKind {
    return this.#kind;
  }

  /** True when a later try of the same operation may succeed. */
  get transient(): boolean {
    return this.kind === 'transient';
  }
}

/**
 * A peer the store refused to write (e.g. a constraint of the database rejects one of its values): it was set
 * aside and reported, and every other pending record was written. Memory forgets the refused version, so reads
 * answer what the store holds.
 */
export class PeerSetAsideError extends StorageError {
  constructor(
    /** The refused peer with the peers whose changes depend on it (a username or phone moving between them). */
    readonly peerIds: readonly bigint[],
    /** Why the store refused it: the driver's message. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      'STORAGE_RECORD_REJECTED',
      `Storage refused peer ${peerIds.join(', ')}; its change was set aside and the other records were written: ${reason}`,
      { ...options, kind: 'record' },
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Connection and session
// ---------------------------------------------------------------------------------------------------------------

/** A failure below RPC level: the connection dropped, a timeout, GramJS refused the call. */
export class NetworkError extends PmError {
  constructor(
    readonly method: string,
    message: string,
    options?: { cause?: unknown; code?: string },
  ) {
    super(options?.code ?? 'NETWORK', `${method}: ${message}`, options);
  }
}

/** Why a call settled with {@link ConnectionLostError}. */
export type ConnectionLostReason =
  /** The deadline passed while pm was (re)connecting or waiting for the answer. */
  | 'timeout'
  /** The connection dropped while the call was in flight and the call is not safe to repeat. */
  | 'dropped'
  /** The client was disconnected (or stopped) before the call could finish. */
  | 'stopped';

/**
 * A call could not finish because Telegram could not be reached within its deadline. pm keeps reconnecting in the
 * background; the call itself is over. Retrying a send with the same `randomId` can never deliver twice.
 */
export class ConnectionLostError extends NetworkError {
  declare readonly code: 'CONNECTION_LOST';
  constructor(
    method: string,
    readonly reason: ConnectionLostReason,
    /** The deadline the call had, ms (for reason 'timeout'). */
    readonly timeoutMs: number | undefined,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(method, detail, { ...options, code: 'CONNECTION_LOST' });
  }
}

/**
 * Telegram no longer accepts this session's auth key: AUTH_KEY_UNREGISTERED, AUTH_KEY_INVALID,
 * AUTH_KEY_DUPLICATED, SESSION_REVOKED, SESSION_EXPIRED, USER_DEACTIVATED (the bot's own account, e.g. a revoked
 * token), or the transport's -404 (auth key not found). The client stops; only a new login helps.
 */
export class SessionInvalidError extends PmError {
  declare readonly code: 'SESSION_INVALID';
  constructor(
    /** What Telegram said: an RPC error name, or `-404` from the transport. */
    readonly reason: string,
    /** The call that met it, when there was one. */
    readonly method?: string,
  ) {
    super(
      'SESSION_INVALID',
      `Telegram no longer accepts this session (${reason}${method ? ` on ${method}` : ''}): log in again: pm login --session <file> --bot-token <token>`,
    );
  }
}
