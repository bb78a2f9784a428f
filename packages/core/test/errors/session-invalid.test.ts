import { describe, expect, it } from 'vitest';
import { ConnectionLostError, NetworkError, SessionInvalidError } from '../../src/errors.js';
import { sendFailureReason, translateRpcError, UserDeactivatedError } from '../../src/rpc-errors.js';

describe('errors Telegram answers about the session itself', () => {
  it('turns every name that means "log in again" into one SessionInvalidError naming what to do', () => {
    for (const [code, name] of [
      [401, 'AUTH_KEY_UNREGISTERED'],
      [401, 'AUTH_KEY_INVALID'],
      [401, 'SESSION_REVOKED'],
      [401, 'SESSION_EXPIRED'],
      [401, 'USER_DEACTIVATED'],
      [401, 'USER_DEACTIVATED_BAN'],
      [406, 'AUTH_KEY_DUPLICATED'],
    ] as const) {
      const e = translateRpcError(code, name, 'users.GetUsers');
      expect(e, name).toBeInstanceOf(SessionInvalidError);
      expect(e).toMatchObject({ code: 'SESSION_INVALID', reason: name, method: 'users.GetUsers' });
      expect(e.message).toContain('log in again: pm login');
    }
  });

  it('keeps USER_DEACTIVATED about the user addressed (a 400) a per-user refusal', () => {
    const e = translateRpcError(400, 'USER_DEACTIVATED', 'messages.SendMessage');
    expect(e).toBeInstanceOf(UserDeactivatedError);
    expect(sendFailureReason(e, true)).toBe('deactivated');
  });

  it('makes a connection lost past its deadline a network error and a network send result', () => {
    const e = new ConnectionLostError('messages.SendMessage', 'timeout', 5000, 'no answer within 5000 ms');
    expect(e).toBeInstanceOf(NetworkError);
    expect(e).toMatchObject({ code: 'CONNECTION_LOST', reason: 'timeout', timeoutMs: 5000 });
    expect(sendFailureReason(e, true)).toBe('network');
  });
});
