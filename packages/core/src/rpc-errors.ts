import { ConnectionLostError, PmError, SessionInvalidError } from './errors.js';

/**
 * The one place Telegram's RPC error names become typed errors. `gram/` hands every failed call here as a plain
 * `{ code, name }`; everything above switches on the classes below (or on `SendFailureReason`), never on text.
 */

/** An RPC call Telegram refused. `rpcName` is Telegram's error name, e.g. `USER_IS_BLOCKED`. */
export class RpcCallError extends PmError {
  constructor(
    readonly rpcCode: number,
    readonly rpcName: string,
    /** The TL method that failed, e.g. `messages.SendMessage`. */
    readonly method: string,
    message?: string,
  ) {
    super(rpcName, message ?? `${method} failed: ${rpcCode} ${rpcName}`);
  }
}

/** FLOOD_WAIT_n, FLOOD_PREMIUM_WAIT_n, SLOWMODE_WAIT_n: retry after `seconds`. */
export class FloodWaitError extends RpcCallError {
  constructor(
    method: string,
    readonly seconds: number,
    readonly slowmode: boolean,
  ) {
    super(
      420,
      slowmode ? `SLOWMODE_WAIT_${seconds}` : `FLOOD_WAIT_${seconds}`,
      method,
      `${method} refused: Telegram asks to wait ${seconds} s${slowmode ? ' (slow mode)' : ''}`,
    );
  }
}

/** USER_IS_BLOCKED: the user blocked the bot (or stopped it). */
export class UserBlockedError extends RpcCallError {}
/** PEER_ID_INVALID: no usable access hash, or (for a bot messaging a user) the user never started the bot. */
export class PeerIdInvalidError extends RpcCallError {}
/** INPUT_USER_DEACTIVATED / USER_DEACTIVATED: the account was deleted. */
export class UserDeactivatedError extends RpcCallError {}
/** USER_IS_BOT: bots cannot message other bots. */
export class UserIsBotError extends RpcCallError {}
/** USERNAME_NOT_OCCUPIED: nobody has this username. */
export class UsernameNotOccupiedError extends RpcCallError {}
/** USERNAME_INVALID: Telegram refuses the username's form. */
export class UsernameInvalidError extends RpcCallError {}
/** ACCESS_TOKEN_INVALID / ACCESS_TOKEN_EXPIRED: the bot token is wrong or revoked. */
export class BotTokenInvalidError extends RpcCallError {}
/** API_ID_INVALID / API_ID_PUBLISHED_FLOOD: the api id/hash pair is refused. */
export class ApiIdInvalidError extends RpcCallError {}
/** MESSAGE_TOO_LONG / MESSAGE_EMPTY. */
export class MessageTextError extends RpcCallError {}
/** RANDOM_ID_DUPLICATE: a message with this random_id was already sent: the earlier send went through. */
export class RandomIdDuplicateError extends RpcCallError {}

const BY_NAME: Record<string, new (code: number, name: string, method: string) => RpcCallError> = {
  USER_IS_BLOCKED: UserBlockedError,
  YOU_BLOCKED_USER: UserBlockedError,
  PEER_ID_INVALID: PeerIdInvalidError,
  USER_ID_INVALID: PeerIdInvalidError,
  CHANNEL_INVALID: PeerIdInvalidError,
  CHAT_ID_INVALID: PeerIdInvalidError,
  INPUT_USER_DEACTIVATED: UserDeactivatedError,
  USER_DEACTIVATED: UserDeactivatedError,
  USER_DEACTIVATED_BAN: UserDeactivatedError,
  USER_IS_BOT: UserIsBotError,
  USERNAME_NOT_OCCUPIED: UsernameNotOccupiedError,
  USERNAME_INVALID: UsernameInvalidError,
  ACCESS_TOKEN_INVALID: BotTokenInvalidError,
  ACCESS_TOKEN_EXPIRED: BotTokenInvalidError,
  API_ID_INVALID: ApiIdInvalidError,
  API_ID_PUBLISHED_FLOOD: ApiIdInvalidError,
  MESSAGE_TOO_LONG: MessageTextError,
  MESSAGE_EMPTY: MessageTextError,
  RANDOM_ID_DUPLICATE: RandomIdDuplicateError,
};

/**
 * Names that mean Telegram no longer accepts the session itself (besides every 401). USER_DEACTIVATED is one only as
 * a 401 (the bot's own account); as a 400 it is about the user addressed.
 */
const SESSION_INVALID = new Set([
  'AUTH_KEY_UNREGISTERED',
  'AUTH_KEY_INVALID',
  'AUTH_KEY_DUPLICATED',
  'AUTH_KEY_PERM_EMPTY',
  'SESSION_REVOKED',
  'SESSION_EXPIRED',
]);

/** True when the RPC error means the session must log in again. */
export function isSessionInvalid(code: number, name: string): boolean {
  return SESSION_INVALID.has(name) || (code === 401 && name !== 'SESSION_PASSWORD_NEEDED');
}

/** Translates one RPC error (as Telegram named it) into the typed error above. */
export function translateRpcError(
  code: number,
  name: string,
  method: string,
): RpcCallError | SessionInvalidError {
  if (isSessionInvalid(code, name)) return new SessionInvalidError(name, method);
  const wait = /^(FLOOD_WAIT|FLOOD_PREMIUM_WAIT|SLOWMODE_WAIT)_(\d+)$/.exec(name);
  if (wait) return new FloodWaitError(method, Number(wait[2]), wait[1] === 'SLOWMODE_WAIT');
  const Cls = BY_NAME[name] ?? RpcCallError;
  return new Cls(code, name, method);
}

/** Why a message could not be delivered, as typed values (never parsed from message text). */
export type SendFailureReason =
  | 'blocked'
  | 'notStarted'
  | 'deactivated'
  | 'isBot'
  /** The bot has not seen this user: no access hash to address them (or only a min one). */
  | 'notSeen'
  /** Nobody has the username given (USERNAME_NOT_OCCUPIED): there is no one to message. */
  | 'notFound'
  /** The reference names a chat or channel, not a user. */
  | 'notAUser'
  | 'tooLong'
  | 'empty'
  | 'floodWait'
  /** Telegram could not be reached before the send's deadline (see ConnectionLostError); safe to retry. */
  | 'network'
  | 'failed';

/**
 * Maps an error met while messaging a user to a reason. PEER_ID_INVALID means "never started" only when the
 * access hash used was a full one (`hadFullHash`): with a min or missing hash it means the bot has not seen
 * the user properly.
 */
export function sendFailureReason(err: unknown, hadFullHash: boolean): SendFailureReason {
  if (err instanceof FloodWaitError) return 'floodWait';
  if (err instanceof ConnectionLostError) return 'network';
  if (err instanceof UserBlockedError) return 'blocked';
  if (err instanceof UserDeactivatedError) return 'deactivated';
  if (err instanceof UserIsBotError) return 'isBot';
  if (err instanceof PeerIdInvalidError) return hadFullHash ? 'notStarted' : 'notSeen';
  if (err instanceof MessageTextError) return err.rpcName === 'MESSAGE_EMPTY' ? 'empty' : 'tooLong';
  return 'failed';
}

/** Why an edit or deletion of a message was refused. */
export type EditFailureReason =
  /** MESSAGE_NOT_MODIFIED: the new text and keyboard equal the old ones. */
  | 'notModified'
  /** MESSAGE_ID_INVALID: no such message in that chat (or it was deleted). */
  | 'messageInvalid'
  /** MESSAGE_AUTHOR_REQUIRED: someone else's message. */
  | 'notAuthor'
  /** MESSAGE_EDIT_TIME_EXPIRED: the text may no longer change (48 h for a bot's text message). */
  | 'editTimeExpired'
  | 'tooLong'
  | 'empty'
  | 'notSeen'
  | 'notFound'
  | 'notAUser'
  | 'floodWait'
  | 'network'
  | 'failed';

const EDIT_REASONS: Readonly<Record<string, EditFailureReason>> = {
  MESSAGE_NOT_MODIFIED: 'notModified',
  MESSAGE_ID_INVALID: 'messageInvalid',
  MESSAGE_AUTHOR_REQUIRED: 'notAuthor',
  MESSAGE_EDIT_TIME_EXPIRED: 'editTimeExpired',
  MESSAGE_TOO_LONG: 'tooLong',
  MESSAGE_EMPTY: 'empty',
  PEER_ID_INVALID: 'notSeen',
};

/** Maps an error met while editing or deleting a message to a reason. */
export function editFailureReason(err: unknown): EditFailureReason {
  if (err instanceof FloodWaitError) return 'floodWait';
  if (err instanceof ConnectionLostError) return 'network';
  if (err instanceof RpcCallError) return EDIT_REASONS[err.rpcName] ?? 'failed';
  return 'failed';
}

/** Why a callback answer was refused: QUERY_ID_INVALID (unknown, too old or already answered), or the usual. */
export type CallbackAnswerFailureReason = 'queryInvalid' | 'tooLong' | 'floodWait' | 'network' | 'failed';

export function callbackAnswerFailureReason(err: unknown): CallbackAnswerFailureReason {
  if (err instanceof FloodWaitError) return 'floodWait';
  if (err instanceof ConnectionLostError) return 'network';
  if (err instanceof RpcCallError && err.rpcName === 'QUERY_ID_INVALID') return 'queryInvalid';
  if (err instanceof RpcCallError && err.rpcName === 'MESSAGE_TOO_LONG') return 'tooLong';
  return 'failed';
}
