/**
 * The seam between the MTProto layer (transport/, auth/, session/, gateway.ts) and the emulated Telegram
 * (world/, rpc/). The MTProto layer decrypts a request, unwraps invokeWithLayer / initConnection /
 * invokeAfterMsg(s) / invokeWithoutUpdates, and hands the inner request to `Backend.invoke`. Whatever
 * `invoke` resolves to is sent back as rpc_result; an `RpcError` thrown becomes rpc_error.
 */

/** A GramJS TL object (an instance of some `Api.*` class). Kept loose on purpose: this is the TL edge. */
export type TLObject = any;

/** Who is calling: one MTProto session on one auth key over one TCP connection. */
export interface CallContext {
  /** The auth key id as a decimal string (64-bit, never a JS number). Authorization is bound to it. */
  readonly authKeyId: string;
  /** MTProto session id (client-chosen, 64-bit) as a decimal string. */
  readonly sessionId: string;
  /** A server-unique id for the TCP connection. */
  readonly connectionId: number;
  /** The layer from invokeWithLayer, if any was seen on this connection. */
  readonly layer?: number;
  /** What initConnection said on this session (app and device), if it was seen. */
  readonly client?: ClientInfo;
}

/** The app and device a session declared in initConnection. */
export interface ClientInfo {
  readonly apiId: number;
  readonly deviceModel: string;
  readonly systemVersion: string;
  readonly appVersion: string;
  readonly systemLangCode: string;
  readonly langPack: string;
  readonly langCode: string;
}

/** Thrown by handlers; the MTProto layer turns it into rpc_error { error_code, error_message }. */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    readonly errorMessage: string,
  ) {
    super(`${code} ${errorMessage}`);
    this.name = 'RpcError';
  }
}

export interface Backend {
  /** Answers one unwrapped request (e.g. an `Api.help.GetConfig` instance). */
  invoke(request: TLObject, ctx: CallContext): Promise<TLObject>;
  /** A connection's MTProto session went away (TCP closed). Optional bookkeeping. */
  sessionClosed?(ctx: CallContext): void;
}

/** What the world uses to push unsolicited updates (an `Api.Updates*` object) to connected clients. */
export interface UpdateSink {
  /** Deliver `updates` to every live session on this auth key. Returns how many sessions got it. */
  pushToAuthKey(authKeyId: string, updates: TLObject): number;
}
