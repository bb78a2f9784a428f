/**
 * A real, unmodified GramJS client against a TestServer over TCP, as a bot would run it.
 */
import { type Api, TelegramClient } from 'telegram';
import { Raw } from 'telegram/events/index.js';
import { Logger, LogLevel } from 'telegram/extensions/Logger.js';
import { StringSession } from 'telegram/sessions/index.js';
import type { TestServer } from '../../src/test-server.js';

export interface ClientOptions {
  /** A saved StringSession (reuses its auth key). */
  session?: string;
  /** Reconnect by itself after a dropped connection. @default false */
  autoReconnect?: boolean;
}

/** A connected (not logged-in) GramJS client. */
export async function connectClient(tg: TestServer, opts: ClientOptions = {}): Promise<TelegramClient> {
  const client = new TelegramClient(new StringSession(opts.session ?? ''), 12345, 'test-api-hash', {
    networkSocket: tg.clientSocket,
    useWSS: false,
    autoReconnect: opts.autoReconnect ?? false,
    connectionRetries: 3,
    retryDelay: 20,
    floodSleepThreshold: 0,
    baseLogger: new Logger(LogLevel.NONE),
  });
  // The port here is a placeholder: GramJS dials through networkSocket, and StringSession stores an int16.
  client.session.setDC(2, '127.0.0.1', 443);
  const ok = await client.connect();
  if (!ok) throw new Error('GramJS could not connect to the test server');
  return client;
}

/** A GramJS client logged in as the bot with `token` (`client.start({ botAuthToken })`). */
export async function botClient(
  tg: TestServer,
  token: string,
  opts: ClientOptions = {},
): Promise<TelegramClient> {
  const client = await connectClient(tg, opts);
  await client.start({ botAuthToken: token });
  return client;
}

/** Collects every raw update the client receives. */
export function collectUpdates(client: TelegramClient): Api.TypeUpdate[] {
  const seen: Api.TypeUpdate[] = [];
  client.addEventHandler((u: Api.TypeUpdate) => {
    seen.push(u);
  }, new Raw({}));
  return seen;
}

/** Waits (polling every 5 ms, at most `ms`) until `cond()` holds. */
export async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The RPC error a promise fails with, as `"<code> <MESSAGE>"`, or 'ok'. */
export async function rpcOutcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    const err = e as { code?: number; errorMessage?: string };
    if (err.errorMessage === undefined) throw e;
    return `${err.code} ${err.errorMessage}`;
  }
}
