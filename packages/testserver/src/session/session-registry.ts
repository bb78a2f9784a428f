import { randomBytes } from 'node:crypto';
import { MtSession } from './mt-session.js';

/** What a session keeps across TCP connections, as on Telegram: its update subscription and layer. */
interface Resumable {
  readonly wantsUpdates: boolean;
  readonly layer: number | undefined;
  /** What it had received: a packet captured on the old connection and replayed on a new one runs once. */
  readonly receivedIds: BigInt64Array;
}

/** How many closed sessions are remembered for a client that reconnects with the same session id. */
const RESUMABLE_LIMIT = 4096;

/** All MTProto sessions the server knows, by auth key id and session id. */
export class SessionRegistry {
  private readonly byAuthKey = new Map<string, Map<bigint, MtSession>>();
  private readonly resumable = new Map<string, Resumable>();

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
      // A client that reconnects keeps its session id and expects updates without calling a method first
      // (mtcute only pings after a reconnect).
      const key = `${authKeyId}:${sessionId}`;
      const earlier = this.resumable.get(key);
      if (earlier) {
        this.resumable.delete(key);
        session.wantsUpdates = earlier.wantsUpdates;
        session.layer = earlier.layer;
        session.resume(earlier.receivedIds);
      }
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

  /** The session's connection closed: forget it, but let a reconnect with the same id resume it. */
  suspend(session: MtSession): void {
    if (!this.delete(session)) return;
    const key = `${session.authKeyId}:${session.sessionId}`;
    this.resumable.delete(key);
    this.resumable.set(key, {
      wantsUpdates: session.wantsUpdates,
      layer: session.layer,
      receivedIds: session.receivedIds(),
    });
    if (this.resumable.size > RESUMABLE_LIMIT) {
      const oldest = this.resumable.keys().next().value;
      if (oldest !== undefined) this.resumable.delete(oldest);
    }
  }

  /** Sessions of this auth key (live or not). */
  forAuthKey(authKeyId: string): MtSession[] {
    return [...(this.byAuthKey.get(authKeyId)?.values() ?? [])];
  }

  all(): MtSession[] {
    return [...this.byAuthKey.values()].flatMap((m) => [...m.values()]);
  }
}
