import type { Clock } from '../clock.js';
import { errorLine, type Log } from '../log.js';
import type { ConnectionState } from './state.js';

/** One log line per change of the connection's state (`pm:connection`). */
export function logConnectionState(
  log: Log,
  clock: Clock,
  before: ConnectionState,
  state: ConnectionState,
): void {
  switch (state.state) {
    case 'connecting':
      if (before.state === 'ready') log.warn(`connection lost; reconnecting (attempt ${state.attempt})`);
      else log.debug(`connecting (attempt ${state.attempt})`);
      break;
    case 'ready':
      if (state.reconnects > 0) log.info(`reconnected (reconnect ${state.reconnects})`);
      else log.info('connected');
      break;
    case 'waiting':
      log.warn(
        `connection lost (${state.reason}); reconnect attempt ${state.attempt} in ${Math.max(0, state.nextAttemptAt - clock.now())} ms`,
      );
      break;
    case 'stopped':
      if (state.error) log.error(`stopped: ${errorLine(state.error)}`);
      else log.info('stopped');
      break;
  }
}
