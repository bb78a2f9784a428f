import type { ClientInfo, TLObject } from '../backend.js';
import { Api, toBigint } from '../tl.js';

/** A query with its MTProto wrappers peeled off. */
export interface UnwrappedRequest {
  readonly query: TLObject;
  readonly layer?: number;
  readonly client?: ClientInfo;
  /** From invokeWithoutUpdates: this query does not subscribe the session to updates. */
  readonly withoutUpdates: boolean;
  /** From invokeAfterMsg(s): answer only after these queries were answered. */
  readonly afterMsgIds: readonly bigint[];
}

/** Peels invokeWithLayer / initConnection / invokeAfterMsg(s) / invokeWithoutUpdates, in any nesting. */
export function unwrapRequest(request: TLObject): UnwrappedRequest {
  let query = request;
  let layer: number | undefined;
  let client: ClientInfo | undefined;
  let withoutUpdates = false;
  const afterMsgIds: bigint[] = [];
  for (;;) {
    if (query instanceof Api.InvokeWithLayer) {
      layer = query.layer;
    } else if (query instanceof Api.InitConnection) {
      client = {
        apiId: query.apiId,
        deviceModel: query.deviceModel,
        systemVersion: query.systemVersion,
        appVersion: query.appVersion,
        systemLangCode: query.systemLangCode,
        langPack: query.langPack,
        langCode: query.langCode,
      };
    } else if (query instanceof Api.InvokeAfterMsg) {
      afterMsgIds.push(toBigint(query.msgId));
    } else if (query instanceof Api.InvokeAfterMsgs) {
      for (const id of query.msgIds) afterMsgIds.push(toBigint(id));
    } else if (query instanceof Api.InvokeWithoutUpdates) {
      withoutUpdates = true;
    } else {
      break;
    }
    query = query.query;
  }
  return {
    query,
    ...(layer !== undefined ? { layer } : {}),
    ...(client ? { client } : {}),
    withoutUpdates,
    afterMsgIds,
  };
}

/**
 * The rpc_error to send for a thrown value: an `RpcError` from backend.ts, or anything shaped like one
 * (`code` + `errorMessage`, e.g. GramJS's own RPCError). `undefined` for everything else (→ 500 INTERNAL).
 */
export function rpcErrorFrom(error: unknown): { code: number; message: string } | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const { code, errorMessage } = error as { code?: unknown; errorMessage?: unknown };
  if (
    typeof code === 'number' &&
    Number.isInteger(code) &&
    typeof errorMessage === 'string' &&
    errorMessage
  ) {
    return { code, message: errorMessage };
  }
  return undefined;
}
