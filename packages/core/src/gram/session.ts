import { inspect } from 'node:util';
import type { SessionData } from '../session/session-file.js';
import { peersOf, toGramInputPeer } from './entities.js';
import type { GramHooks, ServerAddress } from './options.js';
import { type Api, type AuthKey, bigInt, StringSession } from './tl.js';

/**
 * GramJS's session with pm's peer cache behind it: the auth key and DC live here (saved to pm's session file,
 * not GramJS's 16-bit-port string format), every user and chat of every RPC result goes to the peer cache
 * (mapped here, once), and GramJS can address any cached peer by id or username alone.
 */
export class PmSession extends StringSession {
  hooks: GramHooks | undefined;

  constructor(data: SessionData | undefined, server: ServerAddress) {
    super('');
    const s = this as any;
    s._dcId = data?.dcId ?? server.dcId ?? 2;
    s._serverAddress = data?.serverAddress ?? server.host;
    s._port = data?.port ?? server.port;
    if (data) s._key = Buffer.from(data.authKey, 'base64');
  }

  override save(): string {
    return '';
  }

  /** The auth key stays out of logs: `console.log(session)` shows where it points, not what it holds. */
  [inspect.custom](): string {
    const key = this.getAuthKey() as AuthKey | undefined;
    return `PmSession { dc: ${this.dcId}, server: '${this.serverAddress}:${this.port}', authKey: ${key?.getKey() ? '<redacted>' : 'none'} }`;
  }

  /** GramJS calls this with every RPC result (TelegramClient.invoke), before the call returns. */
  override processEntities(tlo: any): void {
    if (!this.hooks) return;
    const peers = peersOf(tlo);
    if (peers.length > 0) this.hooks.ingest(peers);
  }

  override getInputEntity(key: any): Api.TypeInputPeer {
    if (
      this.hooks &&
      (typeof key === 'bigint' ||
        typeof key === 'number' ||
        typeof key === 'string' ||
        bigInt.isInstance(key))
    ) {
      let k: bigint | string | undefined;
      try {
        k =
          typeof key === 'string' && !/^-?\d+$/.test(key)
            ? key.replace(/^@/, '').toLowerCase()
            : BigInt(key.toString());
      } catch {
        k = undefined;
      }
      const ref = k === undefined ? undefined : this.hooks.peekInputPeer(k);
      if (ref) return toGramInputPeer(ref);
    }
    return super.getInputEntity(key);
  }
}
