import { PromisedNetSockets } from '../tl.js';

/** Where a GramJS client should connect instead of the address it computed. */
export interface LoopbackTarget {
  readonly host: string;
  readonly port: number;
}

/**
 * A GramJS `networkSocket` class that sends every connection to `target`. GramJS 2.26's
 * `TelegramClient.connect()` dials port 80 (443 with WSS) whatever `session.setDC(dc, ip, port)` said, and
 * other DCs on port 443, so an unmodified client reaches a test server on a random port only through this
 * client option: `new TelegramClient(session, apiId, apiHash, { networkSocket: loopbackSocket(gw) })`.
 */
export function loopbackSocket(target: LoopbackTarget): typeof PromisedNetSockets {
  return class LoopbackSocket extends PromisedNetSockets {
    override connect(_port: number, _ip: string): Promise<unknown> {
      return super.connect(target.port, target.host);
    }
  };
}
