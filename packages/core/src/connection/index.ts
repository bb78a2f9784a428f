export { ambientDeadline, type Deadline, deadlineFor, monotonicNow, withTimeout } from './deadline.js';
export type { Link, LinkFailure } from './link.js';
export { LinkDeath } from './link-death.js';
export {
  backoffDelay,
  CONNECTION_DEFAULTS,
  type ConnectionOptions,
  type ResolvedConnectionOptions,
  resolveConnectionOptions,
} from './options.js';
export type { ConnectionState, ConnectionStateName } from './state.js';
export { logConnectionState } from './state-log.js';
export { type CallOptions, Supervisor, type SupervisorDeps } from './supervisor.js';
