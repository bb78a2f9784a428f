export type { Backend, CallContext, TLObject, UpdateSink } from './backend.js';
export { RpcError } from './backend.js';
export { registerTestServerKey, testServerPublicKeyPem } from './keys.js';
export {
  defaultLayerSources,
  gramjsLayer,
  LayerBook,
  type LayerSource,
  mtcuteJsonLayer,
} from './layers/layer-book.js';
export { type MtcuteSchemaJson, parseMtcuteJson, parseTlText, TlSchema } from './layers/tl-schema.js';
export type { Method, RpcContext, ServerAddress } from './rpc/method.js';
export { WorldBackend, type WorldBackendOptions } from './rpc/registry.js';
export type { StatsSnapshot } from './rpc/stats.js';
export {
  type BotHandle,
  type BotOption,
  type CallbackQueryHandle,
  ChatHandle,
  type InboxMessage,
  UserHandle,
} from './scenario.js';
export { type Cast, runCommand, STANDALONE_HELP, seedWorld } from './standalone.js';
export {
  parsePort,
  runStandalone,
  STANDALONE_OPTIONS_HELP,
  type StandaloneIo,
  type StandaloneOptions,
  standaloneUsage,
  TESTSERVER_API,
} from './standalone-cli.js';
export { TestServer, type TestServerOptions } from './test-server.js';
export {
  type ConnectionLimits,
  DEFAULT_CONNECTION_LIMITS,
  type LimitCounters,
} from './transport/connection-limits.js';
export { type LoopbackTarget, loopbackSocket } from './transport/loopback-socket.js';
export { type Clock, ManualClock, ScaledClock } from './world/clock.js';
export { FLOOD_DEFAULTS, type FloodOptions } from './world/flood.js';
export type { LangCodeOption } from './world/user-actions.js';
export type { CreateUserInput, DifferenceOptions } from './world/world-options.js';
