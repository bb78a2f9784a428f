/**
 * Unit-test harness: a TestServer without network, its Backend called directly with GramJS request objects
 * and a fake CallContext; pushed updates are captured instead of sent.
 */
import bigInt, { type BigInteger } from 'big-integer';
import { Api } from 'telegram';
import type { CallContext, TLObject } from '../../src/backend.js';
import type { BotHandle } from '../../src/scenario.js';
import { TestServer, type TestServerOptions } from '../../src/test-server.js';
import { ManualClock } from '../../src/world/clock.js';

export interface Pushed {
  readonly authKeyId: string;
  readonly updates: TLObject;
}

export interface Harness {
  readonly tg: TestServer;
  readonly clock: ManualClock;
  readonly pushed: Pushed[];
  /** Calls the backend as the session on `authKeyId` would. */
  call(request: TLObject, authKeyId?: string): Promise<TLObject>;
  /** Logs `bot` in on `authKeyId`. */
  login(bot: BotHandle, authKeyId?: string): Promise<TLObject>;
  /** The inner updates of everything pushed so far, flattened. */
  pushedUpdates(authKeyId?: string): TLObject[];
  /** `big-integer` zero, for TL fields like `hash`. */
  bigZero(): BigInteger;
}

export const AUTH_KEY = '1001';

export function ctx(authKeyId = AUTH_KEY): CallContext {
  return { authKeyId, sessionId: '1', connectionId: 1, layer: 198 };
}

export async function harness(options: Omit<TestServerOptions, 'network' | 'clock'> = {}): Promise<Harness> {
  const clock = new ManualClock();
  const tg = await TestServer.start({ ...options, network: false, clock });
  const pushed: Pushed[] = [];
  tg.backend.attach({
    pushToAuthKey(authKeyId, updates) {
      pushed.push({ authKeyId, updates });
      return 1;
    },
  });
  const call = (request: TLObject, authKeyId = AUTH_KEY) => tg.backend.invoke(request, ctx(authKeyId));
  return {
    tg,
    clock,
    pushed,
    call,
    login: (bot, authKeyId = AUTH_KEY) =>
      call(
        new Api.auth.ImportBotAuthorization({ apiId: 1, apiHash: 'x', botAuthToken: bot.token, flags: 0 }),
        authKeyId,
      ),
    bigZero: () => bigInt(0),
    pushedUpdates: (authKeyId) =>
      pushed
        .filter((p) => authKeyId === undefined || p.authKeyId === authKeyId)
        .flatMap((p) => p.updates.updates),
  };
}

/** The RpcError a call fails with, as `"<code> <MESSAGE>"`, or 'ok'. */
export async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    const err = e as { code?: number; errorMessage?: string };
    if (err.code === undefined) throw e;
    return `${err.code} ${err.errorMessage}`;
  }
}
