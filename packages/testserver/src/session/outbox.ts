import type { AuthKeyStore } from '../auth/auth-key-store.js';
import { Api, toBigInteger } from '../tl.js';
import { encryptServerPacket } from './crypto.js';
import type { ServerMsgIds } from './msg-id.js';
import type { MtSession, OutMessage } from './mt-session.js';
import type { SaltBook } from './salts.js';
import { buildContainer, type ContainedMessage } from './wire.js';

export interface OutboxOptions {
  readonly authKeys: AuthKeyStore;
  readonly salts: SaltBook;
  readonly msgIds: ServerMsgIds;
  /** Content-related client messages not answered within this many ms get an explicit msgs_ack. */
  readonly ackDelayMs: number;
  readonly onError: (error: unknown, where: string) => void;
}

/** Containers bigger than this are sent as separate packets instead. */
const MAX_CONTAINER_BYTES = 512 * 1024;

/**
 * The sending half of the session layer: numbers outgoing messages (msg_id, seqno), batches the messages of
 * one tick into a msg_container, encrypts them for the session's current connection, and sends msgs_ack
 * for client messages that were not answered quickly.
 */
export class Outbox {
  private readonly ackTimers = new Map<MtSession, NodeJS.Timeout>();

  constructor(private readonly options: OutboxOptions) {}

  /** Queues `message`; everything queued in this tick leaves together. Dropped if the session is offline. */
  enqueue(session: MtSession, message: OutMessage): void {
    if (!session.link?.isOpen) return;
    session.outbox.push(message);
    if (session.outbox.length === 1) {
      setImmediate(() => {
        try {
          this.flush(session);
        } catch (error) {
          this.options.onError(error, 'flush');
        }
      });
    }
  }

  /** Acknowledges, after `ackDelayMs`, the session's content-related messages still unanswered by then. */
  scheduleAcks(session: MtSession): void {
    if (session.pendingAcks.size === 0 || this.ackTimers.has(session)) return;
    const timer = setTimeout(() => {
      this.ackTimers.delete(session);
      if (!session.link?.isOpen || session.pendingAcks.size === 0) return;
      const ids = [...session.pendingAcks];
      session.pendingAcks.clear();
      const body = new Api.MsgsAck({ msgIds: ids.map(toBigInteger) }).getBytes();
      this.enqueue(session, { body, contentRelated: false, kind: 'response' });
    }, this.options.ackDelayMs);
    timer.unref();
    this.ackTimers.set(session, timer);
  }

  /** The session is gone: stop its pending ack timer. */
  cancel(session: MtSession): void {
    const timer = this.ackTimers.get(session);
    if (timer) clearTimeout(timer);
    this.ackTimers.delete(session);
  }

  private flush(session: MtSession): void {
    const messages = session.outbox;
    session.outbox = [];
    const link = session.link;
    const authKey = this.options.authKeys.get(session.authKeyId);
    if (!link?.isOpen || !authKey || messages.length === 0) return;
    const { msgIds } = this.options;
    const numbered = messages.map((m) => {
      if (m.answers !== undefined) session.pendingAcks.delete(m.answers);
      return { msgId: msgIds.next(m.kind), seqNo: session.nextSeqNo(m.contentRelated), body: m.body };
    });
    const total = numbered.reduce((n, m) => n + m.body.length + 16, 0);
    const packets: ContainedMessage[] =
      numbered.length === 1 || total > MAX_CONTAINER_BYTES
        ? numbered
        : [
            {
              msgId: msgIds.next(messages.some((m) => m.kind === 'response') ? 'response' : 'server'),
              seqNo: session.nextSeqNo(false),
              body: buildContainer(numbered),
            },
          ];
    const salt = this.options.salts.current(session.authKeyId);
    const keyId = BigInt(session.authKeyId);
    for (const packet of packets) {
      link.sendPayload(
        encryptServerPacket(authKey, keyId, { salt, sessionId: session.sessionId, ...packet }),
      );
    }
  }
}
