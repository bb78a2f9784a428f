import { randomBytes } from 'node:crypto';
import { MtSession } from './mt-session.js';

/** All MTProto sessions the server knows, by auth key id and session id. */
export class SessionRegistry {
  private readonly byAuthKey = new Map<string, Map<bigint, MtSession>>();

  get(authKeyId: string, sessionId: bigint): MtSession | undefined {
    return this.byAuthKey.get(authKeyId)?.get(sessionId);
  }

  /** The session, created (not yet announced) when it is new. */
  getOrCreate(authKeyId: string, sessionId: bigint): MtSession {
    let sessions = this.byAuthKey.get(authKeyId);
    if (!sessions) {
      sessions = new Map();
      this.byAuthKey.set(authKeyId, sessions);
    }
    let session = sessions.get(sessionId);
    if (!session) {
      session = new MtSession(authKeyId, sessionId, randomBytes(8).readBigInt64LE(0));
      sessions.set(sessionId, session);
    }
    return session;
  }

  delete(session: MtSession): boolean {
    const sessions = this.byAuthKey.get(session.authKeyId);
    if (!sessions || sessions.get(session.sessionId) !== session) return false;
    sessions.delete(session.sessionId);
    if (sessions.size === 0) this.byAuthKey.delete(session.authKeyId);
    return true;
  }

  /** Sessions of this auth key (live or not). */
  forAuthKey(authKeyId: string): MtSession[] {
    return [...(this.byAuthKey.get(authKeyId)?.values() ?? [])];
  }

  all(): MtSession[] {
    return [...this.byAuthKey.values()].flatMap((m) => [...m.values()]);
  }
}
