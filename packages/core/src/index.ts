export type {
  CallbackAnswerInput,
  CallbackAnswerResult,
  CallbackQueryEvent,
} from './callbacks/callback-query.js';
export {
  type BotLogin,
  type CreateSessionOptions,
  createBotSession,
  type LoginBotOptions,
  loginBot,
} from './client/create-bot-session.js';
export {
  type CallTimeout,
  CLIENT_DEFAULTS,
  type ClientErrorEvent,
  IdleInsideListenerError,
  type Me,
  NotLoggedInError,
  type PmClientOptions,
  type PmEvents,
} from './client/options.js';
export { PmClient } from './client.js';
export { type Clock, systemClock } from './clock.js';
export {
  backoffDelay,
  CONNECTION_DEFAULTS,
  type ConnectionOptions,
  type ConnectionState,
  type ConnectionStateName,
  withTimeout,
} from './connection/index.js';
export type { CanMessageResult, CannotMessageReason } from './dialogs/can-message.js';
export type {
  BlockEvent,
  DialogEvents,
  DialogInfo,
  DialogStartedEvent,
  DialogVia,
  MessageEvent,
} from './dialogs/dialog-service.js';
export * from './errors.js';
export {
  DEFAULT_EVENT_BUFFER,
  type DropBurst,
  type EventStream,
  type Listener,
  TypedEmitter,
} from './events.js';
export type { InlineButton, ParseMode } from './gram/format.js';
export type { ServerAddress, Transport } from './gram/options.js';
export * from './import/index.js';
export type { Logger, LogNamespace } from './log.js';
export {
  decodeStartPayload,
  encodeStartPayload,
  InvalidStartPayloadError,
  isValidStartPayload,
  MAX_START_PAYLOAD_LENGTH,
  parseStartCommand,
  startGroupLink,
  startLink,
} from './peers/deep-link.js';
export { NotAUserError, PeerNotFoundError, PeerNotSeenError } from './peers/errors.js';
export {
  InvalidPeerRefError,
  type ParsedPeerRef,
  type PeerRef,
  parsePeerRef,
  parsePeerRefId,
} from './peers/peer-ref.js';
export type { LanguageInfo, Profile, ProfileChangedEvent } from './profiles/profile.js';
export * from './rpc-errors.js';
export { maskBotToken, redactSecrets } from './secrets.js';
export {
  BROADCAST_DEFAULTS,
  Broadcast,
  BroadcastError,
  type BroadcastEvents,
  type BroadcastOptions,
  type BroadcastProgress,
  type BroadcastReport,
  type Recipients,
} from './send/broadcast.js';
export type { DeleteResult, EditInput, EditResult } from './send/edit.js';
export { type ChatScope, LIMITER_DEFAULTS, type LimiterOptions, RateLimiter } from './send/limiter.js';
export { broadcastRandomId, randomMessageId } from './send/random-id.js';
export { MAX_MESSAGE_LENGTH, SEND_DEFAULTS, type SendInput, type SendResult } from './send/sender.js';
export { InvalidApiIdError, InvalidBotTokenError, validateCredentials } from './session/credentials.js';
export {
  readSessionFile,
  type SessionData,
  SessionFileError,
  type StagedSessionFile,
  stageSessionFile,
  writeSessionFile,
} from './session/session-file.js';
export * from './storage/index.js';
export { type OpenStorageOptions, openStorage, StorageProviderMissingError } from './storage/open.js';
export type { BotUpdate, UpdateState } from './updates/types.js';
export { UPDATE_ENGINE_DEFAULTS, type UpdateEngineOptions } from './updates/update-engine.js';
