/**
 * The service queries the session layer answers itself, read and written with GramJS's Api classes: ping
 * (pong), ping_delay_disconnect, get_future_salts, destroy_session, rpc_drop_answer, msgs_state_req.
 */
import type { TLObject } from '../backend.js';
import { Api, readTlObject, toBigInteger, toBigint } from '../tl.js';
import { msgIdSeconds } from './msg-id.js';
import type { MtSession } from './mt-session.js';
import type { SaltBook } from './salts.js';
import { futureSaltsBody } from './wire.js';

/** What answering needs from the session engine. */
export interface ServiceQueryHost {
  readonly salts: SaltBook;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  /** Another session of the same auth key, by session id. */
  otherSession(sessionId: bigint): MtSession | undefined;
  /** Ends that session (destroy_session). */
  forget(session: MtSession): void;
}

/** An answer to send back for the query. */
export interface ServiceAnswer {
  readonly body: Buffer;
  readonly contentRelated: boolean;
  /** rpc_drop_answer is answered inside an rpc_result; the others are plain messages, as Telegram sends them. */
  readonly inRpcResult: boolean;
}

/** The answer to the service query `body` (message `msgId` of `session`); undefined if it does not parse. */
export function answerServiceQuery(
  session: MtSession,
  msgId: bigint,
  body: Buffer,
  host: ServiceQueryHost,
): ServiceAnswer | undefined {
  let query: TLObject;
  try {
    query = readTlObject(body);
  } catch {
    return undefined;
  }
  const plain = (bytes: Buffer, contentRelated = true): ServiceAnswer => ({
    body: bytes,
    contentRelated,
    inRpcResult: false,
  });
  if (query instanceof Api.Ping || query instanceof Api.PingDelayDisconnect) {
    if (query instanceof Api.PingDelayDisconnect) session.link?.scheduleDisconnect(query.disconnectDelay);
    return plain(new Api.Pong({ msgId: toBigInteger(msgId), pingId: query.pingId }).getBytes());
  }
  if (query instanceof Api.GetFutureSalts) {
    const salts = host.salts.future(session.authKeyId, query.num);
    return plain(futureSaltsBody(msgId, Math.floor(host.now() / 1000), salts));
  }
  if (query instanceof Api.DestroySession)
    return plain(destroySession(session, toBigint(query.sessionId), host));
  if (query instanceof Api.RpcDropAnswer) {
    return { body: dropAnswer(session, toBigint(query.reqMsgId)), contentRelated: true, inRpcResult: true };
  }
  if (query instanceof Api.MsgsStateReq) {
    const info = stateInfo(session, query.msgIds.map(toBigint), host.now());
    // info:string holds bytes below 0x80 only, which GramJS's (UTF-8) string writer keeps as they are.
    const answer = new Api.MsgsStateInfo({ reqMsgId: toBigInteger(msgId), info: info.toString('latin1') });
    return plain(answer.getBytes(), false);
  }
  return undefined;
}

function destroySession(session: MtSession, target: bigint, host: ServiceQueryHost): Buffer {
  const other = target === session.sessionId ? undefined : host.otherSession(target);
  if (other) host.forget(other);
  const sessionId = toBigInteger(target);
  return (
    other ? new Api.DestroySessionOk({ sessionId }) : new Api.DestroySessionNone({ sessionId })
  ).getBytes();
}

function dropAnswer(session: MtSession, target: bigint): Buffer {
  if (!session.inFlight.has(target)) return new Api.RpcAnswerUnknown().getBytes();
  session.dropped.add(target);
  return new Api.RpcAnswerDroppedRunning().getBytes();
}

/** One byte per asked msg_id (msgs_state_info): received, running, too new, too old, or unknown. */
function stateInfo(session: MtSession, ids: readonly bigint[], nowMs: number): Buffer {
  const nowSeconds = nowMs / 1000;
  const oldest = session.oldestRemembered();
  const info = Buffer.alloc(ids.length);
  for (const [i, id] of ids.entries()) {
    if (session.hasReceived(id)) info[i] = session.inFlight.has(id) ? 4 | 32 : 4;
    else if (msgIdSeconds(id) > nowSeconds + 30) info[i] = 3;
    else if (oldest !== undefined && id < oldest) info[i] = 1;
    else info[i] = 2;
  }
  return info;
}
