import type { AuthKeyStore } from '../auth/auth-key-store.js';
import type { Backend, CallContext, TLObject } from '../backend.js';
import type { LayerBook } from '../layers/layer-book.js';
import type { TlSchema } from '../layers/tl-schema.js';
import { Api, resultTypeOf, toBigInteger } from '../tl.js';
import type { PlainMessage } from './crypto.js';
import { checkClientMsgId, type ServerMsgIds } from './msg-id.js';
import type { MtSession, SessionLink } from './mt-session.js';
import { Outbox } from './outbox.js';
import { errorBytes, RpcCalls } from './rpc-calls.js';
import type { SaltBook } from './salts.js';
import { answerServiceQuery } from './service-queries.js';
import type { SessionRegistry } from './session-registry.js';
import {
  type ContainedMessage,
  Ctor,
  EITHER_PARITY,
  maybeGzip,
  NOT_CONTENT_RELATED,
  parseContainer,
  rpcResultBody,
  unpackGzip,
} from './wire.js';

/** Counters the session layer keeps (a view of the gateway's). */
export interface SessionCounters {
  rpcCalls: number;
  rpcErrors: number;
  internalErrors: number;
  badMsgNotifications: number;
  badServerSalts: number;
  newSessions: number;
  updatesPushed: number;
}

export interface SessionEngineOptions {
  readonly backend: Backend;
  readonly authKeys: AuthKeyStore;
  readonly salts: SaltBook;
  readonly msgIds: ServerMsgIds;
  readonly registry: SessionRegistry;
  readonly counters: SessionCounters;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  /** Answers (rpc_result) and pushed updates at least this big are sent gzip_packed when that is smaller. */
  readonly gzipThreshold: number;
  /** Content-related client messages not answered within this many ms get an explicit msgs_ack. */
  readonly ackDelayMs: number;
  /** Extra delay before each rpc_result (fault injection), read per answer. */
  readonly answerDelayMs: () => number;
  /** A handler threw something that is not an RpcError (answered as 500 INTERNAL), or similar. */
  readonly onError: (error: unknown, where: string) => void;
  /** The layers served besides the internal one; without it every client is read and written in GramJS's. */
  readonly layers?: LayerBook;
}

/**
 * The MTProto 2.0 session layer, server side: checks msg_id / salt / seqno of each decrypted message,
 * answers the service messages (ping, msgs_ack, get_future_salts, destroy_session, msgs_state_req,
 * rpc_drop_answer, containers, gzip_packed), unwraps and runs RPC queries through the Backend, and sends
 * everything back encrypted, batching the messages of one tick into a msg_container.
 */
export class SessionEngine {
  private readonly layerByAuthKey = new Map<string, number>();
  private readonly outbox: Outbox;

  private readonly rpcCalls: RpcCalls;

  constructor(private readonly options: SessionEngineOptions) {
    this.outbox = new Outbox(options);
    this.rpcCalls = new RpcCalls(options, {
      clientSchema: (session, declared) => this.clientSchema(session, declared),
      contextOf: (session) => this.contextOf(session, session.link?.connectionId ?? -1),
      declareLayer: (session, layer) => {
        session.layer = layer;
        this.layerByAuthKey.set(session.authKeyId, layer);
      },
      rpcResult: (session, msgId, result) => this.rpcResult(session, msgId, result),
      rpcError: (session, msgId, code, message) => this.rpcError(session, msgId, code, message),
    });
  }

  /** One decrypted packet from `link` under `authKeyId`. */
  handlePacket(link: SessionLink, authKeyId: string, m: PlainMessage): void {
    const { registry, salts, now } = this.options;
    const session = registry.getOrCreate(authKeyId, m.sessionId);
    if (session.link !== link) {
      session.link = link;
      link.sessions.add(session);
    }
    const badId = checkClientMsgId(m.msgId, now());
    if (badId !== undefined) {
      this.badMsg(session, m.msgId, m.seqNo, badId);
      return;
    }
    if (!salts.isValid(authKeyId, m.salt)) {
      this.options.counters.badServerSalts++;
      const body = new Api.BadServerSalt({
        badMsgId: toBigInteger(m.msgId),
        badMsgSeqno: m.seqNo,
        errorCode: 48,
        newServerSalt: toBigInteger(salts.current(authKeyId)),
      }).getBytes();
      this.outbox.enqueue(session, { body, contentRelated: false, kind: 'response' });
      return;
    }
    if (!session.announced) {
      session.announced = true;
      this.options.counters.newSessions++;
      const body = new Api.NewSessionCreated({
        firstMsgId: toBigInteger(m.msgId),
        uniqueId: toBigInteger(session.uniqueId),
        serverSalt: toBigInteger(salts.current(authKeyId)),
      }).getBytes();
      this.outbox.enqueue(session, { body, contentRelated: true, kind: 'server' });
    }
    this.processMessage(session, { msgId: m.msgId, seqNo: m.seqNo, body: m.body }, false);
    this.outbox.scheduleAcks(session);
  }

  /** Sends `updates` to every live session of the auth key that asked for updates; returns how many. */
  push(authKeyId: string, updates: TLObject): number {
    const bytes: Buffer = Buffer.isBuffer(updates) ? updates : updates.getBytes();
    const bodies = new Map<TlSchema | undefined, Buffer>();
    let delivered = 0;
    for (const session of this.options.registry.forAuthKey(authKeyId)) {
      if (!session.link?.isOpen || !session.wantsUpdates) continue;
      const schema = this.clientSchema(session);
      let body = bodies.get(schema);
      if (!body) {
        body = maybeGzip(schema ? this.updatesIn(schema, bytes) : bytes, this.options.gzipThreshold);
        bodies.set(schema, body);
      }
      this.outbox.enqueue(session, { body, contentRelated: true, kind: 'server' });
      delivered++;
    }
    this.options.counters.updatesPushed += delivered;
    return delivered;
  }

  /** The schema `session` is served in, when that is not the internal layer. */
  private clientSchema(session: MtSession, declared?: number): TlSchema | undefined {
    const layers = this.options.layers;
    if (!layers) return undefined;
    return layers.clientSchema(declared ?? session.layer ?? this.layerByAuthKey.get(session.authKeyId));
  }

  private updatesIn(schema: TlSchema, bytes: Buffer): Buffer {
    try {
      return this.options.layers!.updatesToClient(schema, bytes);
    } catch (error) {
      this.options.onError(error, `updates in layer ${schema.layer}`);
      return new Api.UpdatesTooLong().getBytes();
    }
  }

  /** The connection went away: its sessions are forgotten (answers still running are dropped). */
  detach(link: SessionLink): void {
    for (const session of link.sessions) {
      if (session.link === link) this.forget(session, link.connectionId, true);
    }
    link.sessions.clear();
  }

  private forget(session: MtSession, connectionId: number, resumable = false): void {
    session.link = undefined;
    this.outbox.cancel(session);
    if (resumable) this.options.registry.suspend(session);
    else this.options.registry.delete(session);
    try {
      this.options.backend.sessionClosed?.(this.contextOf(session, connectionId));
    } catch (error) {
      this.options.onError(error, 'backend.sessionClosed');
    }
  }

  private contextOf(session: MtSession, connectionId: number): CallContext {
    const layer = session.layer ?? this.layerByAuthKey.get(session.authKeyId);
    return {
      authKeyId: session.authKeyId,
      sessionId: BigInt.asUintN(64, session.sessionId).toString(),
      connectionId,
      ...(layer !== undefined ? { layer } : {}),
      ...(session.client ? { client: session.client } : {}),
    };
  }

  private badMsg(session: MtSession, msgId: bigint, seqNo: number, code: number): void {
    this.options.counters.badMsgNotifications++;
    const body = new Api.BadMsgNotification({
      badMsgId: toBigInteger(msgId),
      badMsgSeqno: seqNo,
      errorCode: code,
    }).getBytes();
    this.outbox.enqueue(session, { body, contentRelated: false, kind: 'response' });
  }

  private processMessage(session: MtSession, message: ContainedMessage, inContainer: boolean): void {
    const { msgId, seqNo } = message;
    if (session.hasReceived(msgId)) return; // a resend of something already handled
    const oldest = session.oldestRemembered();
    if (oldest !== undefined && msgId < oldest) {
      this.badMsg(session, msgId, seqNo, 20);
      return;
    }
    if (inContainer) {
      const badId = checkClientMsgId(msgId, this.options.now());
      if (badId !== undefined) {
        this.badMsg(session, msgId, seqNo, badId);
        return;
      }
    }
    let body = message.body;
    if (body.length < 4) return;
    let ctor = body.readUInt32LE(0);
    if (ctor === Ctor.gzipPacked) {
      try {
        body = unpackGzip(body);
      } catch {
        this.rpcError(session, msgId, 400, 'INPUT_FETCH_ERROR');
        return;
      }
      if (body.length < 4) return;
      ctor = body.readUInt32LE(0);
    }
    const lenient = EITHER_PARITY.has(ctor);
    const contentRelated = NOT_CONTENT_RELATED.has(ctor)
      ? false
      : !lenient && resultTypeOf(ctor) !== undefined
        ? true
        : undefined;
    const badSeq = session.checkSeqNo(msgId, seqNo, contentRelated);
    if (badSeq !== undefined) {
      this.badMsg(session, msgId, seqNo, badSeq);
      return;
    }
    session.remember(msgId, seqNo);
    // An ack is never acknowledged (whatever its seqno says), or two peers would ack each other forever.
    if (seqNo % 2 === 1 && ctor !== Ctor.msgsAck) session.pendingAcks.add(msgId);

    switch (ctor) {
      case Ctor.msgContainer: {
        const inner = inContainer ? undefined : parseContainer(body);
        if (!inner) {
          this.badMsg(session, msgId, seqNo, 64);
          return;
        }
        for (const m of inner) this.processMessage(session, m, true);
        return;
      }
      case Ctor.msgsAck:
      case Ctor.httpWait:
      case Ctor.msgsStateInfo:
      case Ctor.msgsAllInfo:
      case Ctor.msgDetailedInfo:
      case Ctor.msgNewDetailedInfo:
      case Ctor.msgResendReq:
        return;
      case Ctor.ping:
      case Ctor.pingDelayDisconnect:
      case Ctor.getFutureSalts:
      case Ctor.destroySession:
      case Ctor.rpcDropAnswer:
      case Ctor.msgsStateReq:
        this.serviceQuery(session, msgId, body);
        return;
      default:
        this.rpcCalls.start(session, msgId, body, ctor);
        return;
    }
  }

  /** A service query the session answers itself (service-queries.ts); a truncated one is ignored. */
  private serviceQuery(session: MtSession, msgId: bigint, body: Buffer): void {
    const answer = answerServiceQuery(session, msgId, body, {
      salts: this.options.salts,
      now: this.options.now,
      otherSession: (id) => this.options.registry.get(session.authKeyId, id),
      forget: (other) => this.forget(other, other.link?.connectionId ?? -1),
    });
    if (!answer) return;
    if (answer.inRpcResult) this.rpcResult(session, msgId, answer.body);
    else
      this.outbox.enqueue(session, {
        body: answer.body,
        contentRelated: answer.contentRelated,
        kind: 'response',
        answers: msgId,
      });
  }

  private rpcError(session: MtSession, msgId: bigint, code: number, message: string): void {
    this.options.counters.rpcErrors++;
    this.rpcResult(session, msgId, errorBytes(code, message));
  }

  private rpcResult(session: MtSession, reqMsgId: bigint, result: Buffer): void {
    const body = rpcResultBody(reqMsgId, result);
    this.outbox.enqueue(session, { body, contentRelated: true, kind: 'response', answers: reqMsgId });
  }
}
