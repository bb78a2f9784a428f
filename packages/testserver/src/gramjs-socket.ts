/**
 * GramJS 2.26 ignores the session's port when it connects: `TelegramClient.connect()` always dials port 80
 * (443 with WSS) on the session's address. To reach a loopback server on any port without modifying GramJS,
 * hand the client a socket class through its documented `networkSocket` option that dials the real port.
 *
 *   const client = new TelegramClient(session, apiId, apiHash, { networkSocket: loopbackSocket(port), useWSS: false });
 *   client.session.setDC(2, '127.0.0.1', port);
 */
import { PromisedNetSockets } from 'telegram/extensions/index.js';

// biome-ignore lint/suspicious/noExplicitAny: GramJS's socket class is untyped at this edge
export function loopbackSocket(port: number): any {
  return class LoopbackSocket extends PromisedNetSockets {
    override connect(_port: number, ip: string) {
      return super.connect(port, ip);
    }
  };
}
