import type { ClientInfo } from '../backend.js';

/** What the session layer needs from the connection a session currently lives on. */
export interface SessionLink {
  readonly connectionId: number;
  readonly isOpen: boolean;
  /** The sessions that were last seen on this connection. */
  readonly sessions: Set<MtSession>;
  /** Sends one encrypted payload on this connection. */
  sendPayload(payload: Buffer): void;
  /** ping_delay_disconnect: close the connection if no new ping arrives within `delaySeconds`. */
  scheduleDisconnect(delaySeconds: number): void;
}

/** One outgoing message before numbering. */
export interface OutMessage {
  readonly body: Buffer;
  readonly contentRelated: boolean;
  /** Responses get msg_id ≡ 1 (mod 4), server-initiated messages ≡ 3. */
  readonly kind: 'response' | 'server';
  /** For rpc_result: the query it answers (drops it from the pending acks). */
  readonly answers?: bigint;
}

interface Received {
  readonly seqNo: number;
}

/** How many received msg_ids a session remembers for duplicate and seqno checks. */
const RECEIVED_WINDOW = 512;

/**
 * Server-side state of one MTProto session (auth key + client-chosen session id): seqno counters, received
 * msg_ids, queries in flight, and the connection answers go to (the one the session was last seen on).
 */
export class MtSession {
  link: SessionLink | undefined;
  /** new_session_created was sent. */
  announced = false;
  /** Set by any query not wrapped in invokeWithoutUpdates: the session then gets pushed updates. */
  wantsUpdates = false;
  layer: number | undefined;
  client: ClientInfo | undefined;
  readonly uniqueId: bigint;
  /** Queries being answered: msg_id → settles when the answer was queued. */
  readonly inFlight = new Map<bigint, Promise<void>>();
  /** Queries whose answer the client dropped with rpc_drop_answer. */
  readonly dropped = new Set<bigint>();
  /** Content-related client msg_ids not yet acknowledged (explicitly or by an answer). */
  readonly pendingAcks = new Set<bigint>();
  /** Outgoing messages of the current tick, sent together. */
  outbox: OutMessage[] = [];
  private sent = 0;
  private readonly received = new Map<bigint, Received>();
  private earlier: ReadonlySet<bigint> = new Set();

  constructor(
    readonly authKeyId: string,
    readonly sessionId: bigint,
    uniqueId: bigint,
  ) {
    this.uniqueId = uniqueId;
  }

  /** The seqno of the next outgoing message. */
  nextSeqNo(contentRelated: boolean): number {
    if (!contentRelated) return this.sent * 2;
    return this.sent++ * 2 + 1;
  }

  hasReceived(msgId: bigint): boolean {
    return this.received.has(msgId) || this.earlier.has(msgId);
  }

  /** The msg_ids received so far, compactly (kept while the session waits for a reconnect). */
  receivedIds(): BigInt64Array {
    return BigInt64Array.from([...this.earlier, ...this.received.keys()].slice(-RECEIVED_WINDOW));
  }

  /**
   * Resuming after a reconnect: these msg_ids were handled already, so a packet captured on the old connection
   * and replayed on a new one is not run again (their seqnos no longer matter: a client may restart its count).
   */
  resume(receivedIds: BigInt64Array): void {
    this.earlier = new Set(receivedIds);
  }

  /** The lowest msg_id still remembered (older ones cannot be checked for duplicates). */
  oldestRemembered(): bigint | undefined {
    return this.received.size >= RECEIVED_WINDOW ? this.received.keys().next().value : undefined;
  }

  /**
   * bad_msg_notification code for a seqno that contradicts what was received (MTProto service messages):
   * 32 when an earlier message had a higher (or the same odd) seqno, 33 when a later one had a lower (or
   * the same odd) seqno, 34/35 when the parity does not match content-relatedness (if known).
   */
  checkSeqNo(
    msgId: bigint,
    seqNo: number,
    contentRelated: boolean | undefined,
  ): 32 | 33 | 34 | 35 | undefined {
    if (contentRelated === true && seqNo % 2 === 0) return 35;
    if (contentRelated === false && seqNo % 2 === 1) return 34;
    const odd = seqNo % 2 === 1;
    for (const [id, r] of this.received) {
      if (id < msgId && (r.seqNo > seqNo || (r.seqNo === seqNo && odd))) return 32;
      if (id > msgId && (r.seqNo < seqNo || (r.seqNo === seqNo && odd))) return 33;
    }
    return undefined;
  }

  remember(msgId: bigint, seqNo: number): void {
    this.received.set(msgId, { seqNo });
    if (this.received.size > RECEIVED_WINDOW) {
      const oldest = this.received.keys().next().value;
      if (oldest !== undefined) this.received.delete(oldest);
    }
  }
}
