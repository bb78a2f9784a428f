export {
  GramConnection,
  type GramConnectOptions,
  type GramHooks,
  openGram,
  type SelfInfo,
  type ServerAddress,
  TELEGRAM_DC,
  type Transport,
} from './connection.js';
export { peerInputFromGram, peerInputsFromGram } from './entities.js';
