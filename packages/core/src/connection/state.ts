import type { SessionInvalidError } from '../errors.js';

/**
 * Where the connection to Telegram stands, as `client.connectionState` answers and the `connectionState` event
 * reports: `connecting` (an attempt is running), `ready` (calls go through), `waiting` (the next attempt is at
 * `nextAttemptAt`), `stopped` (for good: disconnect() was called, or Telegram refused the session: `error`).
 */
export type ConnectionState =
  | { readonly state: 'connecting'; readonly attempt: number }
  | { readonly state: 'ready'; readonly since: number; readonly reconnects: number }
  | {
      readonly state: 'waiting';
      readonly attempt: number;
      /** Epoch ms of the next attempt. */
      readonly nextAttemptAt: number;
      /** Why the last attempt (or the connection) failed, redacted. */
      readonly reason: string;
    }
  | { readonly state: 'stopped'; readonly error?: SessionInvalidError };

export type ConnectionStateName = ConnectionState['state'];
