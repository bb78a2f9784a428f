/**
 * RPC queries of the session layer: read in the client's layer (rewritten into the internal one), unwrapped
 * (invokeWithLayer, initConnection, invokeAfterMsg(s), invokeWithoutUpdates), run through the Backend, and answered
 * in the client's layer as rpc_result or rpc_error.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { CallContext, TLObject } from '../backend.js';
import { LayerRequestError, peekLayer } from '../layers/layer-book.js';
import type { TlSchema } from '../layers/tl-schema.js';
import { Api, readTlObject, resultTypeOf, serializeResult } from '../tl.js';
import type { MtSession } from './mt-session.js';
import { rpcErrorFrom, unwrapRequest } from './rpc.js';
import type { SessionEngineOptions } from './session-engine.js';
import { Ctor, maybeGzip } from './wire.js';

/** A query of a client whose layer is not the internal one: its layer, and the method its answer is for. */
interface ClientLayer {
  readonly schema: TlSchema;
  readonly method: string;
}

/** Sent when the client's data cannot be parsed as a request. */
const INPUT_METHOD_INVALID = 'INPUT_METHOD_INVALID';
const INPUT_CONSTRUCTOR_INVALID = 'INPUT_CONSTRUCTOR_INVALID';
const INPUT_FETCH_ERROR = 'INPUT_FETCH_ERROR';

/** What running a query needs from the session engine. */
export interface RpcHost {
  /** The schema `session` is served in when that is not the internal layer (`declared`: the query's own). */
  clientSchema(session: MtSession, declared?: number): TlSchema | undefined;
  contextOf(session: MtSession): CallContext;
  /** The query declared `layer` (invokeWithLayer): the session and its auth key speak it from now on. */
  declareLayer(session: MtSession, layer: number): void;
  rpcResult(session: MtSession, msgId: bigint, result: Buffer): void;
  rpcError(session: MtSession, msgId: bigint, code: number, message: string): void;
}

export class RpcCalls {
  constructor(
    private readonly options: SessionEngineOptions,
    private readonly host: RpcHost,
  ) {}

  /** Runs the RPC query `body` of message `msgId` (rpc_result or rpc_error when done). */
  start(session: MtSession, msgId: bigint, body: Buffer, ctor: number): void {
    const schema = this.host.clientSchema(session, peekLayer(body));
    let clientLayer: ClientLayer | undefined;
    if (schema) {
      try {
        const internal = this.options.layers!.requestToInternal(schema, body);
        body = internal.body;
        clientLayer = { schema, method: internal.method };
      } catch (error) {
        if (!(error instanceof LayerRequestError)) throw error;
        this.options.counters.rpcCalls++;
        this.host.rpcError(session, msgId, error.code, error.errorMessage);
        return;
      }
    }
    let request: TLObject;
    try {
      request = readTlObject(body);
    } catch (error) {
      const missing = (error as { invalidConstructorId?: number }).invalidConstructorId;
      const message =
        missing === undefined
          ? INPUT_FETCH_ERROR
          : missing === ctor
            ? INPUT_METHOD_INVALID
            : INPUT_CONSTRUCTOR_INVALID;
      this.options.counters.rpcCalls++;
      this.host.rpcError(session, msgId, 400, message);
      return;
    }
    if (request instanceof Promise) {
      // A core object (rpc_result, ...) where a query belongs.
      request.catch(() => {});
      this.host.rpcError(session, msgId, 400, INPUT_METHOD_INVALID);
      return;
    }
    const done = this.run(session, msgId, request, clientLayer).catch((error) =>
      this.options.onError(error, 'rpc'),
    );
    session.inFlight.set(msgId, done);
    void done.finally(() => session.inFlight.delete(msgId));
  }

  private async run(
    session: MtSession,
    msgId: bigint,
    request: TLObject,
    clientLayer: ClientLayer | undefined,
  ): Promise<void> {
    const { counters, backend } = this.options;
    counters.rpcCalls++;
    const unwrapped = unwrapRequest(request);
    if (unwrapped.layer !== undefined) this.host.declareLayer(session, unwrapped.layer);
    if (unwrapped.client) session.client = unwrapped.client;
    if (!unwrapped.withoutUpdates) session.wantsUpdates = true;
    for (const after of unwrapped.afterMsgIds) await session.inFlight.get(after);

    const query = unwrapped.query;
    let answer: Buffer;
    if (query?.classType !== 'request') {
      answer = errorBytes(400, INPUT_METHOD_INVALID);
    } else {
      try {
        const ctx = this.host.contextOf(session);
        const result = await backend.invoke(query, ctx);
        const internal = serializeResult(result, resultTypeOf(query.CONSTRUCTOR_ID));
        answer = maybeGzip(
          clientLayer ? this.resultIn(clientLayer, internal) : internal,
          this.options.gzipThreshold,
        );
      } catch (error) {
        const rpc = rpcErrorFrom(error);
        if (rpc) {
          answer = errorBytes(rpc.code, rpc.message);
        } else {
          counters.internalErrors++;
          this.options.onError(error, `invoke ${query.className}`);
          answer = errorBytes(500, 'INTERNAL');
        }
      }
    }
    if (answer.readUInt32LE(0) === Ctor.rpcError) counters.rpcErrors++;
    const delay = this.options.answerDelayMs();
    if (delay > 0) await sleep(delay);
    if (session.dropped.delete(msgId)) return;
    this.host.rpcResult(session, msgId, answer);
  }

  /** An answer in the client's layer; one it cannot say is an rpc_error rather than bytes it cannot read. */
  private resultIn(clientLayer: ClientLayer, internal: Buffer): Buffer {
    try {
      return this.options.layers!.resultToClient(clientLayer.schema, clientLayer.method, internal);
    } catch (error) {
      this.options.counters.internalErrors++;
      this.options.onError(error, `${clientLayer.method} answer in layer ${clientLayer.schema.layer}`);
      return errorBytes(500, 'LAYER_MISMATCH');
    }
  }
}

export function errorBytes(code: number, message: string): Buffer {
  return new Api.RpcError({ errorCode: code, errorMessage: message }).getBytes();
}
