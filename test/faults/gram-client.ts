/** A plain GramJS bot client (no pm) for the testserver fault tests, dialing `port` on loopback. */
import { loopbackSocket } from '@pm/testserver';
import { Logger, LogLevel, StringSession, TelegramClient } from '../../packages/core/src/gram/tl.js';
import { API_HASH, API_ID } from '../e2e/helpers.js';

/** Logs in as the bot with `token` through `port` (the server's own, a child process's or a recording proxy's). */
export async function gramClient(port: number, token: string): Promise<TelegramClient> {
  const client = new TelegramClient(new StringSession(''), API_ID, API_HASH, {
    networkSocket: loopbackSocket({ host: '127.0.0.1', port }),
    useWSS: false,
    autoReconnect: false,
    connectionRetries: 1,
    baseLogger: new Logger(LogLevel.NONE),
  });
  client.session.setDC(2, '127.0.0.1', 443);
  await client.start({ botAuthToken: token });
  return client;
}
