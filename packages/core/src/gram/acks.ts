/**
 * Acknowledgements serialised without big-integer arithmetic. GramJS acknowledges every message it receives
 * (`msgs_ack`, sent with the next outgoing request or ping) and serialises each message id through big-integer
 * shifts and masks: about 20 µs per id, about as much as pm's whole handling of a plain update. The bytes are the
 * same (`msgs_ack#62d6b459 msg_ids:Vector<long>`), written with Buffer's native 64-bit writes.
 */
import { Api, toBigint } from './tl.js';

const VECTOR_ID = 0x1cb5c415;
let installed = false;

/** The TL bytes of `msgs_ack` for these message ids. */
export function msgsAckBytes(ids: readonly unknown[]): Buffer {
  const out = Buffer.allocUnsafe(12 + 8 * ids.length);
  out.writeUInt32LE(Api.MsgsAck.CONSTRUCTOR_ID, 0);
  out.writeUInt32LE(VECTOR_ID, 4);
  out.writeInt32LE(ids.length, 8);
  for (let i = 0; i < ids.length; i++) {
    out.writeBigInt64LE(BigInt.asIntN(64, toBigint(ids[i] as Parameters<typeof toBigint>[0])), 12 + 8 * i);
  }
  return out;
}

/** Makes GramJS's `MsgsAck.getBytes()` use {@link msgsAckBytes}. Idempotent. */
export function installFastAcks(): void {
  if (installed) return;
  installed = true;
  (Api.MsgsAck.prototype as unknown as { getBytes(): Buffer }).getBytes = function (this: Api.MsgsAck) {
    return msgsAckBytes(this.msgIds);
  };
}
